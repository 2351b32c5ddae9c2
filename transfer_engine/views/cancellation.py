"""What cancelling a transfer would stop: the cancel page lists it before anyone confirms.

* open steps: no longer deadlines (they stay on record as they were, not done);
* letters earlier states left owed and not yet issued: not issued;
* reminders and escalations queued in the outbox: not sent (the worker drops them), and none
  are planned any more;
* the calendar feed's events for the transfer: they go at subscribers' next refresh.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, col, select

from transfer_engine.domain import StepStatus
from transfer_engine.letters.catalogue import catalogue
from transfer_engine.store.messages import (
    NoticeKind,
    OutboxMessage,
    OutboxStatus,
    PendingLetter,
)
from transfer_engine.store.queries import steps_of
from transfer_engine.store.transfers import Transfer

__all__ = ["CancelConsequences", "OpenStep", "cancel_consequences"]


@dataclass(frozen=True)
class OpenStep:
    title: str
    due: date | None


@dataclass(frozen=True)
class CancelConsequences:
    open_steps: tuple[OpenStep, ...]
    owed_letters: tuple[str, ...]          # titles of letters owed and not yet issued
    reminders: int                         # reminders and escalations queued, not yet sent
    calendar_events: int                   # events the calendar feed shows for the transfer


def cancel_consequences(session: Session, transfer: Transfer) -> CancelConsequences:
    steps = sorted(steps_of(session, transfer).values(),
                   key=lambda s: (s.due_date or date.max, s.position))
    open_steps = tuple(OpenStep(s.title, s.working_due_date or s.due_date)
                       for s in steps if s.status == StepStatus.open)
    titles = {name: spec.title for name, spec in catalogue().letters.items()}
    owed = session.exec(select(PendingLetter.letter).where(
        PendingLetter.transfer_id == transfer.id).order_by(col(PendingLetter.id))).all()
    reminders = len(session.exec(select(OutboxMessage.id).where(
        OutboxMessage.transfer_ref == transfer.ref,
        col(OutboxMessage.kind).in_([NoticeKind.reminder, NoticeKind.escalation]),
        col(OutboxMessage.status).in_([OutboxStatus.pending, OutboxStatus.failed]))).all())
    # The feed shows every applicable step with a date (done ones too, marked done).
    events = sum(1 for s in steps if s.status != StepStatus.not_applicable
                 and (s.working_due_date or s.due_date) is not None)
    return CancelConsequences(open_steps, tuple(titles.get(name, name) for name in owed),
                              reminders, events)
