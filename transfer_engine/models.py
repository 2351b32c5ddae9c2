"""The database tables.

Table models are not validated by SQLModel; everything a user types goes through the pydantic
schemas in :mod:`transfer_engine.schemas` first. Timestamps are UTC, timezone-aware.
"""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Column, Numeric, UniqueConstraint
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    """Now, in UTC, timezone-aware."""
    return datetime.now(UTC)


class OrganisationKind(enum.StrEnum):
    council = "council"
    trust = "trust"
    school = "school"
    company = "company"
    other = "other"


class SchoolType(enum.StrEnum):
    """Who employs a school's staff depends on its type (see :mod:`transfer_engine.schools`)."""

    community = "community"
    voluntary_controlled = "voluntary-controlled"
    foundation = "foundation"
    voluntary_aided = "voluntary-aided"
    academy = "academy"


class Regime(enum.StrEnum):
    """The legal regime a move of staff falls under."""

    tupe = "TUPE"
    cosop = "COSOP"
    not_a_transfer = "not-a-transfer"


class RepresentativeKind(enum.StrEnum):
    recognised_union = "recognised-union"
    elected = "elected"


class StepStatus(enum.StrEnum):
    open = "open"
    done = "done"
    not_applicable = "not-applicable"


class Organisation(SQLModel, table=True):
    """A council, trust, school or company that employs, sends or receives staff."""

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(index=True, unique=True)
    name: str
    kind: OrganisationKind
    school_type: SchoolType | None = None
    # For community and voluntary-controlled schools the maintaining council is the employer.
    maintaining_authority_id: int | None = Field(default=None, foreign_key="organisation.id")
    # Reg 13A thresholds depend on how many people the employer employs.
    headcount: int | None = None


