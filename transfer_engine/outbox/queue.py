"""The outbox: notices are decided once, written down, then delivered one message at a time.

How "exactly once" is kept
--------------------------

1. *Deciding.* A sweep (or ``engine.advance``, for a state's letters) inserts a
   :class:`~transfer_engine.store.tables.Notice` whose ``key`` is unique, and its
   :class:`~transfer_engine.store.tables.OutboxMessage` rows (one per recipient), in the same
   transaction. The insert is ``ON CONFLICT DO NOTHING``: a notice already decided, by this
   process or another, yields nothing new. A crash before the commit leaves nothing; after it,
   the messages are on disk and will be delivered. Nothing is decided twice, nothing decided is
   lost.

2. *Delivering.* Each message is claimed (``pending`` → ``sending``, with the claiming process
   and time) in a short transaction of its own, handed to the backend, and its outcome committed
   straight away: one commit per message, so the time between the mail server's "250 accepted"
   and the row saying ``sent`` is a few milliseconds.

3. *The window that cannot be closed.* SMTP cannot make "the server accepted it" and "the
   database says so" one atomic step. If the process dies inside that window the row is found in
   ``sending`` on the next run, and nobody can tell whether the server kept the message. Such a
   row is sent again (:func:`recover_in_doubt`), flagged ``in_doubt`` and with the *same*
   Message-ID, which is derived from the notice key and recipient so that a mail system or a
   reader can recognise a repeat. The choice follows the domain: a reminder sent twice is noise,
   a statutory notice never sent is a tribunal claim. A row is only taken back once the process
   that claimed it is gone (same host, process not running) or its claim is older than
   :data:`CLAIM_LEASE`, so a live scheduler's message is never sent twice by another one.

   A mail server takes responsibility for a message when it answers "250" to the end of its
   data (RFC 5321 section 6.1). A server that loses the connection before answering and then
   discards the message (aiosmtpd does) gets it exactly once from the restarted scheduler; a
   server that queued it before answering may deliver it twice, which is the in-doubt case
   above, and the repeat carries the same Message-ID.

Failures: a temporary one (server unreachable, 4xx) is retried after ``mail_retry_seconds``,
doubling each time, up to ``mail_max_attempts`` attempts; a permanent one (a 5xx refusal of the
address, an address that is not an email address, no address at all) is never retried and is
listed by ``transfer-engine outbox`` for HR to act on.
"""

from __future__ import annotations

import hashlib
import itertools
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from functools import lru_cache

import email_validator
from sqlalchemy import and_, insert, or_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import Session, select

from transfer_engine.config import Settings, get_settings
from transfer_engine.dates.clock import utcnow
from transfer_engine.domain import StepStatus
from transfer_engine.outbox.delivery import (
    DeliveryBackend,
    PermanentDeliveryError,
    TemporaryDeliveryError,
)
from transfer_engine.store.database import write_session
from transfer_engine.store.messages import Notice, NoticeKind, OutboxMessage, OutboxStatus
from transfer_engine.store.transfers import StepInstance, Transfer

log = logging.getLogger("transfer_engine.outbox.queue")

#: A claim older than this is taken back even if its process may still run (another host).
CLAIM_LEASE = timedelta(minutes=15)
#: The longest wait between two attempts.
MAX_BACKOFF = timedelta(hours=6)

# Identifies this process in claims: host, pid and a token (a later process may reuse the pid).
_TOKEN = uuid.uuid4().hex[:8]


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{_TOKEN}"


# ---------------------------------------------------------------------------------------------
# Deciding


@dataclass(frozen=True)
class PlannedMessage:
    """One recipient's message. ``problem`` set: it cannot be sent, HR is shown why.

    A rendered letter also carries its register entry (``letter_id``), its HTML alternative
    and its files to attach (see :func:`build_email`).
    """

    recipient_ref: str
    recipient: str | None
    audience: str
    subject: str
    body: str
    problem: str | None = None
    html_body: str | None = None
    attachments: tuple[dict[str, str], ...] = ()
    letter_id: int | None = None


