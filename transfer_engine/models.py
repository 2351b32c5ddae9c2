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
