"""The outbox: notices are decided once and written down with their messages.

How "exactly once" is kept
--------------------------

1. *Deciding* (this module). A sweep (or the issue of a state's letters) inserts a
   :class:`~transfer_engine.store.messages.Notice` whose ``key`` is unique, and its
   :class:`~transfer_engine.store.messages.OutboxMessage` rows (one per recipient), in the same
   transaction. The insert is ``ON CONFLICT DO NOTHING``: a notice already decided, by this
   process or another, yields nothing new. A crash before the commit leaves nothing; after it,
   the messages are on disk and will be delivered. Nothing is decided twice, nothing decided is
   lost. Each message gets a Message-ID derived from the key and the recipient
   (:func:`message_id_for`), the same every time it is sent.

2. *Delivering* (:mod:`transfer_engine.outbox.worker`): claim, hand over, record, one message
   at a time, the server's answer committed as soon as it arrives.

3. *In doubt* (:mod:`transfer_engine.outbox.recovery`): a message that may have reached the
   server without the database knowing (a scheduler stopped in that window; a restored backup)
   is held for HR to release, never sent again on its own. After a restore, messages decided
   here for a day up to the restore are written already held (:func:`enqueue`).

The email itself is built by :mod:`transfer_engine.outbox.email`.
"""

from __future__ import annotations

import hashlib
import itertools
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache

import email_validator
from sqlalchemy import insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from transfer_engine.config import Settings, get_settings
from transfer_engine.dates.clock import utcnow
from transfer_engine.outbox.recovery import RESTORE_HOLD_NOTE, restore_hold_day
from transfer_engine.store.messages import Notice, NoticeKind, OutboxMessage, OutboxStatus

log = logging.getLogger("transfer_engine.outbox.queue")


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
        found.update(session.exec(select(Notice.key).where(col(Notice.key).in_(chunk))).all())
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
                  now: datetime, messages: Iterable[PlannedMessage] | None = None, *,
                  hold_day: date | None = None) -> list[dict[str, object]]:
    # After a restore, what is planned up to the restore day may already have gone out.
    held = hold_day is not None and notice.planned_for <= hold_day
    rows = []
    for message in notice.messages if messages is None else messages:
        problem = message.problem or address_problem(message.recipient)
        rows.append({
            "notice_id": notice_id, "kind": notice.kind, "transfer_ref": notice.transfer_ref,
            "recipient_ref": message.recipient_ref, "recipient": message.recipient,
            "audience": message.audience, "subject": message.subject, "body": message.body,
            "message_id": message_id_for(notice.key, message.recipient_ref, settings.mail_from),
            "status": OutboxStatus.permanent_failure if problem else OutboxStatus.pending,
            "planned_for": notice.planned_for, "attempts": 0,
            "last_error": problem or (RESTORE_HOLD_NOTE if held else None),
            "in_doubt": held and not problem, "late": False, "created_at": now,
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
    hold_day = restore_hold_day(session)
    if messages is not None:
        iterator = iter(messages)
        while batch := list(itertools.islice(iterator, 100)):
            session.connection().execute(
                _INSERT_MESSAGES, _message_rows(notice_id, notice, settings, now, batch,
                                                hold_day=hold_day))
        return notice_id
    rows = _message_rows(notice_id, notice, settings, now, hold_day=hold_day)
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
    hold_day = restore_hold_day(session)
    rows = [row for n in new
            for row in _message_rows(ids[n.key], n, settings, now, hold_day=hold_day)]
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
