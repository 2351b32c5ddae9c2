"""Delivering the outbox: claim one message, hand it to the mail server, record the answer.

One message at a time, each step its own short transaction:

1. *claim* (``pending`` → ``sending``, with the claiming process and time; ``FOR UPDATE SKIP
   LOCKED`` on PostgreSQL, so several schedulers share the work);
2. *hand over*: the row is marked ``in_doubt`` just before the message goes to the server,
   and only if this process still holds the claim (a claim taken back after its lease is never
   sent by the old claimer);
3. *record*: the server's answer is committed the moment it arrives, clearing the mark.

The window between the server's "250 accepted" and step 3 cannot be closed: SMTP and the
database cannot commit together. It is kept short (the update is the first thing done with the
answer) and made safe: a database that is locked or unavailable then is tried again with
backoff (:data:`RECORD_ATTEMPTS`); if it still cannot be written, this process keeps the answer
and records it at the start of its next run, and stops sending meanwhile. A process that dies
in the window leaves the row marked, and it is then held in doubt for HR rather than sent again
(:mod:`transfer_engine.outbox.recovery`). So is a message whose connection broke after it went to
the server and before the server answered (:class:`DeliveryOutcomeUnknownError`): it is held at
once, never retried on its own.

Failures: a temporary one (server unreachable, 4xx) is retried after ``mail_retry_seconds``,
doubling each time, up to ``mail_max_attempts`` attempts; a permanent one (a 5xx refusal of the
address, an address that is not an email address, no address at all) is never retried and is
listed in the outbox for HR to act on.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import ColumnElement, Update, and_, or_, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from transfer_engine.config import Settings, get_settings
from transfer_engine.domain import StepStatus
from transfer_engine.errors import DatabaseUnavailableError
from transfer_engine.outbox.delivery import (
    DeliveryBackend,
    DeliveryOutcomeUnknownError,
    PermanentDeliveryError,
    TemporaryDeliveryError,
)
from transfer_engine.outbox.email import build_email
from transfer_engine.outbox.queue import address_problem
from transfer_engine.outbox.recovery import RELEASE_ONCE_CHECKED, recover_in_doubt, worker_id
from transfer_engine.store.database import write_session
from transfer_engine.store.messages import (
    Notice,
    NoticeKind,
    OutboxMessage,
    OutboxStatus,
    in_delivery_queue,
)
from transfer_engine.store.queries import definition_of
from transfer_engine.store.transfers import StepInstance, Transfer

log = logging.getLogger("transfer_engine.outbox.worker")

#: The longest wait between two attempts to send.
MAX_BACKOFF = timedelta(hours=6)
#: How many times an outcome is written before the worker gives up for this run, and the
#: first wait (doubling) between tries. Each try on SQLite also waits up to its busy timeout.
RECORD_ATTEMPTS = 6
RECORD_FIRST_WAIT = 0.2

# Outcomes of messages the server accepted that the database could not record yet, by row id:
# kept by this process and written first thing in its next run (see the module docstring).
_UNRECORDED: dict[int, dict[str, object]] = {}
_UNRECORDED_LOCK = threading.Lock()


def _due_condition(today: date, now: datetime) -> ColumnElement[bool]:
    return and_(
        in_delivery_queue(),  # not held for HR (in doubt): the worker never sends those
        col(OutboxMessage.planned_for) <= today,
        or_(col(OutboxMessage.next_attempt_at).is_(None),
            col(OutboxMessage.next_attempt_at) <= now,
            # the clock was put back: do not wait for hours that will not come
            col(OutboxMessage.next_attempt_at) > now + MAX_BACKOFF),
    )


def due_messages(session: Session, today: date, now: datetime) -> Sequence[OutboxMessage]:
    """Messages a delivery run would send now (for dry runs)."""
    return session.exec(select(OutboxMessage).where(_due_condition(today, now))
                        .order_by(col(OutboxMessage.planned_for), col(OutboxMessage.id))).all()


def _not_relevant(session: Session, row: OutboxMessage, notice: Notice | None) -> str | None:
    """Why the message should no longer go out (its step was done, its deadline moved), or None.

    Only reminders and escalations go stale: a letter or alert, once decided, is sent.
    """
    if notice is None:
        return "its notice record is missing"
    if notice.transfer_id is None:
        return None
    transfer = session.get(Transfer, notice.transfer_id)
    if transfer is None:
        return f"transfer {notice.transfer_ref} no longer exists"
    if notice.kind not in (NoticeKind.reminder, NoticeKind.escalation):
        return None
    state = definition_of(transfer, session).states.get(transfer.state)
    if state is not None and state.final:  # cancelled or closed: nothing is due any more
        return f"{notice.transfer_ref} is {state.label.lower()}"
    step = session.exec(select(StepInstance).where(
        StepInstance.transfer_id == notice.transfer_id,
        StepInstance.step_id == notice.step_id)).first()
    if step is None:
        return f"step {notice.step_id} no longer exists in {notice.transfer_ref}"
    if step.status != StepStatus.open:
        return f"step {notice.step_id} is now {step.status.value}"
    if step.due_date != notice.due_date:
        return (f"step {notice.step_id} is now due {step.due_date}, not {notice.due_date} "
                "(a new notice is decided for the new date)")
    return None


@dataclass
class Delivery:
    """What happened to one message in a delivery run."""

    id: int
    kind: str
    transfer: str | None
    recipient: str | None
    subject: str
    planned_for: date
    status: str
    late: bool
    in_doubt: bool
    where: str | None = None
    error: str | None = None

    def as_json(self) -> dict[str, object]:
        return {**self.__dict__, "planned_for": self.planned_for.isoformat()}


@dataclass
class DeliveryReport:
    deliveries: list[Delivery] = field(default_factory=list)
    recovered: int = 0      # claims of stopped processes put back in the queue
    held: int = 0           # messages found with the server when their process stopped
    stopped_early: str | None = None


def claim_query(today: date, now: datetime, skip: set[int]) -> SelectOfScalar[OutboxMessage]:
    """The next due message no other process holds, oldest first, locked (SKIP LOCKED), leaving
    out ``skip``: on PostgreSQL the delivery queue's index, walked to the first free row."""
    query = select(OutboxMessage).where(_due_condition(today, now))
    if skip:
        query = query.where(col(OutboxMessage.id).not_in(skip))
    return (query.order_by(col(OutboxMessage.planned_for), col(OutboxMessage.id))
            .limit(1).with_for_update(skip_locked=True))


