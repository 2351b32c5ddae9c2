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
    # Set when the regime recorded contradicts what the receiving school's type decides
    # (rules.schools): what the type gives and the reason given for departing from it.
    regime_warning: str | None = None
    # Collective redundancies (TULRCA s.188): how many dismissals as redundant are proposed
    # at one establishment within 90 days, and which establishment. None: none recorded.
    proposed_dismissals: int | None = None
    establishment: str | None = None
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
    # Which party owes it (transferor, transferee or each), from the workflow.
    owed_by: str | None = None
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
    # Step evidence (see transfer_engine.rules.evidence). What completed the step ("reg13-
    # information to 2 representatives, the last on 2022-09-16"), or, while it is open, what
    # it still lacks after someone recorded it or after it was reopened.
    evidence_detail: str | None = None
    evidence_missing: str | None = None
    # Who recorded it as done, and the day it happened, when its evidence was not all there yet
    # (the reg 13 letters still to be issued, say): it is done once the evidence is.
    recorded_on: date | None = None
    recorded_by: str | None = None
    # Done without its evidence, by a person who gave a written reason (audited).
    override_reason: str | None = None
    overridden_by: str | None = None
    overridden_at: datetime | None = None
    # Done once, then its evidence stopped holding (a representative recorded after informing,
    # an employee added after the ELI): why, and when it was reopened.
    reopened_reason: str | None = None
    reopened_at: datetime | None = None


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