@dataclass(frozen=True)
class PlannedNotice:
    """A notice a sweep has found due, with its messages, before it is written down."""

    key: str
    kind: NoticeKind
    planned_for: date
    decided_on: date
    messages: tuple[PlannedMessage, ...]
    transfer_id: int | None = None
    transfer_ref: str | None = None
    step_id: str | None = None
    due_date: date | None = None

    @property
    def late(self) -> bool:
        return self.decided_on > self.planned_for


def message_id_for(key: str, recipient_ref: str, sender: str) -> str:
    """A Message-ID that is the same every time this notice goes to this recipient."""
    digest = hashlib.sha256(f"{key}|{recipient_ref}".encode()).hexdigest()[:32]
    domain = sender.rpartition("@")[2] or "localhost"
    return f"<{digest}@{domain}>"


def existing_keys(session: Session, keys: Iterable[str]) -> set[str]:
    """Which of ``keys`` have already been decided."""
    found: set[str] = set()
    keys = list(dict.fromkeys(keys))
    for start in range(0, len(keys), 500):
        chunk = keys[start:start + 500]
        found.update(session.exec(select(Notice.key).where(Notice.key.in_(chunk))).all())
    return found


_NOTICE = Notice.__table__  # type: ignore[attr-defined]
_MESSAGE = OutboxMessage.__table__  # type: ignore[attr-defined]


# Built once, so that their compiled form is reused on every transition.
_INSERT_NOTICE = {
    name: module.insert(_NOTICE).on_conflict_do_nothing(index_elements=["key"])
    .returning(_NOTICE.c.id)
    for name, module in (("sqlite", sqlite), ("postgresql", postgresql))
}
_INSERT_NOTICE_MANY = {
    name: module.insert(_NOTICE).on_conflict_do_nothing(index_elements=["key"])
    .returning(_NOTICE.c.id, _NOTICE.c.key)
    for name, module in (("sqlite", sqlite), ("postgresql", postgresql))
}
_INSERT_MESSAGES = insert(_MESSAGE)


def _insert_notice(session: Session, values: dict[str, object]) -> int | None:
    """Insert a notice unless its key exists; its id, or None when it was already decided."""
    connection = session.connection()
    statement = _INSERT_NOTICE.get(connection.dialect.name)
    if statement is not None:
        return connection.execute(statement, values).scalar_one_or_none()
    try:  # other databases: a savepoint absorbs the unique-constraint violation
        with connection.begin_nested():
            return connection.execute(insert(_NOTICE).returning(_NOTICE.c.id),
                                      values).scalar_one()
    except IntegrityError:
        return None


def _notice_values(notice: PlannedNotice, now: datetime) -> dict[str, object]:
    return {
        "key": notice.key, "kind": notice.kind, "transfer_id": notice.transfer_id,
        "transfer_ref": notice.transfer_ref, "step_id": notice.step_id,
        "due_date": notice.due_date, "planned_for": notice.planned_for,
        "decided_on": notice.decided_on, "late": notice.late, "created_at": now,
    }


def _message_rows(notice_id: int, notice: PlannedNotice, settings: Settings,
                  now: datetime, messages: Iterable[PlannedMessage] | None = None
                  ) -> list[dict[str, object]]:
    rows = []
    for message in notice.messages if messages is None else messages:
        problem = message.problem or address_problem(message.recipient)
        rows.append({
            "notice_id": notice_id, "kind": notice.kind, "transfer_ref": notice.transfer_ref,
            "recipient_ref": message.recipient_ref, "recipient": message.recipient,
            "audience": message.audience, "subject": message.subject, "body": message.body,
            "message_id": message_id_for(notice.key, message.recipient_ref, settings.mail_from),
            "status": OutboxStatus.permanent_failure if problem else OutboxStatus.pending,
            "planned_for": notice.planned_for, "last_error": problem, "attempts": 0,
            "in_doubt": False, "late": False, "created_at": now,
            "letter_id": message.letter_id, "html_body": message.html_body,
            "attachments": [dict(a) for a in message.attachments] or None,
        })
        if problem:
            log.warning("cannot send %s %s to %s: %s", notice.kind.value, notice.key,
                        message.recipient_ref, problem)
    return rows