class Transfer(SQLModel, table=True):
    """One move of staff from a transferor to a transferee, run as a state machine."""

    id: int | None = Field(default=None, primary_key=True)
    ref: str = Field(index=True, unique=True)
    title: str
    workflow_id: str
    workflow_version: int
    regime: Regime
    regime_reason: str
    transferor_id: int = Field(foreign_key="organisation.id")
    transferee_id: int = Field(foreign_key="organisation.id")
    state: str = Field(index=True)
    # Optimistic locking: every write bumps it; a writer that read an older version conflicts.
    version: int = 1
    parent_id: int | None = Field(default=None, foreign_key="transfer.id", index=True)
    hr_owner: str | None = None
    escalation_contact: str | None = None
    sample_data: bool = False
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class KeyDate(SQLModel, table=True):
    """A named date of a transfer (decision, transfer, ...) from which deadlines are counted."""

    __table_args__ = (UniqueConstraint("transfer_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    transfer_id: int = Field(foreign_key="transfer.id", index=True)
    name: str
    value: date


class Employee(SQLModel, table=True):
    """A person employed in the undertaking. Demo and test employees are synthetic."""

    __table_args__ = (UniqueConstraint("transfer_id", "employee_ref"),)

    id: int | None = Field(default=None, primary_key=True)
    transfer_id: int = Field(foreign_key="transfer.id", index=True)
    employee_ref: str
    full_name: str
    email: str | None = None
    role: str
    fte: Decimal = Field(sa_column=Column(Numeric(5, 2), nullable=False))
    weekly_pay: Decimal = Field(sa_column=Column(Numeric(10, 2), nullable=False))
    date_of_birth: date | None = None
    in_scope: bool = True
    # Reg 4(7): an objection ends employment at the transfer, without a dismissal.
    objected_on: date | None = None
    synthetic: bool = False


class Representative(SQLModel, table=True):
    """A recognised trade union or elected representative of affected employees (reg 13)."""

    id: int | None = Field(default=None, primary_key=True)
    transfer_id: int = Field(foreign_key="transfer.id", index=True)
    organisation_id: int = Field(foreign_key="organisation.id")
    kind: RepresentativeKind
    name: str
    union: str | None = None
    email: str
    # When no employees are linked, the representative speaks for all of the organisation's
    # affected employees in this transfer.
    synthetic: bool = False


class RepresentedEmployee(SQLModel, table=True):
    """Which employees a representative represents, when not all of them."""

    representative_id: int = Field(foreign_key="representative.id", primary_key=True)
    employee_id: int = Field(foreign_key="employee.id", primary_key=True)


class StepInstance(SQLModel, table=True):
    """A step of a transfer's workflow, with its deadline worked out for this transfer."""

    __table_args__ = (UniqueConstraint("transfer_id", "step_id"),)

    id: int | None = Field(default=None, primary_key=True)
    transfer_id: int = Field(foreign_key="transfer.id", index=True)
    step_id: str
    title: str
    legal_basis: str
    position: int = 0
    status: StepStatus = StepStatus.open
    # The date the law (or the workflow) sets, and the last working day on or before it.
    due_date: date | None = Field(default=None, index=True)
    working_due_date: date | None = None
    rule_effective_from: date | None = None
    not_applicable_reason: str | None = None
    done_at: datetime | None = None
    done_on: date | None = None
    done_by: str | None = None
    evidence: str | None = None


class AuditEntry(SQLModel, table=True):
    """One change, appended and never updated or deleted (database triggers refuse both)."""

    id: int | None = Field(default=None, primary_key=True)
    transfer_id: int | None = Field(default=None, foreign_key="transfer.id", index=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    actor: str
    action: str
    from_state: str | None = None
    to_state: str | None = None
    # Never personal data: employees appear by their reference only.
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


# ---------------------------------------------------------------------------------------------
# Deadline scheduler: notices decided once, delivered through an outbox
# (see transfer_engine.notices, transfer_engine.outbox and transfer_engine.scheduler).


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
    :mod:`transfer_engine.state_letters`). The row is deleted in the transaction that issues
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
    # The scheduler stopped while this message was with the mail server; sent again.
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


class SchedulerState(SQLModel, table=True):
    """What the scheduler remembers between runs (e.g. the last day swept), by name."""

    name: str = Field(primary_key=True)
    value: str
    updated_at: datetime = Field(default_factory=utcnow)


# ---------------------------------------------------------------------------------------------
# Web app: people who sign in, what they may see, and the evidence they leave
# (see transfer_engine.web). Secrets are never stored: passwords as argon2id hashes, session,
# API and calendar tokens as SHA-256 hashes of random values (a leaked database gives no way in).


class Role(enum.StrEnum):
    """What a signed-in person may do (enforced in transfer_engine.web.auth)."""

    hr_admin = "hr_admin"        # everything, on every transfer, and managing users
    hr_officer = "hr_officer"    # the transfers they are assigned to
    viewer = "viewer"            # read only, every transfer, never personal data
    union_rep = "union_rep"      # the representatives' portal only


class User(SQLModel, table=True):
    """Someone who signs in to the web app or uses its API."""

    id: int | None = Field(default=None, primary_key=True)
    # Case-folded on the way in, so "Jo@Example.org" and "jo@example.org" are one account.
    username: str = Field(index=True, unique=True)
    display_name: str
    role: Role
    password_hash: str
    active: bool = True
    # Created by `serve --demo`: sample accounts whose passwords are reset on every demo start.
    demo: bool = False
    created_at: datetime = Field(default_factory=utcnow)
    password_changed_at: datetime = Field(default_factory=utcnow)


class TransferAssignment(SQLModel, table=True):
    """An HR officer works on this transfer (and on its child transfers, for a programme)."""

    user_id: int = Field(foreign_key="user.id", primary_key=True)
    transfer_id: int = Field(foreign_key="transfer.id", primary_key=True)
    assigned_at: datetime = Field(default_factory=utcnow)
    assigned_by: str


class UnionRepLink(SQLModel, table=True):
    """A union representative user speaks for one union at one employer.

    They see a transfer's notices only where that union is recorded as a recognised
    representative of that employer's staff on the transfer (reg 13(3)(a)).
    """

    __table_args__ = (UniqueConstraint("user_id", "union", "organisation_id"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    union: str
    organisation_id: int = Field(foreign_key="organisation.id")


class WebSession(SQLModel, table=True):
    """A signed-in browser. The cookie holds a random token; only its hash is kept here."""

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(index=True, unique=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    created_at: datetime = Field(default_factory=utcnow)
    last_seen_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    # A one-off message for the next page (post/redirect/get), e.g. "Step marked as done".
    flash: str | None = None


class ApiToken(SQLModel, table=True):
    """A bearer token for the JSON API, acting with its user's role and assignments."""

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    name: str
    token_hash: str = Field(index=True, unique=True)
    # The first characters of the token, so that a user can tell their tokens apart.
    prefix: str
    created_at: datetime = Field(default_factory=utcnow)
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None


class CalendarFeedToken(SQLModel, table=True):
    """The secret in a calendar subscription URL (Outlook cannot send a password)."""

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    token_hash: str = Field(index=True, unique=True)
    created_at: datetime = Field(default_factory=utcnow)
    revoked_at: datetime | None = None


class LoginAttempt(SQLModel, table=True):
    """Each sign-in attempt, kept to slow down password guessing (see web.security)."""

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(index=True)
    ip: str = Field(index=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    succeeded: bool = False


class NoticeAcknowledgement(SQLModel, table=True):
    """A union representative confirmed receipt of a notice: evidence for reg 13(2)."""

    __table_args__ = (UniqueConstraint("outbox_message_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    outbox_message_id: int = Field(foreign_key="outboxmessage.id", index=True)
    transfer_id: int | None = Field(default=None, foreign_key="transfer.id", index=True)
    user_id: int = Field(foreign_key="user.id")
    union: str
    acknowledged_at: datetime = Field(default_factory=utcnow)


# ---------------------------------------------------------------------------------------------
# Letters: the facts a letter needs beyond the engine's own records, the template versions used,
# and the register of every letter issued (see transfer_engine.letters). The register is
# evidence: rows are only ever added (a letter sent again or corrected is a new row that
# supersedes the old one), and transfers are referenced by id and ref without a foreign key so
# that the record of what was sent outlives the transfer.


class LetterParticulars(SQLModel, table=True):
    """What letters say that the engine does not otherwise record, for one scope.

    ``scope`` is ``transfer:<id>`` (the service, reasons, measures, meeting...),
    ``transfer:<id>/employee:<ref>`` (address, grade, service start...),
    ``transfer:<id>/representative:<id>`` or ``organisation:<slug>`` (letterhead, signatory).
    ``data`` is validated by :mod:`transfer_engine.letters.particulars` before it is written.
    """

    id: int | None = Field(default=None, primary_key=True)
    scope: str = Field(unique=True)
    transfer_id: int | None = Field(default=None, index=True)
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    updated_at: datetime = Field(default_factory=utcnow)
    updated_by: str


class LetterTemplateVersion(SQLModel, table=True):
    """A letter's template exactly as it was used: every source file it was compiled from.

    ``version`` is the SHA-256 of those sources (metadata included, as it is part of the
    source), so a letter re-rendered from its stored data and this version gives the same
    bytes even after the template on disk has been edited.
    """

    id: int | None = Field(default=None, primary_key=True)
    version: str = Field(unique=True)
    letter: str = Field(index=True)
    sources: dict[str, str] = Field(sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)


class LetterStatus(enum.StrEnum):
    issued = "issued"
    superseded = "superseded"
    # The retention period has passed: files and data are gone, the hashes stay as a record.
    purged = "purged"


class Letter(SQLModel, table=True):
    """One issued letter to one recipient: the register entry (evidence of what was sent).

    ``key`` makes issuing idempotent: the transfer, the letter, the recipient (and whom the
    letter is about, for an ELI schedule) and the edition. A second issue of the same letter to
    the same recipient is refused unless it is a new edition that supersedes the last one.
    ``data`` is the exact context the template was rendered with (typed values tagged, see
    ``transfer_engine.letters.data``); ``data_sha256`` its hash.
    """

    __table_args__ = (UniqueConstraint("key", name="uq_letter_key"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str
    transfer_id: int = Field(index=True)
    transfer_ref: str = Field(index=True)
    letter: str = Field(index=True)
    edition: str = "1"
    template_version: str
    recipient_ref: str
    about_ref: str | None = None
    recipient_label: str
    recipient_email: str | None = None
    audience: str
    subject: str
    letter_date: date
    data: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    data_sha256: str
    sample_data: bool = False
    issued_at: datetime = Field(default_factory=utcnow)
    issued_by: str
    status: LetterStatus = LetterStatus.issued
    supersedes_id: int | None = Field(default=None, foreign_key="letter.id")
    superseded_by_id: int | None = Field(default=None, foreign_key="letter.id")


class LetterFile(SQLModel, table=True):
    """One rendered file of an issued letter (PDF, DOCX, email HTML, plain text)."""

    __table_args__ = (UniqueConstraint("letter_id", "format"),)

    id: int | None = Field(default=None, primary_key=True)
    letter_id: int = Field(foreign_key="letter.id", index=True)
    format: str
    # Relative to the letters folder (TRANSFER_ENGINE_LETTERS_DIR).
    path: str
    media_type: str
    sha256: str
    size: int