def _claim_next(engine: Engine | None, today: date, now: datetime, skip: set[int],
                cancelled: list[Delivery]) -> tuple[OutboxMessage, Notice | None] | None:
    """Claim the next due message, cancelling stale ones on the way; None when none is due."""
    while True:
        with write_session(engine) as session:
            row = session.exec(claim_query(today, now, skip)).first()
            if row is None:
                return None
            notice = session.get(Notice, row.notice_id)
            reason = _not_relevant(session, row, notice)
            if reason:
                row.status = OutboxStatus.cancelled
                row.last_error = f"not sent: {reason}"
                session.add(row)
                log.info("outbox #%s cancelled (%s to %s): %s", row.id, row.subject,
                         row.recipient, reason)
                assert row.id is not None
                cancelled.append(Delivery(
                    id=row.id, kind=row.kind.value, transfer=row.transfer_ref,
                    recipient=row.recipient, subject=row.subject, planned_for=row.planned_for,
                    status=OutboxStatus.cancelled.value, late=False, in_doubt=row.in_doubt,
                    error=row.last_error))
                continue
            claimed = session.execute(
                update(OutboxMessage)
                .where(col(OutboxMessage.id) == row.id, col(OutboxMessage.status) == row.status,
                       col(OutboxMessage.in_doubt).is_(False))
                .values(status=OutboxStatus.sending, attempts=OutboxMessage.attempts + 1,
                        claimed_by=worker_id(), claimed_at=now)
            ).rowcount  # type: ignore[attr-defined]
            if claimed != 1:  # another process took it between the read and the update
                skip.add(row.id)  # type: ignore[arg-type]
                continue
            session.refresh(row)
            return row, notice


def _backoff(settings: Settings, attempts: int) -> timedelta:
    seconds = settings.mail_retry_seconds * 2 ** max(attempts - 1, 0)
    return min(timedelta(seconds=seconds), MAX_BACKOFF)


# A locked or unavailable database: the engines translate it (store.faults) into
# DatabaseUnavailableError; SQLAlchemy's own error is kept for one met outside them.
_DATABASE_FAULTS = (DBAPIError, DatabaseUnavailableError)


def _reason(exc: Exception) -> str:
    return str(getattr(exc, "orig", None) or exc).strip()


def _write(engine: Engine | None, statement: Update, what: str) -> int:
    """Run one update in its own transaction, trying again with backoff if the database is
    locked or unavailable; the rows it changed. Raises the last error after
    :data:`RECORD_ATTEMPTS` tries."""
    wait = RECORD_FIRST_WAIT
    for attempt in range(1, RECORD_ATTEMPTS + 1):
        try:
            with write_session(engine) as session:
                return int(session.execute(statement).rowcount)  # type: ignore[attr-defined]
        except _DATABASE_FAULTS as exc:
            if attempt == RECORD_ATTEMPTS:
                raise
            log.warning("could not record %s (try %s of %s, again in %.1f s): %s", what,
                        attempt, RECORD_ATTEMPTS, wait, _reason(exc))
            time.sleep(wait)
            wait *= 2
    raise AssertionError("unreachable")