def enqueue(session: Session, notice: PlannedNotice,
            settings: Settings | None = None,
            messages: Iterable[PlannedMessage] | None = None) -> int | None:
    """Write a notice and its messages (in the caller's transaction); None if already decided.

    SQL Core, not ORM objects: this runs inside ``engine.advance`` for a state's letters, and a
    letter to a hundred employees is one notice row and one multi-row insert.

    ``messages``, when given, replaces ``notice.messages`` and is consumed only once the notice
    is known to be new, a batch at a time: a generator that renders and registers letters as
    it goes is never run for a notice already decided, and never holds every letter in memory.
    """
    settings = settings or get_settings()
    now = utcnow()
    notice_id = _insert_notice(session, _notice_values(notice, now))
    if notice_id is None:
        return None
    if messages is not None:
        iterator = iter(messages)
        while batch := list(itertools.islice(iterator, 100)):
            session.connection().execute(
                _INSERT_MESSAGES, _message_rows(notice_id, notice, settings, now, batch))
        return notice_id
    rows = _message_rows(notice_id, notice, settings, now)
    if rows:
        session.connection().execute(_INSERT_MESSAGES, rows)
    return notice_id


def enqueue_many(session: Session, notices: Sequence[PlannedNotice],
                 settings: Settings | None = None) -> list[PlannedNotice]:
    """Write many notices in two statements; returns those that were new.

    A sweep decides thousands of reminders on a busy morning: one multi-row insert of notices
    (conflicting keys skipped, as in :func:`enqueue`) and one of their messages costs a
    fraction of a statement pair per notice.
    """
    if not notices:
        return []
    connection = session.connection()
    statement = _INSERT_NOTICE_MANY.get(connection.dialect.name)
    if statement is None:
        return [n for n in notices if enqueue(session, n, settings) is not None]
    settings = settings or get_settings()
    now = utcnow()
    ids: dict[str, int] = {}
    for start in range(0, len(notices), 2_000):
        chunk = notices[start:start + 2_000]
        result = connection.execute(statement, [_notice_values(n, now) for n in chunk])
        ids.update({key: notice_id for notice_id, key in result.all()})
    new = [n for n in notices if n.key in ids]
    rows = [row for n in new for row in _message_rows(ids[n.key], n, settings, now)]
    for start in range(0, len(rows), 2_000):
        connection.execute(_INSERT_MESSAGES, rows[start:start + 2_000])
    return new


@lru_cache(maxsize=4096)
def address_problem(address: str | None) -> str | None:
    """Why ``address`` cannot be mailed, or None when it can (cached: an HR owner's address
    is checked once per process, not once per reminder)."""
    if not address:
        return "no email address is recorded for this recipient"
    try:
        email_validator.validate_email(address, check_deliverability=False)
    except email_validator.EmailNotValidError as exc:
        return f"{address!r} is not a valid email address ({exc}); correct it"
    return None


# ---------------------------------------------------------------------------------------------
# Delivering


def _aware(moment: datetime | None) -> datetime | None:
    # SQLite hands timestamps back without their timezone; they were written in UTC.
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment


def _pid_running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a killed process its parent has not reaped yet still answers kill(0)
        with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
            return handle.read().rpartition(")")[2].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def claimer_gone(claimed_by: str | None, claimed_at: datetime | None, now: datetime) -> bool:
    """Whether the process that claimed a message can no longer be sending it."""
    claimed_at = _aware(claimed_at)
    if not claimed_by or claimed_at is None or now - claimed_at > CLAIM_LEASE:
        return True
    host, _, rest = claimed_by.partition(":")
    pid_text, _, token = rest.partition(":")
    if host != socket.gethostname():
        return False  # cannot look at another host's processes: wait for the lease
    try:
        pid = int(pid_text)
    except ValueError:
        return True
    if pid == os.getpid():
        return token != _TOKEN
    return not _pid_running(pid)


