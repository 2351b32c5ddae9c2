"""Messages whose fate is unknown: held "in doubt" until HR releases them.

A message is *in doubt* when the mail server may have it but the database does not say so.
Sending it again could give someone a statutory notice twice; not sending it could mean it
never arrives. Neither can be decided by the engine, so such a message is **held**: it is not
sent again by a restart, by the end of a claim's lease or by another scheduler, and it is listed
for HR (the CLI's outbox listing, the transfer's Letters page) until someone who can ask the
recipient releases it (:func:`release`), which is audited with its reason. A released message
goes out once more with the same Message-ID, so a mail system that keeps them can recognise it.

How a message comes to be in doubt:

* *A scheduler stopped while the mail server had it.* Just before handing a message over, the
  worker marks its row ``in_doubt`` (status ``sending``); recording the server's answer clears
  the mark. A row found in ``sending`` whose claimer has gone (:func:`claimer_gone`) is put back
  in the queue if it was never handed over, and held if it was (:func:`recover_in_doubt`).
* *The connection broke before the server answered.* The message had gone to the server (all or
  part of it), which may have accepted it: the worker holds it at once
  (:mod:`transfer_engine.outbox.worker`).
* *A restore.* A backup knows nothing of what was sent after it was taken, so every message not
  yet sent when the backup was taken may have gone out since: after a restore they are all held,
  and so is any message decided afterwards for a day up to the restore (the same notice, decided
  again, may have gone out before the restore). See :func:`hold_after_restore`.

Row states, for reference: ``sending`` and not ``in_doubt``: claimed, not yet with the server;
``sending`` and ``in_doubt``: with the server; ``pending`` and ``in_doubt``: held for HR.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import ColumnElement, and_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from transfer_engine.dates.clock import utcnow
from transfer_engine.errors import FieldProblem, NotFoundError, ValidationError
from transfer_engine.store.database import write_session
from transfer_engine.store.messages import OutboxMessage, OutboxStatus, SchedulerState
from transfer_engine.store.queries import audit
from transfer_engine.store.transfers import Transfer

log = logging.getLogger("transfer_engine.outbox.recovery")

#: A claim older than this is taken back even if its process may still run (another host).
#: Taking back never sends a message that was handed to the server: that one is held.
CLAIM_LEASE = timedelta(minutes=15)

#: The scheduler-state row a backup writes into its copy: when the copy was taken (UTC).
BACKUP_TAKEN = "backup_taken_at"
#: The row a restore writes: what was restored, when, and up to which day new messages are held.
RESTORED = "restored_from_backup"

#: Statuses of a message that has not been sent and may still be.
UNSENT = (OutboxStatus.pending, OutboxStatus.sending, OutboxStatus.failed)

#: How every held message's ``last_error`` ends: a page shows it as it is, and each front end
#: adds how to release it.
RELEASE_ONCE_CHECKED = "release it once you have checked that the recipient does not have it"

# Identifies this process in claims: host, pid and a token (a later process may reuse the pid).
_TOKEN = uuid.uuid4().hex[:8]


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{_TOKEN}"


def aware(moment: datetime | None) -> datetime | None:
    """``moment`` with its timezone: SQLite hands timestamps back without it (they are UTC)."""
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
    claimed_at = aware(claimed_at)
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


# ---------------------------------------------------------------------------------------------
# A scheduler that stopped mid-message


@dataclass(frozen=True)
class Recovered:
    """What :func:`recover_in_doubt` did: messages put back in the queue, and messages held."""

    requeued: list[int]
    held: list[int]


def recover_in_doubt(engine: Engine | None = None, now: datetime | None = None) -> Recovered:
    """Deal with messages left in ``sending`` by a process that has gone (or whose lease ended).

    Never handed to the server: back in the queue (nothing was sent). Handed over: held in
    doubt for HR, never sent again here.
    """
    now = now or datetime.now(UTC)
    requeued: list[int] = []
    held: list[int] = []
    with write_session(engine) as session:
        rows = session.exec(select(OutboxMessage)
                            .where(OutboxMessage.status == OutboxStatus.sending)).all()
        for row in rows:
            if not claimer_gone(row.claimed_by, row.claimed_at, now):
                continue
            assert row.id is not None
            claimed = aware(row.claimed_at)
            when = f"{claimed:%Y-%m-%d %H:%M:%S} UTC" if claimed else "at an unknown time"
            if row.in_doubt:
                row.status = OutboxStatus.pending
                row.next_attempt_at = None
                row.last_error = (
                    f"held: it may have been delivered before {row.claimed_by} stopped (it had "
                    f"handed it to the mail server, claimed {when}, but never recorded the "
                    f"answer); {RELEASE_ONCE_CHECKED}")
                held.append(row.id)
                log.warning("outbox #%s (%s to %s) was with the mail server when %s stopped; "
                            "held in doubt for HR, not sent again (Message-ID %s)", row.id,
                            row.subject, row.recipient, row.claimed_by, row.message_id)
            else:
                row.status = OutboxStatus.pending
                row.next_attempt_at = None
                row.last_error = (f"{row.claimed_by} stopped before handing it to the mail "
                                  f"server (claimed {when}); sent at the next attempt")
                requeued.append(row.id)
                log.info("outbox #%s was claimed by %s, which stopped before sending it; back "
                         "in the queue", row.id, row.claimed_by)
            row.claimed_by = None
            session.add(row)
    return Recovered(requeued, held)


# ---------------------------------------------------------------------------------------------
# Backups and restores


def hold_after_restore(engine: Engine | None, *, backup_taken_at: datetime | None,
                       backup_name: str, restored_day: date, actor: str,
                       now: datetime | None = None) -> list[int]:
    """Hold every message a restored database would otherwise send again; returns their ids.

    Run on the restored database, before any scheduler starts on it. What the backup holds as
    not yet sent (pending, being sent, failed for now) may have been sent after the backup was
    taken: held, with the reason. Messages decided later for a day up to ``restored_day`` are
    held as they are written (see :func:`restore_hold_day`), since the same notice may have gone
    out between the backup and the restore under a row the backup does not have.
    """
    now = now or utcnow()
    taken = aware(backup_taken_at)
    taken_text = f"{taken:%Y-%m-%d %H:%M:%S} UTC" if taken else "at an unknown time"
    held: list[int] = []
    with write_session(engine) as session:
        rows = session.exec(select(OutboxMessage)
                            .where(col(OutboxMessage.status).in_(UNSENT))).all()
        for row in rows:
            assert row.id is not None
            created, claimed = aware(row.created_at), aware(row.claimed_at)
            after = taken is not None and any(
                t is not None and t > taken for t in (created, claimed))
            why = ("was decided or being sent after the backup was taken" if after
                   else "was not yet sent when the backup was taken")
            row.last_error = (
                f"held: it may have been delivered before the restore (it {why}: "
                f"{backup_name}, taken {taken_text}); {RELEASE_ONCE_CHECKED}")
            row.status, row.in_doubt = OutboxStatus.pending, True
            row.claimed_by, row.next_attempt_at = None, None
            session.add(row)
            held.append(row.id)
        _put_state(session, RESTORED, json.dumps({
            "backup": backup_name, "backup_taken_at": taken.isoformat() if taken else None,
            "restored_at": now.isoformat(), "hold_until_day": restored_day.isoformat()}), now)
        audit(session, None, actor, "database-restored", data={
            "backup": backup_name, "backup_taken_at": taken.isoformat() if taken else None,
            "messages_held": len(held), "hold_until_day": restored_day.isoformat()})
    if held:
        log.warning("restore: %s message(s) not sent when the backup was taken are held in "
                    "doubt for HR", len(held))
    return held


def _put_state(session: Session, name: str, value: str, now: datetime) -> None:
    table = SchedulerState.__table__  # type: ignore[attr-defined]
    dialect = session.connection().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(table).values(name=name, value=value, updated_at=now)
    session.connection().execute(statement.on_conflict_do_update(
        index_elements=["name"], set_={"value": value, "updated_at": now}))


def restore_hold_day(session: Session) -> date | None:
    """After a restore: messages planned for this day or earlier are written held (or None).

    Read once per session (the enqueue of a hundred letters asks a hundred times).
    """
    cache = session.info.setdefault("transfer_engine.restore_hold_day", {})
    if "day" not in cache:
        state = session.get(SchedulerState, RESTORED)
        day = None
        if state is not None:
            try:
                day = date.fromisoformat(json.loads(state.value)["hold_until_day"])
            except (ValueError, KeyError, TypeError):
                day = None
        cache["day"] = day
    return cache["day"]


RESTORE_HOLD_NOTE = ("held: it may have been delivered before the restore (it was decided again "
                     "for a day up to the restore, and the same notice may have gone out from a "
                     f"row the backup does not have); {RELEASE_ONCE_CHECKED}")


# ---------------------------------------------------------------------------------------------
# HR's decision


@dataclass(frozen=True)
class Released:
    id: int
    transfer_ref: str | None
    recipient: str | None
    subject: str


def held_messages(session: Session, transfer_ref: str | None = None) -> Sequence[OutboxMessage]:
    """Messages held in doubt, oldest first."""
    query = select(OutboxMessage).where(_held())
    if transfer_ref is not None:
        query = query.where(OutboxMessage.transfer_ref == transfer_ref)
    return session.exec(query.order_by(col(OutboxMessage.id))).all()


def _held() -> ColumnElement[bool]:
    return and_(col(OutboxMessage.in_doubt).is_(True),
                col(OutboxMessage.status) == OutboxStatus.pending)


def is_held(row: OutboxMessage) -> bool:
    return row.in_doubt and row.status == OutboxStatus.pending


def release(session: Session, ids: Sequence[int] | None, *, reason: str, actor: str,
            transfer_ref: str | None = None) -> list[Released]:
    """Release held messages (``ids``, or all when None) to be sent once more; audited.

    ``transfer_ref`` limits the release to one transfer (the web page of a transfer passes its
    own). Refuses a message that is not held, naming it, and releases nothing then.
    """
    reason = " ".join(reason.split())
    if not reason:
        raise ValidationError(field_problems=[FieldProblem(
            "release_reason", "is required: say what was checked, such as \"the recipient "
            "confirmed they did not receive it\"", label="reason for releasing",
            code="required")])
    if ids is None:
        rows = list(held_messages(session, transfer_ref))
    else:
        rows = []
        for message_id in dict.fromkeys(ids):
            row = session.get(OutboxMessage, message_id)
            if row is None or (transfer_ref is not None and row.transfer_ref != transfer_ref):
                raise NotFoundError(f"there is no outbox message #{message_id}")
            if not is_held(row):
                raise ValidationError(
                    f"outbox message #{message_id} is not held in doubt (it is "
                    f"{row.status.value}); only held messages can be released")
            rows.append(row)
    released = []
    transfers: dict[str | None, Transfer | None] = {}
    for row in rows:
        assert row.id is not None
        # Only a row still held is released: two people releasing at once send it once.
        changed = session.execute(
            update(OutboxMessage).where(col(OutboxMessage.id) == row.id, _held())
            .values(in_doubt=False, next_attempt_at=None,
                    last_error=f"released by {actor} on {utcnow():%Y-%m-%d %H:%M} UTC: "
                               f"{reason}")).rowcount  # type: ignore[attr-defined]
        if changed != 1:
            continue
        if row.transfer_ref not in transfers:
            transfers[row.transfer_ref] = session.exec(
                select(Transfer).where(Transfer.ref == row.transfer_ref)).first() \
                if row.transfer_ref else None
        # The recipient by reference only: the audit log holds no personal data.
        audit(session, transfers[row.transfer_ref], actor, "outbox-message-released", data={
            "message": row.id, "recipient": row.recipient_ref, "kind": row.kind.value,
            "message_id": row.message_id, "reason": reason})
        released.append(Released(row.id, row.transfer_ref, row.recipient, row.subject))
    return released
