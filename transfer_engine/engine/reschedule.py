"""Moving a key date: every deadline is worked out again and the report says what became late."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from transfer_engine.domain import StepStatus
from transfer_engine.engine.advance import _bump, _check_version
from transfer_engine.engine.evidence import reconcile_in
from transfer_engine.engine.limits import (
    RESCHEDULE_REASON,
    key_date_out_of_range,
    key_dates_out_of_order,
    text_problems,
)
from transfer_engine.engine.planning import StepChange, refresh_steps
from transfer_engine.errors import (
    FieldProblem,
    ValidationError,
)
from transfer_engine.rules.timeline import is_late
from transfer_engine.store.database import dry_run_session, write_session
from transfer_engine.store.people import Employee
from transfer_engine.store.queries import (
    audit,
    definition_of,
    get_transfer,
    key_dates_of,
    steps_of,
)
from transfer_engine.store.transfers import KeyDate

# ---------------------------------------------------------------------------------------------
# Rescheduling


@dataclass
class RescheduleReport:
    ref: str
    key_date: str
    old: date | None
    new: date
    moved: list[StepChange]
    now_late: list[str]        # steps done on time before, late against the new date
    impossible: list[str]      # open steps whose new deadline has already passed
    # Every step's title, so that a page or a message names steps in words, never by id.
    titles: dict[str, str] = field(default_factory=dict)
    saved: bool = True         # False: a preview (see preview_reschedule); nothing was written

    def title(self, step_id: str) -> str:
        return self.titles.get(step_id, step_id)


def reschedule(ref: str, key_date: str, new: date, *, actor: str, reason: str,
               today: date | None = None, expected_version: int | None = None,
               engine: Engine | None = None) -> RescheduleReport:
    """Move a key date, recompute every deadline and report what became late or impossible."""
    today = today or date.today()
    reason = _checked_reason(reason)
    with write_session(engine) as session:
        return _reschedule(session, ref, key_date, new, actor=actor, reason=reason, today=today,
                           expected_version=expected_version)


def preview_reschedule(ref: str, key_date: str, new: date, *, actor: str, reason: str,
                       today: date | None = None, expected_version: int | None = None,
                       engine: Engine | None = None) -> RescheduleReport:
    """What :func:`reschedule` would do, without doing it: the check page's preview.

    The very same computation runs, in a transaction that is always rolled back, so what the
    check page shows is what confirming it saves (unless the transfer changes meanwhile, which
    ``expected_version`` on the confirming form then refuses). Refuses what reschedule would.
    """
    today = today or date.today()
    reason = _checked_reason(reason)
    with dry_run_session(engine) as session:
        report = _reschedule(session, ref, key_date, new, actor=actor, reason=reason,
                             today=today, expected_version=expected_version)
    report.saved = False
    return report


def _checked_reason(reason: str) -> str:
    problems = reschedule_input_problems(reason)
    if problems:
        raise ValidationError(field_problems=problems)
    return reason.strip()


def _reschedule(session: Session, ref: str, key_date: str, new: date, *, actor: str,
                reason: str, today: date, expected_version: int | None) -> RescheduleReport:
    transfer = get_transfer(session, ref, lock=True)
    _check_version(transfer, expected_version)
    definition = definition_of(transfer)
    if key_date not in definition.key_dates:
        raise ValidationError(field_problems=[FieldProblem(
            "key_date", f"{ref} has no key date {key_date!r}; its key dates are "
            f"{', '.join(definition.key_dates)}", "key date", "unknown")])
    row = session.exec(select(KeyDate).where(KeyDate.transfer_id == transfer.id,
                                             KeyDate.name == key_date)).first()
    old = row.value if row else None
    wrong = key_date_out_of_range(new)
    if wrong is not None:
        raise ValidationError(field_problems=[FieldProblem(
            "new_date", wrong, key_date, "out_of_range")])
    if old == new:
        raise ValidationError(field_problems=[FieldProblem(
            "new_date", f"is already {new.isoformat()}", key_date, "unchanged")])
    disordered = key_dates_out_of_order({**key_dates_of(session, transfer), key_date: new})
    if disordered is not None:
        raise ValidationError(field_problems=[FieldProblem(
            "new_date", f"would leave {disordered}", key_date, "invalid")])
    if key_date == "transfer":
        # Reg 4(7): an objection is made before the transfer. A transfer date moved to or
        # before a recorded objection would leave it one no longer.
        latest = session.exec(select(func.max(Employee.objected_on)).where(
            Employee.transfer_id == transfer.id)).one()
        if latest is not None and new <= latest:
            raise ValidationError(field_problems=[FieldProblem(
                "new_date", f"is on or before an objection recorded on "
                f"{latest.isoformat()}; an objection under TUPE reg 4(7) is made before the "
                "transfer. Check the date, or correct the objection first", key_date,
                "invalid")])
    before = {s.step_id: is_late(s, today) for s in steps_of(session, transfer).values()}
    if row is None:
        assert transfer.id is not None  # read from the database
        row = KeyDate(transfer_id=transfer.id, name=key_date, value=new)
    row.value = new
    session.add(row)
    session.flush()
    moved = refresh_steps(session, transfer, definition, as_of=today)
    after = steps_of(session, transfer)
    now_late = [s.step_id for s in after.values() if s.status == StepStatus.done
                and is_late(s, today) and not before.get(s.step_id)]
    impossible = [s.step_id for s in after.values() if s.status == StepStatus.open
                  and is_late(s, today) and not before.get(s.step_id)]
    _bump(session, transfer, transfer.version)
    audit(session, transfer, actor, "rescheduled", from_state=transfer.state,
          to_state=transfer.state, data={
              "key_date": key_date, "old": old.isoformat() if old else None,
              "new": new.isoformat(), "reason": reason,
              "moved": {c.step_id: [c.old_due.isoformat() if c.old_due else None,
                                    c.new_due.isoformat() if c.new_due else None]
                        for c in moved},
              "now_late": now_late, "impossible": impossible})
    # The rules in force on the transfer date (reg 13A's thresholds) and who transfers on
    # it decide the evidence: it is judged again on the new dates.
    reconcile_in(session, transfer.id, actor=actor, today=today)
    # The instances' titles: a rule in force on the new date may retitle a step.
    titles = {step_id: step.title for step_id, step in definition.steps.items()}
    titles.update({s.step_id: s.title for s in after.values()})
    return RescheduleReport(ref, key_date, old, new, moved, now_late, impossible, titles)


def reschedule_input_problems(reason: str | None) -> list[FieldProblem]:
    """What is wrong with the reason a person gives for moving a key date."""
    return text_problems((RESCHEDULE_REASON, reason))
