"""A transfer's deadlines as HR reads them: due dates, working due dates, days left, lateness."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from sqlmodel import Session

from transfer_engine.dates.working_days import bank_holiday_name
from transfer_engine.domain import StepStatus
from transfer_engine.store.queries import definition_of, get_transfer, steps_of
from transfer_engine.store.transfers import StepInstance, Transfer


@dataclass(frozen=True)
class TimelineEntry:
    step: str
    title: str
    legal_basis: str
    status: str
    due_date: date | None
    working_due_date: date | None
    days_left: int | None
    late: bool
    done_on: date | None
    done_by: str | None
    note: str

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("due_date", "working_due_date", "done_on"):
            data[key] = data[key].isoformat() if data[key] else None
        return data


def is_late(step: StepInstance, today: date) -> bool:
    """Done after its statutory date, or still open after it."""
    if step.due_date is None or step.status == StepStatus.not_applicable:
        return False
    if step.status == StepStatus.done:
        return step.done_on is not None and step.done_on > step.due_date
    return today > step.due_date


def _note(step: StepInstance) -> str:
    if step.status == StepStatus.not_applicable:
        return f"not applicable: {step.not_applicable_reason}"
    if step.due_date and step.working_due_date and step.working_due_date != step.due_date:
        why = bank_holiday_name(step.due_date) or step.due_date.strftime("%A")
        return f"due date falls on {why}; last working day before it shown"
    return ""


def entries(steps: list[StepInstance], today: date) -> list[TimelineEntry]:
    ordered = sorted(steps, key=lambda s: (s.due_date or date.max, s.position))
    out = []
    for step in ordered:
        days_left = None
        if step.working_due_date and step.status == StepStatus.open:
            days_left = (step.working_due_date - today).days
        out.append(TimelineEntry(
            step=step.step_id, title=step.title, legal_basis=step.legal_basis,
            status=step.status.value, due_date=step.due_date,
            working_due_date=step.working_due_date, days_left=days_left,
            late=is_late(step, today), done_on=step.done_on, done_by=step.done_by,
            note=_note(step),
        ))
    return out


def timeline(session: Session, ref: str, today: date | None = None) -> list[TimelineEntry]:
    transfer = get_transfer(session, ref)
    return entries(list(steps_of(session, transfer).values()), today or date.today())


def next_deadline(session: Session, transfer: Transfer, today: date) -> TimelineEntry | None:
    open_entries = [e for e in entries(list(steps_of(session, transfer).values()), today)
                    if e.status == StepStatus.open.value and e.due_date]
    return open_entries[0] if open_entries else None


__all__ = ["TimelineEntry", "definition_of", "entries", "is_late", "next_deadline", "timeline"]