def _record(engine: Engine | None, row_id: int, **values: object) -> None:
    """Commit a message's outcome (it is no longer with the server), retrying if need be."""
    _write(engine, update(OutboxMessage).where(col(OutboxMessage.id) == row_id)
           .values(in_doubt=False, **values), f"the outcome of outbox #{row_id}")


def _record_accepted(engine: Engine | None, row_id: int, values: dict[str, object]) -> bool:
    """Record that the server accepted a message; False if the database could not be written.

    Then the outcome is kept in this process and written at its next run (see
    :func:`_flush_unrecorded`); meanwhile the row stays marked, and if this process stops it
    is held in doubt: never sent again either way.
    """
    try:
        _record(engine, row_id, **values)
        return True
    except _DATABASE_FAULTS as exc:
        with _UNRECORDED_LOCK:
            _UNRECORDED[row_id] = values
        log.error("outbox #%s was ACCEPTED by the mail server but the database could not record "
                  "it after %s tries (%s). It will not be sent again: this process records it "
                  "when the database is back, and if this process stops first the message is "
                  "held in doubt for HR.", row_id, RECORD_ATTEMPTS, _reason(exc))
        return False


def _flush_unrecorded(engine: Engine | None) -> None:
    """Write the outcomes the database could not take earlier (raises if it still cannot)."""
    with _UNRECORDED_LOCK:
        waiting = dict(_UNRECORDED)
    for row_id, values in waiting.items():
        # Whatever became of the row meanwhile (held after the lease, say), the server has it.
        _record(engine, row_id, **values)
        with _UNRECORDED_LOCK:
            _UNRECORDED.pop(row_id, None)
        log.warning("outbox #%s: recorded as sent at last (the server had accepted it)", row_id)


def _hand_over(engine: Engine | None, row_id: int) -> bool:
    """Mark the message as with the server, if this process still holds its claim."""
    return _write(engine, update(OutboxMessage).where(
        col(OutboxMessage.id) == row_id, col(OutboxMessage.status) == OutboxStatus.sending,
        col(OutboxMessage.claimed_by) == worker_id()).values(in_doubt=True),
        f"the hand-over of outbox #{row_id}") == 1


def deliver_due(backend: DeliveryBackend, *, today: date, due_by: date | None = None,
                engine: Engine | None = None,
                settings: Settings | None = None,
                clock: Callable[[], datetime] = lambda: datetime.now(UTC),
                stop: threading.Event | None = None) -> DeliveryReport:
    """Send every message planned for ``due_by`` or earlier, one claim, send and commit at a time.

    ``today`` is the local date now (the ``--as-of`` date in a replay): a message delivered after
    its planned day is marked late. ``due_by`` defaults to ``today``; before the send time a
    sweep passes yesterday, so that nothing planned for today goes out before its time. Never
    raises for a bad message: each outcome is recorded on its row. A database that cannot be
    written raises (after retries), having sent nothing whose outcome it could not record.
    """
    settings = settings or get_settings()
    due_by = due_by or today
    report = DeliveryReport()
    try:
        _flush_unrecorded(engine)
        recovered = recover_in_doubt(engine, clock())
        report.recovered, report.held = len(recovered.requeued), len(recovered.held)
        skip: set[int] = set()
        while True:
            if stop is not None and stop.is_set():
                report.stopped_early = "asked to stop"
                break
            now = clock()
            claimed = _claim_next(engine, due_by, now, skip, report.deliveries)
            if claimed is None:
                break
            row, notice = claimed
            assert row.id is not None
            late = bool(notice and notice.late) or today > row.planned_for
            outcome = Delivery(id=row.id, kind=row.kind.value, transfer=row.transfer_ref,
                               recipient=row.recipient, subject=row.subject,
                               planned_for=row.planned_for, status="", late=late,
                               in_doubt=row.in_doubt)
            report.deliveries.append(outcome)
            stop_batch = _deliver_one(backend, row, outcome, engine=engine, settings=settings,
                                      now=now, today=today)
            if stop_batch:
                report.stopped_early = outcome.error
                break
    finally:
        backend.close()
    return report


