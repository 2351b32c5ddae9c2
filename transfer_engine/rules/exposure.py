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

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy import case, func
from sqlmodel import Session, col, select

from transfer_engine.rules.timeline import is_late
from transfer_engine.store.people import Employee
from transfer_engine.store.queries import definition_of, get_transfer, steps_of
from transfer_engine.store.transfers import StepInstance, Transfer

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

    def add(self, child: Exposure) -> None:
        """Add a child transfer's exposure to its programme's."""
        self.reg12_minimum += child.reg12_minimum
        self.reg15_maximum += child.reg15_maximum
        self.reasons.extend(f"{child.ref}: {r}" for r in child.reasons)

    def as_json(self) -> dict[str, Any]:
        return {"ref": self.ref, "reg12_minimum": str(self.reg12_minimum),
                "reg15_maximum": str(self.reg15_maximum), "total": str(self.total),
                "reasons": self.reasons}


@dataclass(frozen=True)
class StaffFigures:
    """What the remedies are counted on: affected (in scope) and transferring employees."""

    affected: int = 0
    transferring: int = 0  # in scope and not objecting: an objector is not owed ELI (reg 4(7))
    weekly_pay: Decimal = Decimal("0")


def staff_figures(session: Session, transfer_ids: Iterable[int]) -> dict[int, StaffFigures]:
    """The staff figures of many transfers in one query."""
    ids = list(transfer_ids)
    if not ids:
        return {}
    rows = session.connection().execute(
        select(Employee.transfer_id, func.count(),
               func.sum(case((col(Employee.objected_on).is_(None), 1), else_=0)),
               func.sum(Employee.weekly_pay))
        .where(col(Employee.transfer_id).in_(ids), col(Employee.in_scope).is_(True))
        .group_by(col(Employee.transfer_id)))
    return {tid: StaffFigures(n, int(moving or 0), Decimal(pay or 0))
            for tid, n, moving, pay in rows}


def assess(transfer: Any, steps: Iterable[Any], figures: StaffFigures | None,
           today: date, session: Session | None = None) -> Exposure:
    """The exposure of one transfer from its steps and staff figures.

    The database is read only for the transfer's workflow definition (in ``session`` when the
    transfer is a plain row), once per workflow version and session.
    """
    definition = definition_of(transfer, session)
    result = Exposure(transfer.ref)
    late: dict[str, list[str]] = {"reg12": [], "reg15": []}
    for step in steps:
        spec = definition.steps.get(step.step_id)
        if spec and spec.exposure and is_late(step, today):
            late[spec.exposure].append(step.step_id)
    figures = figures or StaffFigures()
    if late["reg12"]:
        result.reg12_minimum = REG12_MINIMUM_PER_EMPLOYEE * figures.transferring
        result.reasons.append(
            f"reg 12: {', '.join(late['reg12'])} late; at least GBP 500 x "
            f"{figures.transferring} transferring employee(s)")
    if late["reg15"]:
        result.reg15_maximum = (figures.weekly_pay * REG15_MAXIMUM_WEEKS).quantize(
            Decimal("0.01"))
        result.reasons.append(
            f"reg 15: {', '.join(late['reg15'])} late; up to 13 weeks' pay x "
            f"{figures.affected} affected employee(s)")
    return result


def exposure_for(session: Session, transfer: Transfer, today: date) -> Exposure:
    """Exposure of one transfer on its own (without its children)."""
    assert transfer.id is not None
    figures = staff_figures(session, [transfer.id]).get(transfer.id)
    return assess(transfer, steps_of(session, transfer).values(), figures, today)


_STEP = StepInstance.__table__  # type: ignore[attr-defined]


def own_exposures(session: Session, transfers: Iterable[Any],
                  today: date) -> dict[int, Exposure]:
    """:func:`exposure_for` of many transfers in two queries (a sweep escalating hundreds)."""
    by_id = {t.id: t for t in transfers if t.id is not None}
    ids = list(by_id)
    steps: dict[int, list[Any]] = defaultdict(list)
    for start in range(0, len(ids), 500):
        # SQLAlchemy's select: SQLModel's is typed for at most four columns.
        rows = session.connection().execute(
            sa.select(_STEP.c.transfer_id, _STEP.c.step_id, _STEP.c.status, _STEP.c.due_date,
                      _STEP.c.done_on).where(_STEP.c.transfer_id.in_(ids[start:start + 500])))
        for row in rows:
            steps[row.transfer_id].append(row)
    figures = staff_figures(session, ids)
    return {tid: assess(transfer, steps[tid], figures.get(tid), today, session)
            for tid, transfer in by_id.items()}


def exposures(session: Session, transfers: Iterable[Transfer],
              steps: Mapping[int, Iterable[Any]], today: date) -> dict[int, Exposure]:
    """Exposure of many transfers at once, each programme including its children."""
    transfers = list(transfers)
    figures = staff_figures(session, [t.id for t in transfers if t.id is not None])
    own = {t.id: assess(t, steps.get(t.id, ()), figures.get(t.id), today, session)
           for t in transfers if t.id is not None}
    totals = {tid: Exposure(e.ref, e.reg12_minimum, e.reg15_maximum, list(e.reasons))
              for tid, e in own.items()}
    for transfer in transfers:
        if transfer.parent_id in totals and transfer.id in own:
            totals[transfer.parent_id].add(own[transfer.id])
    return totals


def exposure(session: Session, ref: str, today: date | None = None) -> Exposure:
    """Exposure of one transfer; a programme adds up its child transfers."""
    today = today or date.today()
    transfer = get_transfer(session, ref)
    total = exposure_for(session, transfer, today)
    for child in session.exec(select(Transfer).where(Transfer.parent_id == transfer.id)).all():
        total.add(exposure_for(session, child, today))
    return total
