"""What an operator watches, read from the database: the outbox, letters, the scheduler's
heartbeat and failed sign-ins.

Everything is counted from the tables when asked (for ``/metrics``, ``/readyz``), not kept in
a process's memory, so every web process and scheduler of one database gives the same figures,
and a restart loses none of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import func
from sqlmodel import Session, col, select

from transfer_engine.dates.clock import utcnow
from transfer_engine.store.accounts import LoginAttempt
from transfer_engine.store.messages import (
    SWEEP_FINISHED,
    OutboxMessage,
    OutboxStatus,
    PendingLetter,
    SchedulerState,
)
from transfer_engine.store.register import Letter


def _utc(moment: datetime) -> datetime:
    # SQLite gives back naive datetimes for values written as UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Heartbeat:
    """The last sweep that finished without error, by any scheduler process."""

    finished_at: datetime
    seconds: float

    def age(self, now: datetime | None = None) -> timedelta:
        return (now or utcnow()) - self.finished_at


def heartbeat(session: Session) -> Heartbeat | None:
    """When a scheduler last finished a sweep, and how long it took; None if none ever has."""
    row = session.get(SchedulerState, SWEEP_FINISHED)
    if row is None:
        return None
    try:
        seconds = float(row.value)
    except ValueError:
        seconds = 0.0
    return Heartbeat(_utc(row.updated_at), seconds)


@dataclass(frozen=True)
class OperationalFigures:
    """The counts behind ``/metrics``."""

    # (status, kind) -> messages
    outbox: dict[tuple[str, str], int] = field(default_factory=dict)
    # Messages held in doubt for HR: the mail server may have them (a scheduler stopped, or the
    # connection broke, before its answer; or a restore). Never sent again until released.
    in_doubt: int = 0
    # Template name -> letters issued (the register: superseded and purged ones included).
    letters_issued: dict[str, int] = field(default_factory=dict)
    letters_owed: int = 0
    heartbeat: Heartbeat | None = None
    # Failed password checks within the sign-in window (sign-in and change-password forms).
    sign_in_failures: int = 0


def figures(session: Session, *, sign_in_window: timedelta) -> OperationalFigures:
    """Count what :class:`OperationalFigures` holds, in a handful of indexed queries."""
    outbox = session.exec(select(OutboxMessage.status, OutboxMessage.kind, func.count())
                          .group_by(OutboxMessage.status, OutboxMessage.kind)).all()
    # Held ones only: a row being sent right now is marked in doubt too, for a moment.
    in_doubt = session.exec(select(func.count()).select_from(OutboxMessage)
                            .where(col(OutboxMessage.in_doubt).is_(True),
                                   col(OutboxMessage.status) == OutboxStatus.pending)).one()
    letters = session.exec(select(Letter.letter, func.count()).group_by(Letter.letter)).all()
    owed = session.exec(select(func.count()).select_from(PendingLetter)).one()
    failures = session.exec(select(func.count()).select_from(LoginAttempt).where(
        col(LoginAttempt.succeeded).is_(False),
        LoginAttempt.at > utcnow() - sign_in_window)).one()
    return OperationalFigures(
        outbox={(str(status), str(kind)): count for status, kind, count in outbox},
        in_doubt=in_doubt, letters_issued={name: count for name, count in letters},
        letters_owed=owed, heartbeat=heartbeat(session), sign_in_failures=failures)
