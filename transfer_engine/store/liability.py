"""Changes to the employee liability information after it was given (TUPE reg 11(5)).

Once an employee's ELI schedule has been issued to the transferee, every later change to what
it said (a new pay rate, a grievance raised, an objection that takes the employee out of the
transfer) is kept here, with the day it changed, until a notice in writing tells the transferee
of it. ``before`` and ``after`` are the values as the schedule and the notice print them: they
are personal data, kept like the staff list itself and purged with it.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Field, SQLModel

from transfer_engine.dates.clock import utcnow


class EliChange(SQLModel, table=True):
    """One item of one employee's ELI that changed after the ELI was given."""

    id: int | None = Field(default=None, primary_key=True)
    transfer_id: int = Field(foreign_key="transfer.id", index=True)
    employee_ref: str
    # The staff-list column that changed (transfer_engine.rules.eli.ELI_ITEMS), or
    # "transferring" when the employee stopped (or started) transferring.
    item: str
    before: str | None = None
    after: str | None = None
    changed_on: date
    recorded_at: datetime = Field(default_factory=utcnow)
    recorded_by: str
    # The reg 11(5) notice that told the transferee (a letter in the register); None: not yet.
    notified_in: int | None = Field(default=None, foreign_key="letter.id", index=True)
