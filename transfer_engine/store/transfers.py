"""Tables of a transfer: the transfer itself, its key dates, its steps and the audit log.

Table models are not validated by SQLModel; what a user types goes through the pydantic schemas
in :mod:`transfer_engine.engine.inputs` first. Timestamps are UTC, timezone-aware.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from transfer_engine.dates.clock import utcnow
from transfer_engine.domain import Regime, StepStatus


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
