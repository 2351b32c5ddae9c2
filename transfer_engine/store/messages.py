"""Tables of the outbox: notices (one per idempotency key), their messages, letters owed by a
state, the scheduler's own state, and representatives' acknowledgements.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, ColumnElement, Index, UniqueConstraint, and_, bindparam
from sqlmodel import Field, SQLModel, col

from transfer_engine.dates.clock import utcnow

# ---------------------------------------------------------------------------------------------
# Deadline scheduler: notices decided once, delivered through an outbox
# (see transfer_engine.notices, transfer_engine.outbox and transfer_engine.ops.scheduler).


class NoticeKind(enum.StrEnum):
    reminder = "reminder"        # to the HR owner, before a step's deadline
    escalation = "escalation"    # to the escalation contact, when a step is overdue
    digest = "digest"            # to an HR owner, once a working day: what is due soon
    letter = "letter"            # a state's letter, to representatives or employees
    hr_alert = "hr-alert"        # to the HR owner: a letter cannot be delivered by email


class OutboxStatus(enum.StrEnum):
    pending = "pending"                      # waiting for its planned day / next attempt
    sending = "sending"                      # claimed by a scheduler process, being sent
    sent = "sent"                            # the mail server accepted it (or the file exists)
    failed = "failed"                        # a temporary failure; retried at next_attempt_at
    permanent_failure = "permanent-failure"  # will not be retried; HR must act
    cancelled = "cancelled"                  # no longer true (step done, deadline moved)


class Notice(SQLModel, table=True):
    """The decision, taken once, that something must be said about a transfer's deadline.

    ``key`` is the idempotency key: the transfer, the step (or letter), the kind and the due
    date, plus what makes two notices of one kind different (the day a reminder is for, the
    HR owner a digest is for). The unique constraint is what makes "exactly once" hold even if
    two sweeps race: the second insert of a key does nothing. The transfer is referenced by id
    and ref without a foreign key, so a notice (and what was sent) outlives a deleted transfer.
    """

    __table_args__ = (UniqueConstraint("key", name="uq_notice_key"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str
    kind: NoticeKind
    transfer_id: int | None = Field(default=None, index=True)
    transfer_ref: str | None = None
    step_id: str | None = None
    due_date: date | None = None
    planned_for: date
    decided_on: date
    late: bool = False
    created_at: datetime = Field(default_factory=utcnow)


class PendingLetter(SQLModel, table=True):
    """A letter a workflow state names, decided by the transition that entered the state.

    The transition only writes this row; the letter is rendered, registered and put in the
    outbox just after it commits, by whoever fired it or else by the next scheduler sweep (see
    :mod:`transfer_engine.letters.owed`). The row is deleted in the transaction that issues
    the letter. ``attempts`` and ``last_error`` show a letter that could not be issued because
    of a fault in the program or the database (a missing field is not such a fault: it alerts
    the HR owner and counts as done).
    """

    id: int | None = Field(default=None, primary_key=True)
    transfer_id: int = Field(index=True)
    transfer_ref: str
    letter: str
    letter_date: date
    actor: str
    created_at: datetime = Field(default_factory=utcnow)
    attempts: int = 0
    last_error: str | None = None


class OutboxMessage(SQLModel, table=True):
    """One email of a notice to one recipient, written in the transaction that decided it.

    Delivery claims a row (``sending``), hands it to the backend, and records the outcome in
    its own commit. ``message_id`` is derived from the notice key and the recipient, so a
    message sent again after a crash carries the same Message-ID.
    """

    __table_args__ = (
        UniqueConstraint("notice_id", "recipient_ref", name="uq_outbox_notice_recipient"),
    )

    id: int | None = Field(default=None, primary_key=True)
    notice_id: int = Field(foreign_key="notice.id", index=True)
    kind: NoticeKind
    transfer_ref: str | None = Field(default=None, index=True)
    # Who, stably ("hr-owner", "representative:3", "employee:LD-001"); and where to.
    recipient_ref: str
    recipient: str | None = None
    audience: str
    subject: str
    body: str
    message_id: str = Field(unique=True)
    status: OutboxStatus = Field(default=OutboxStatus.pending, index=True)
    planned_for: date = Field(index=True)
    attempts: int = 0
    next_attempt_at: datetime | None = None
    last_error: str | None = None
    claimed_by: str | None = None
    claimed_at: datetime | None = None
    # With the mail server, its answer not recorded yet (status sending); or, once its process
    # has gone or after a restore, held for HR to release (status pending): never sent again
    # on its own (see transfer_engine.outbox.recovery).
    in_doubt: bool = False
    sent_at: datetime | None = None
    sent_on: date | None = None
    late: bool = False
    # Where it went: the .eml file, or the SMTP server's reply.
    delivery_ref: str | None = None
    created_at: datetime = Field(default_factory=utcnow)
    # A rendered letter (see transfer_engine.letters): the register entry it delivers, its
    # HTML alternative, and files to attach ([{"path", "filename", "media_type", "sha256"}],
    # paths relative to the letters folder). Reminders and alerts have none of these.
    letter_id: int | None = Field(default=None, index=True)
    html_body: str | None = None
    attachments: list[dict[str, Any]] | None = Field(default=None,
                                                     sa_column=Column(JSON, nullable=True))


#: The statuses of a message a delivery run may still send: waiting, or failed and due again.
SENDABLE = (OutboxStatus.pending, OutboxStatus.failed)


def in_delivery_queue() -> ColumnElement[bool]:
    """Messages a delivery run may send (:data:`SENDABLE`, not held in doubt): the condition of
    the index below, written so that a query using it can use the index.

    The statuses go into the SQL as literals, not parameters: a database can use a partial
    index only when it can see that the query's condition implies the index's, and a prepared
    statement's parameters hide that (PostgreSQL's generic plans).
    """
    return and_(col(OutboxMessage.status).in_(bindparam(
                    "sendable", list(SENDABLE), expanding=True, literal_execute=True)),
                col(OutboxMessage.in_doubt).is_(False))


# The delivery queue, oldest first. A scheduler claims the first row of it that no other
# process holds: walking this index PostgreSQL stops there, where without it every claim read
# and sorted every waiting message (12 ms a claim with 10,000 due; two schedulers sending them
# took 187 s, 115 s with the index). SQLite's planner, with no statistics, keeps to the status
# index. Sent, cancelled and held messages are not in it, so it stays the size of the queue,
# not of the outbox's history.
Index("ix_outboxmessage_due", col(OutboxMessage.planned_for), col(OutboxMessage.id),
      postgresql_where=in_delivery_queue(), sqlite_where=in_delivery_queue())


# The SchedulerState row a scheduler process writes when a sweep finishes without error: its
# updated_at is the time, its value the sweep's duration in seconds. It is the heartbeat that
# readiness checks and metrics read (transfer_engine.views.operations).
SWEEP_FINISHED = "last_sweep_finished"


class SchedulerState(SQLModel, table=True):
    """What the scheduler remembers between runs (e.g. the last day swept), by name."""

    name: str = Field(primary_key=True)
    value: str
    updated_at: datetime = Field(default_factory=utcnow)


class NoticeAcknowledgement(SQLModel, table=True):
    """A union representative confirmed receipt of a notice: evidence for reg 13(2)."""

    __table_args__ = (UniqueConstraint("outbox_message_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    outbox_message_id: int = Field(foreign_key="outboxmessage.id", index=True)
    transfer_id: int | None = Field(default=None, foreign_key="transfer.id", index=True)
    user_id: int = Field(foreign_key="user.id")
    union: str
    acknowledged_at: datetime = Field(default_factory=utcnow)