def recover_in_doubt(engine: Engine | None = None,
                     now: datetime | None = None) -> list[OutboxMessage]:
    """Put messages left in ``sending`` by a process that died back in the queue.

    The mail server may or may not have accepted such a message before the process died; it is
    sent again with the same Message-ID and flagged ``in_doubt`` (see the module docstring).
    """
    now = now or datetime.now(UTC)
    recovered = []
    with write_session(engine) as session:
        rows = session.exec(select(OutboxMessage)
                            .where(OutboxMessage.status == OutboxStatus.sending)).all()
        for row in rows:
            if not claimer_gone(row.claimed_by, row.claimed_at, now):
                continue
            row.status = OutboxStatus.pending
            row.in_doubt = True
            row.next_attempt_at = None
            row.last_error = (
                f"in doubt: {row.claimed_by} stopped while sending it (claimed "
                f"{_aware(row.claimed_at):%Y-%m-%d %H:%M:%S} UTC); the server may already have it."
                " Sent again with the same Message-ID.")
            session.add(row)
            recovered.append(row)
            log.warning("outbox #%s (%s to %s) was being sent when %s stopped; sending it again "
                        "with the same Message-ID %s", row.id, row.subject, row.recipient,
                        row.claimed_by, row.message_id)
    return recovered


def _due_condition(today: date, now: datetime):  # type: ignore[no-untyped-def]
    return and_(
        OutboxMessage.status.in_([OutboxStatus.pending, OutboxStatus.failed]),
        OutboxMessage.planned_for <= today,
        or_(OutboxMessage.next_attempt_at.is_(None), OutboxMessage.next_attempt_at <= now,
            # the clock was put back: do not wait for hours that will not come
            OutboxMessage.next_attempt_at > now + MAX_BACKOFF),
    )


def due_messages(session: Session, today: date, now: datetime) -> Sequence[OutboxMessage]:
    """Messages a delivery run would send now (for dry runs)."""
    return session.exec(select(OutboxMessage).where(_due_condition(today, now))
                        .order_by(OutboxMessage.planned_for, OutboxMessage.id)).all()


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


def _claim_next(engine: Engine | None, today: date, now: datetime, skip: set[int],
                cancelled: list[Delivery]) -> tuple[OutboxMessage, Notice | None] | None:
    """Claim the next due message, cancelling stale ones on the way; None when none is due."""
    while True:
        with write_session(engine) as session:
            query = select(OutboxMessage).where(_due_condition(today, now))
            if skip:
                query = query.where(OutboxMessage.id.not_in(skip))
            row = session.exec(query.order_by(OutboxMessage.planned_for, OutboxMessage.id)
                               .limit(1).with_for_update(skip_locked=True)).first()
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
                .where(OutboxMessage.id == row.id, OutboxMessage.status == row.status)
                .values(status=OutboxStatus.sending, attempts=OutboxMessage.attempts + 1,
                        claimed_by=worker_id(), claimed_at=now)
            ).rowcount  # type: ignore[attr-defined]
            if claimed != 1:  # another process took it between the read and the update
                skip.add(row.id)  # type: ignore[arg-type]
                continue
            session.refresh(row)
            return row, notice


def build_email(row: OutboxMessage, settings: Settings, *, late: bool,
                now: datetime) -> EmailMessage:
    """The email for one outbox row: one recipient, a stable Message-ID, plain text.

    A letter adds its HTML alternative and its PDF (multipart/mixed); everything else stays a
    single 7-bit text part that reads as it stands in a text editor.
    """
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = row.recipient or ""
    message["Subject"] = row.subject
    message["Date"] = format_datetime(now)
    message["Message-ID"] = row.message_id
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies, please
    message["X-Transfer-Engine-Kind"] = row.kind.value
    message["X-Transfer-Engine-Planned-For"] = row.planned_for.isoformat()
    if late:
        message["X-Transfer-Engine-Late"] = f"planned for {row.planned_for.isoformat()}"
    # Plain 7-bit text stays readable in a text editor; anything else is quoted-printable.
    readable = row.body.isascii() and all(len(line) <= 998 for line in row.body.splitlines())
    message.set_content(row.body, cte="7bit" if readable else "quoted-printable")
    if row.html_body:
        message.add_alternative(row.html_body, subtype="html", cte="quoted-printable")
    for attachment in row.attachments or ():
        data = _attachment(attachment, settings)
        maintype, _, subtype = attachment["media_type"].partition(";")[0].partition("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype,
                               filename=attachment["filename"])
    return message


