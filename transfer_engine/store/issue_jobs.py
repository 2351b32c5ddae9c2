"""Issues of a letter run in the background: one row per run, with its progress and outcome.

A letter to many recipients takes longer than a web request should, so the web app and the API
record the issue here and a worker thread (or the scheduler's next sweep, for a run a stopped
process left behind) carries it out, updating the counts as it goes; the page that shows the
run reads them. A small issue is recorded the same way and run at once, so that every issue,
large or small, has one record of exactly how many were issued and who was not, and why.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from transfer_engine.dates.clock import utcnow


class IssueJobStatus(enum.StrEnum):
    queued = "queued"        # recorded, waiting for a worker
    running = "running"      # a worker is issuing it (``heartbeat_at`` says it is alive)
    finished = "finished"    # done: see the counts (some may not have been issued)
    failed = "failed"        # stopped by a fault before the end; the counts say how far


class IssueJob(SQLModel, table=True):
    """One run of "issue this letter to its recipients"."""

    id: int | None = Field(default=None, primary_key=True)
    transfer_id: int = Field(index=True)
    transfer_ref: str
    letter: str
    letter_date: date
    actor: str
    # Only these recipients (None: everyone the letter goes to).
    recipients: list[str] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    override_reason: str | None = None
    status: IssueJobStatus = Field(default=IssueJobStatus.queued, index=True)
    total: int = 0           # recipients checked
    done: int = 0            # letters written so far
    issued: int = 0
    already: int = 0         # recipients who held the letter already
    # Those not issued: [{"recipient": ref, "label": who, "reason": why}] (capped).
    not_issued: list[dict[str, Any]] = Field(default_factory=list,
                                             sa_column=Column(JSON, nullable=False))
    not_issued_count: int = 0
    error: str | None = None
    created_at: datetime = Field(default_factory=utcnow)
    started_at: datetime | None = None
    heartbeat_at: datetime | None = None
    finished_at: datetime | None = None
