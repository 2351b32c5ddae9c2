"""The table of workflow versions that transfers run on.

A row is a workflow definition exactly as a transfer started with it: the resolved document
(see :mod:`transfer_engine.workflow.document`), its id, version and SHA-256. Rows are written
when a transfer is created or moved to another version, never changed afterwards, so a running
transfer keeps its steps, deadlines, guards and letters whatever happens to the file.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from transfer_engine.dates.clock import utcnow


class WorkflowVersion(SQLModel, table=True):
    """One version of a workflow definition, kept once for every transfer that uses it."""

    __table_args__ = (UniqueConstraint("workflow_id", "version", "sha256"),)

    id: int | None = Field(default=None, primary_key=True)
    workflow_id: str = Field(index=True)
    version: int
    sha256: str
    title: str
    source: str  # the file it was read from, by name: for messages only
    document: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    stored_at: datetime = Field(default_factory=utcnow)
    stored_by: str