def _attachment(attachment: dict[str, str], settings: Settings) -> bytes:
    """An issued letter's file, refused if it is not the file the register recorded."""
    path = settings.letters_dir / attachment["path"]
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise TemporaryDeliveryError(
            f"cannot read the letter file {path}: {exc.strerror or exc}. Check "
            "TRANSFER_ENGINE_LETTERS_DIR and that the folder is available.") from None
    if hashlib.sha256(data).hexdigest() != attachment["sha256"]:
        raise PermanentDeliveryError(
            f"the letter file {path} has changed since the letter was issued, so it was not "
            "sent; run `transfer-engine letters verify` and issue the letter again")
    return data


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
    recovered: int = 0
    stopped_early: str | None = None


def _backoff(settings: Settings, attempts: int) -> timedelta:
    seconds = settings.mail_retry_seconds * 2 ** max(attempts - 1, 0)
    return min(timedelta(seconds=seconds), MAX_BACKOFF)


def _record(engine: Engine | None, row_id: int, **values: object) -> None:
    """Commit a message's outcome, trying again briefly if the database is busy.

    Losing this write would turn a delivered message into an in-doubt one (sent again), so a
    locked or briefly unavailable database is waited for rather than given up on at once.
    """
    for attempt in range(5):
        try:
            with write_session(engine) as session:
                session.execute(update(OutboxMessage).where(OutboxMessage.id == row_id)
                                .values(**values))
            return
        except OperationalError:
            if attempt == 4:
                raise
            time.sleep(0.5 * (attempt + 1))


def deliver_due(backend: DeliveryBackend, *, today: date, due_by: date | None = None,
                engine: Engine | None = None,
                settings: Settings | None = None,
                clock: Callable[[], datetime] = lambda: datetime.now(UTC),
                stop: threading.Event | None = None) -> DeliveryReport:
    """Send every message planned for ``due_by`` or earlier, one claim, send and commit at a time.

    ``today`` is the local date now (the ``--as-of`` date in a replay): a message delivered after
    its planned day is marked late. ``due_by`` defaults to ``today``; before the send time a
    sweep passes yesterday, so that nothing planned for today goes out before its time. Never
    raises for a bad message: each outcome is recorded on its row.
    """
    settings = settings or get_settings()
    due_by = due_by or today
    report = DeliveryReport(recovered=len(recover_in_doubt(engine, clock())))
    skip: set[int] = set()
    try:
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
    problem = address_problem(row.recipient)
    try:
        if problem:
            raise PermanentDeliveryError(problem)
        message = build_email(row, settings, late=outcome.late, now=now)
        where = backend.send(message)
    except PermanentDeliveryError as exc:
        outcome.status, outcome.error = OutboxStatus.permanent_failure.value, str(exc)
        _record(engine, row.id, status=OutboxStatus.permanent_failure, last_error=str(exc),
                next_attempt_at=None)
        log.error("%s NOT delivered, and will not be retried: %s", label, exc)
        return False
    except Exception as exc:  # a backend bug must not stop the scheduler
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
    # The one window that cannot be atomic: accepted by the server, not yet recorded here.
    _record(engine, row.id, status=OutboxStatus.sent, sent_at=now, sent_on=today, late=outcome.late,
            delivery_ref=where, last_error=None, next_attempt_at=None)
    outcome.status, outcome.where = OutboxStatus.sent.value, where
    log.info("sent %s%s%s (%s)", label, " LATE" if outcome.late else "",
             " (again: was in doubt)" if row.in_doubt else "", where)
    return False