def _deliver_one(backend: DeliveryBackend, row: OutboxMessage, outcome: Delivery, *,
                 engine: Engine | None, settings: Settings, now: datetime,
                 today: date) -> bool:
    """Send one claimed row and commit its outcome; True if the batch should stop."""
    assert row.id is not None
    label = f"outbox #{row.id} {row.kind.value} '{row.subject}' to {row.recipient}"
    try:
        problem = address_problem(row.recipient)
        if problem:
            raise PermanentDeliveryError(problem)
        message = build_email(row, settings, late=outcome.late, now=now)
    except Exception as exc:
        return _failed(exc, row, outcome, engine=engine, settings=settings, now=now,
                       label=label)
    if not _hand_over(engine, row.id):
        # The claim was taken back (this process was slower than the lease): not ours to send.
        outcome.status = OutboxStatus.pending.value
        outcome.error = "not sent: its claim was taken back by another scheduler"
        log.warning("%s: %s", label, outcome.error)
        return False
    try:
        where = backend.send(message)
    except Exception as exc:
        return _failed(exc, row, outcome, engine=engine, settings=settings, now=now,
                       label=label)
    # Accepted: recorded before anything else, to keep the unrecorded window short.
    outcome.status, outcome.where = OutboxStatus.sent.value, where
    if not _record_accepted(engine, row.id, {
            "status": OutboxStatus.sent, "sent_at": now, "sent_on": today,
            "late": outcome.late, "delivery_ref": where, "last_error": None,
            "next_attempt_at": None}):
        outcome.error = "accepted by the mail server; the database could not record it yet"
        return True  # sending more would only add messages whose outcome cannot be recorded
    log.info("sent %s%s (%s)", label, " LATE" if outcome.late else "", where)
    return False


def _hold_unanswered(exc: DeliveryOutcomeUnknownError, row: OutboxMessage, outcome: Delivery, *,
                     engine: Engine | None, label: str) -> bool:
    """Hold in doubt a message the server may have accepted without saying so; stops the batch.

    The same state as a message left with the server by a process that stopped (see
    :mod:`transfer_engine.outbox.recovery`): never sent again until HR releases it. If the
    hold cannot be written, the row stays marked as with the server and is held by the next
    run's recovery all the same.
    """
    assert row.id is not None
    note = (f"held: it may have been delivered before the connection to the mail server "
            f"{exc.where} broke, after the message was sent and before the server answered "
            f"({exc.detail}); {RELEASE_ONCE_CHECKED}")
    outcome.status, outcome.error, outcome.in_doubt = OutboxStatus.pending.value, note, True
    _write(engine, update(OutboxMessage).where(col(OutboxMessage.id) == row.id).values(
        status=OutboxStatus.pending, in_doubt=True, claimed_by=None, next_attempt_at=None,
        last_error=note), f"the hold of outbox #{row.id}")
    log.error("%s may or may not have been accepted: the connection broke before the server "
              "answered (%s). Held in doubt for HR, not sent again (Message-ID %s)", label,
              exc.detail, row.message_id)
    return True  # the connection broke: the next run tries the rest afresh


def _failed(exc: Exception, row: OutboxMessage, outcome: Delivery, *, engine: Engine | None,
            settings: Settings, now: datetime, label: str) -> bool:
    """Record a message that was not delivered; True if the batch should stop."""
    assert row.id is not None
    if isinstance(exc, DeliveryOutcomeUnknownError):
        return _hold_unanswered(exc, row, outcome, engine=engine, label=label)
    if isinstance(exc, PermanentDeliveryError):
        outcome.status, outcome.error = OutboxStatus.permanent_failure.value, str(exc)
        _record(engine, row.id, status=OutboxStatus.permanent_failure, last_error=str(exc),
                next_attempt_at=None)
        log.error("%s NOT delivered, and will not be retried: %s", label, exc)
        return False
    # Anything else (a backend bug included) must not stop the scheduler: retried later.
    temporary = exc if isinstance(exc, TemporaryDeliveryError) else None
    error = str(exc) if temporary else f"unexpected {type(exc).__name__}: {exc}"
    if row.attempts >= settings.mail_max_attempts:
        final = f"gave up after {row.attempts} attempts: {error}"
        outcome.status, outcome.error = OutboxStatus.permanent_failure.value, final
        _record(engine, row.id, status=OutboxStatus.permanent_failure, last_error=final,
                next_attempt_at=None)
        log.error("%s NOT delivered: %s", label, final)
    else:
        retry_at = now + _backoff(settings, row.attempts)
        outcome.status, outcome.error = OutboxStatus.failed.value, error
        _record(engine, row.id, status=OutboxStatus.failed, last_error=error,
                next_attempt_at=retry_at)
        log.warning("%s failed (attempt %s of %s), next try after %s UTC: %s", label,
                    row.attempts, settings.mail_max_attempts,
                    f"{retry_at:%Y-%m-%d %H:%M:%S}", error)
    return bool(temporary and temporary.affects_all)
