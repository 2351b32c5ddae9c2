"""Moving a key date: every deadline is worked out again and the report says what became late."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.engine import Engine
from sqlmodel import select

from transfer_engine.domain import StepStatus
from transfer_engine.engine.advance import _bump, _check_version
from transfer_engine.engine.limits import RESCHEDULE_REASON, text_problems
from transfer_engine.engine.planning import StepChange, refresh_steps
from transfer_engine.errors import (
    FieldProblem,
    ValidationError,
)
from transfer_engine.rules.timeline import is_late
from transfer_engine.store.database import write_session
from transfer_engine.store.queries import audit, definition_of, get_transfer, steps_of
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


def reschedule(ref: str, key_date: str, new: date, *, actor: str, reason: str,
               today: date | None = None, expected_version: int | None = None,
               engine: Engine | None = None) -> RescheduleReport:
    """Move a key date, recompute every deadline and report what became late or impossible."""
    today = today or date.today()
    problems = reschedule_input_problems(reason)
    if problems:
        raise ValidationError(field_problems=problems)
    reason = reason.strip()
    with write_session(engine) as session:
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
        if old == new:
            raise ValidationError(field_problems=[FieldProblem(
                "new_date", f"is already {new.isoformat()}", key_date, "unchanged")])
        before = {s.step_id: is_late(s, today) for s in steps_of(session, transfer).values()}
        if row is None:
            assert transfer.id is not None  # read from the database
            row = KeyDate(transfer_id=transfer.id, name=key_date, value=new)
        row.value = new
        session.add(row)
        session.flush()
        moved = refresh_steps(session, transfer, definition)
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
        return RescheduleReport(ref, key_date, old, new, moved, now_late, impossible)


def reschedule_input_problems(reason: str | None) -> list[FieldProblem]:
    """What is wrong with the reason a person gives for moving a key date."""
    return text_problems((RESCHEDULE_REASON, reason))
