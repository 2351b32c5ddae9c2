"""Money at risk from late statutory steps.

* reg 12(4): where the transferor fails to give the ELI as reg 11 requires, a tribunal awards
  *not less than* GBP 500 for each employee in respect of whom it failed (unless just and
  equitable otherwise). The figure shown is that minimum.
* reg 15(7)-(9): failing to inform or consult under reg 13 exposes the employers (jointly and
  severally) to *up to* 13 weeks' pay for each affected employee, uncapped. The figure shown is
  that maximum, from each employee's weekly pay.

A workflow marks which steps carry which exposure (``exposure: reg12`` / ``reg15``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlmodel import Session, select

from transfer_engine.engine import definition_of, get_transfer, steps_of
from transfer_engine.models import Employee, Transfer
from transfer_engine.timeline import is_late

REG12_MINIMUM_PER_EMPLOYEE = Decimal("500")
REG15_MAXIMUM_WEEKS = 13


@dataclass
class Exposure:
    ref: str
    reg12_minimum: Decimal = Decimal("0")
    reg15_maximum: Decimal = Decimal("0")
    reasons: list[str] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        return self.reg12_minimum + self.reg15_maximum

    def as_json(self) -> dict[str, Any]:
        return {"ref": self.ref, "reg12_minimum": str(self.reg12_minimum),
                "reg15_maximum": str(self.reg15_maximum), "total": str(self.total),
                "reasons": self.reasons}


def exposure_for(session: Session, transfer: Transfer, today: date) -> Exposure:
    definition = definition_of(transfer)
    result = Exposure(transfer.ref)
    late = {kind: [] for kind in ("reg12", "reg15")}  # type: dict[str, list[str]]
    for step in steps_of(session, transfer).values():
        spec = definition.steps.get(step.step_id)
        if spec and spec.exposure and is_late(step, today):
            late[spec.exposure].append(step.step_id)
    if not late["reg12"] and not late["reg15"]:
        return result
    employees = session.exec(
        select(Employee).where(Employee.transfer_id == transfer.id, Employee.in_scope.is_(True))
    ).all()
    if late["reg12"]:
        # ELI is owed for each employee who transfers; an objector does not (reg 4(7)).
        transferring = [e for e in employees if e.objected_on is None]
        result.reg12_minimum = REG12_MINIMUM_PER_EMPLOYEE * len(transferring)
        result.reasons.append(
            f"reg 12: {', '.join(late['reg12'])} late; at least GBP 500 x "
            f"{len(transferring)} transferring employee(s)")
    if late["reg15"]:
        weekly = sum((e.weekly_pay for e in employees), Decimal("0"))
        result.reg15_maximum = (weekly * REG15_MAXIMUM_WEEKS).quantize(Decimal("0.01"))
        result.reasons.append(
            f"reg 15: {', '.join(late['reg15'])} late; up to 13 weeks' pay x "
            f"{len(employees)} affected employee(s)")
    return result


def exposure(session: Session, ref: str, today: date | None = None) -> Exposure:
    """Exposure of one transfer; a programme adds up its child transfers."""
    today = today or date.today()
    transfer = get_transfer(session, ref)
    total = exposure_for(session, transfer, today)
    children = session.exec(select(Transfer).where(Transfer.parent_id == transfer.id)).all()
    for child in children:
        part = exposure_for(session, child, today)
        total.reg12_minimum += part.reg12_minimum
        total.reg15_maximum += part.reg15_maximum
        total.reasons.extend(f"{child.ref}: {r}" for r in part.reasons)
    return total
