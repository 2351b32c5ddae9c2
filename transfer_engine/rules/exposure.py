"""Money at risk from late statutory steps.

* reg 12(4): where the transferor fails to give the ELI as reg 11 requires, a tribunal awards
  *not less than* GBP 500 for each employee in respect of whom it failed (unless just and
  equitable otherwise). The figure shown is that minimum.
* reg 15(7)-(9): failing to inform or consult under reg 13 exposes the employers (jointly and
  severally) to *up to* 13 weeks' pay for each affected employee, uncapped. The figure shown is
  that maximum, from each employee's weekly pay.

* TULRCA s.189: failing to consult on collective redundancies under s.188 exposes the employer
  that proposed the dismissals to a protective award of *up to* 90 days' pay (s.189(4)) for
  each employee proposed for dismissal. The figure shown is that maximum, from the number
  proposed and the average weekly pay of the employees in scope (who is proposed for dismissal
  is not recorded employee by employee).

A workflow marks which steps carry which exposure (``exposure: reg12`` / ``reg15`` / ``s189``)
and who owes each step (``owed_by``); each sum says who bears it (:class:`ExposureItem`):

* reg 12 is the transferee's claim against the transferor: the transferor bears it;
* reg 15 falls on the employer whose step is late, and under reg 15(9) the transferee is
  jointly and severally liable with the transferor for the transferor's failure (a step owed
  by each employer, such as informing under reg 13(2), is counted as the transferor's towards
  the transferring staff, the only affected employees on the staff list);
* s.189 falls on the employer that proposed the dismissals (the step's ``owed_by``).

A cancelled transfer carries nothing at risk. A closed one keeps what was late until the reg
15(12) claims window (the ``claims_window`` step's due date) has ended.
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

from transfer_engine.rules.objections import not_objected_by
from transfer_engine.rules.timeline import is_late
from transfer_engine.store.people import Employee
from transfer_engine.store.queries import definition_of, get_transfer, steps_of
from transfer_engine.store.transfers import StepInstance, Transfer

REG12_MINIMUM_PER_EMPLOYEE = Decimal("500")
REG15_MAXIMUM_WEEKS = 13
S189_MAXIMUM_DAYS = 90  # TULRCA s.189(4): the protected period is at most 90 days


@dataclass(frozen=True)
class ExposureItem:
    """One sum at risk: the remedy, the late steps behind it, the figure and who bears it."""

    remedy: str                     # "reg12", "reg15" or "s189"
    amount: Decimal
    steps: tuple[str, ...]
    borne_by: str                   # "transferor" or "transferee"
    jointly_liable: str | None      # reg 15(9): the transferee, for the transferor's failure
    reason: str

    def as_json(self) -> dict[str, Any]:
        return {"remedy": self.remedy, "amount": str(self.amount), "steps": list(self.steps),
                "borne_by": self.borne_by, "jointly_liable": self.jointly_liable,
                "reason": self.reason}


@dataclass
class Exposure:
    ref: str
    reg12_minimum: Decimal = Decimal("0")
    reg15_maximum: Decimal = Decimal("0")
    reasons: list[str] = field(default_factory=list)
    protective_award_maximum: Decimal = Decimal("0")
    items: list[ExposureItem] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        return self.reg12_minimum + self.reg15_maximum + self.protective_award_maximum

    def borne_by(self, party: str) -> Decimal:
        """What ``party`` (transferor or transferee) bears, alone or jointly and severally."""
        return sum((i.amount for i in self.items
                    if party in (i.borne_by, i.jointly_liable)), Decimal("0"))

    def add(self, child: Exposure) -> None:
        """Add a child transfer's exposure to its programme's."""
        self.reg12_minimum += child.reg12_minimum
        self.reg15_maximum += child.reg15_maximum
        self.protective_award_maximum += child.protective_award_maximum
        self.reasons.extend(f"{child.ref}: {r}" for r in child.reasons)
        self.items.extend(child.items)

    def copy(self) -> Exposure:
        return Exposure(self.ref, self.reg12_minimum, self.reg15_maximum, list(self.reasons),
                        self.protective_award_maximum, list(self.items))

    def as_json(self) -> dict[str, Any]:
        return {"ref": self.ref, "reg12_minimum": str(self.reg12_minimum),
                "reg15_maximum": str(self.reg15_maximum),
                "protective_award_maximum": str(self.protective_award_maximum),
                "total": str(self.total), "reasons": self.reasons,
                "items": [i.as_json() for i in self.items]}


@dataclass(frozen=True)
class StaffFigures:
    """What the remedies are counted on: affected (in scope) and transferring employees."""

    affected: int = 0
    transferring: int = 0  # in scope and not objecting: an objector is not owed ELI (reg 4(7))
    weekly_pay: Decimal = Decimal("0")


def staff_figures(session: Session, transfer_ids: Iterable[int],
                  as_of: date) -> dict[int, StaffFigures]:
    """The staff figures of many transfers in one query, as they stand on ``as_of``: an
    objection counts from its date (reg 4(7)), so one dated later leaves its maker among the
    transferring employees until then."""
    ids = list(transfer_ids)
    if not ids:
        return {}
    rows = session.connection().execute(
        select(Employee.transfer_id, func.count(),
               func.sum(case((not_objected_by(as_of), 1), else_=0)),
               func.sum(Employee.weekly_pay))
        .where(col(Employee.transfer_id).in_(ids), col(Employee.in_scope).is_(True))
        .group_by(col(Employee.transfer_id)))
    return {tid: StaffFigures(n, int(moving or 0), Decimal(pay or 0))
            for tid, n, moving, pay in rows}


def _claims_window_open(transfer: Any, steps: list[Any], today: date) -> bool:
    """Whether a transfer that went ahead can still be claimed against under reg 15(12)."""
    if getattr(transfer, "state", None) == "cancelled":
        return False
    window = next((s for s in steps if s.step_id == "claims_window"), None)
    return window is not None and window.due_date is not None and today <= window.due_date


def assess(transfer: Any, steps: Iterable[Any], figures: StaffFigures | None,
           today: date, session: Session | None = None) -> Exposure:
    """The exposure of one transfer from its steps and staff figures.

    The database is read only for the transfer's workflow definition (in ``session`` when the
    transfer is a plain row), once per workflow version and session.
    """
    definition = definition_of(transfer, session)
    # A row without a state (the notices planner's) is of a live transfer: it reads only those.
    state = definition.states.get(getattr(transfer, "state", None) or "")
    steps = list(steps)
    if state is not None and state.final and not _claims_window_open(transfer, steps, today):
        # A cancelled transfer never happened; a closed one can still be claimed against
        # until the reg 15(12) window ends (three months beginning with the transfer), so its
        # late steps stay at risk until then. After that nothing is shown (the history keeps
        # what was late while it ran).
        return Exposure(transfer.ref)
    late: dict[str, list[str]] = {"reg12": [], "reg15": [], "s189": []}
    owed_by: dict[str, str | None] = {}
    for step in steps:
        spec = definition.steps.get(step.step_id)
        if spec and spec.exposure and is_late(step, today):
            late[spec.exposure].append(step.step_id)
            owed_by[step.step_id] = spec.owed_by
    figures = figures or StaffFigures()
    items: list[ExposureItem] = []
    if late["reg12"]:
        items.append(ExposureItem(
            "reg12", REG12_MINIMUM_PER_EMPLOYEE * figures.transferring, tuple(late["reg12"]),
            "transferor", None,
            f"reg 12: {', '.join(late['reg12'])} late; at least GBP 500 x "
            f"{figures.transferring} transferring employee(s); borne by the transferor "
            "(the transferee's claim against it, reg 12(1))"))
    if late["reg15"]:
        items.append(_reg15(late["reg15"], owed_by, figures))
    if late["s189"]:
        items.append(_s189(late["s189"], owed_by, figures,
                           getattr(transfer, "proposed_dismissals", None)))
    result = Exposure(transfer.ref, items=items)
    for item in items:
        if item.remedy == "reg12":
            result.reg12_minimum += item.amount
        elif item.remedy == "reg15":
            result.reg15_maximum += item.amount
        else:
            result.protective_award_maximum += item.amount
        result.reasons.append(item.reason)
    return result


def _reg15(steps: list[str], owed_by: Mapping[str, str | None],
           figures: StaffFigures) -> ExposureItem:
    """Reg 15: by whose failure. A step of the transferor's, or of each employer towards the
    transferor's staff, is the transferor's failure, for which the transferee is jointly and
    severally liable (reg 15(9)); only steps of the transferee's late: the transferee's."""
    amount = (figures.weekly_pay * REG15_MAXIMUM_WEEKS).quantize(Decimal("0.01"))
    head = (f"reg 15: {', '.join(steps)} late; up to 13 weeks' pay x {figures.affected} "
            "affected employee(s); ")
    if all(owed_by.get(s) == "transferee" for s in steps):
        return ExposureItem("reg15", amount, tuple(steps), "transferee", None,
                            head + "borne by the transferee, whose step it is")
    return ExposureItem("reg15", amount, tuple(steps), "transferor", "transferee",
                        head + "borne by the transferor, with the transferee jointly and "
                        "severally liable (reg 15(9))")


def _s189(steps: list[str], owed_by: Mapping[str, str | None], figures: StaffFigures,
          proposed: int | None) -> ExposureItem:
    """TULRCA s.189: up to 90 days' pay for each employee proposed for dismissal, a week's pay
    being the average of the employees in scope (s.190(2): a week's pay for each week)."""
    # The duty under s.188 is the proposing employer's; in a transfer, the transferee's.
    bearer = "transferor" if any(owed_by.get(s) == "transferor" for s in steps) else "transferee"
    head = f"s.189: {', '.join(steps)} late; "
    if not proposed or not figures.affected:
        why = ("no number of proposed dismissals is recorded" if not proposed else
               "no staff list to take a week's pay from")
        return ExposureItem("s189", Decimal("0"), tuple(steps), bearer, None,
                            head + f"protective award not estimated: {why}")
    average = figures.weekly_pay / figures.affected
    amount = (average * proposed * S189_MAXIMUM_DAYS / 7).quantize(Decimal("0.01"))
    return ExposureItem(
        "s189", amount, tuple(steps), bearer, None,
        head + f"protective award of up to 90 days' pay x {proposed} employee(s) proposed for "
        f"dismissal (average weekly pay GBP {average.quantize(Decimal('0.01'))}); borne by the "
        f"{bearer}, the employer proposing the dismissals")


def exposure_for(session: Session, transfer: Transfer, today: date) -> Exposure:
    """Exposure of one transfer on its own (without its children)."""
    assert transfer.id is not None
    figures = staff_figures(session, [transfer.id], today).get(transfer.id)
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
    figures = staff_figures(session, ids, today)
    return {tid: assess(transfer, steps[tid], figures.get(tid), today, session)
            for tid, transfer in by_id.items()}


def exposures(session: Session, transfers: Iterable[Transfer],
              steps: Mapping[int, Iterable[Any]], today: date) -> dict[int, Exposure]:
    """Exposure of many transfers at once, each programme including its children."""
    transfers = list(transfers)
    figures = staff_figures(session, [t.id for t in transfers if t.id is not None], today)
    own = {t.id: assess(t, steps.get(t.id, ()), figures.get(t.id), today, session)
           for t in transfers if t.id is not None}
    totals = {tid: e.copy() for tid, e in own.items()}
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
