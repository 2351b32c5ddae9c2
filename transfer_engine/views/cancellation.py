"""What cancelling a transfer would stop: the cancel page lists it before anyone confirms.

* open steps: no longer deadlines (they stay on record as they were, not done);
* letters earlier states left owed and not yet issued: not issued;
* reminders and escalations queued in the outbox: not sent (the worker drops them), and none
  are planned any more;
* emails of letters already issued, still queued: sent all the same (an issued letter is
  delivered; only reminders and escalations go stale, see ``outbox/worker.py``), so the page
  says so rather than let HR think cancelling recalls them;
* emails held in doubt (:mod:`transfer_engine.outbox.recovery`): they may already have arrived,
  and they stay held until someone releases them, so they are counted apart, not as stopped;
* the calendar feed's events for the transfer: they go at subscribers' next refresh.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func
from sqlmodel import Session, col, select

from transfer_engine.domain import StepStatus
from transfer_engine.letters.catalogue import catalogue
from transfer_engine.store.messages import (
    NoticeKind,
    OutboxMessage,
    OutboxStatus,
    PendingLetter,
    in_delivery_queue,
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
    reminders: int                         # reminders and escalations queued: not sent
    calendar_events: int                   # events the calendar feed shows for the transfer
    letter_emails: int = 0                 # emails of issued letters queued: still sent
    held: int = 0                          # emails held in doubt: may have arrived, stay held


def cancel_consequences(session: Session, transfer: Transfer) -> CancelConsequences:
    steps = sorted(steps_of(session, transfer).values(),
                   key=lambda s: (s.due_date or date.max, s.position))
    open_steps = tuple(OpenStep(s.title, s.working_due_date or s.due_date)
                       for s in steps if s.status == StepStatus.open)
    titles = {name: spec.title for name, spec in catalogue().letters.items()}
    owed = session.exec(select(PendingLetter.letter).where(
        PendingLetter.transfer_id == transfer.id).order_by(col(PendingLetter.id))).all()
    reminders, letter_emails = _queued(session, transfer)
    held = session.exec(select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.transfer_ref == transfer.ref, col(OutboxMessage.in_doubt).is_(True),
        OutboxMessage.status == OutboxStatus.pending)).one()
    # The feed shows every applicable step with a date (done ones too, marked done).
    events = sum(1 for s in steps if s.status != StepStatus.not_applicable
                 and (s.working_due_date or s.due_date) is not None)
    return CancelConsequences(open_steps, tuple(titles.get(name, name) for name in owed),
                              reminders, events, letter_emails, held)


#: The messages that go stale when their transfer ends (``_not_relevant`` in outbox/worker.py).
_STALE_KINDS = (NoticeKind.reminder, NoticeKind.escalation)


def _queued(session: Session, transfer: Transfer) -> tuple[int, int]:
    """The transfer's messages in the delivery queue (not held): reminders and escalations,
    which cancelling stops, and the rest (issued letters' emails, alerts to HR), which it
    does not."""
    stale = col(OutboxMessage.kind).in_(_STALE_KINDS)
    counts = dict(session.exec(
        select(stale, func.count()).where(OutboxMessage.transfer_ref == transfer.ref,
                                          in_delivery_queue()).group_by(stale)).all())
    return counts.get(True, 0), counts.get(False, 0)
