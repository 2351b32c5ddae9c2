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
    owed_by: str | None = None  # transferor, transferee or each employer (the workflow says)
    # Step evidence (rules.evidence): what shows it done; done without it by an override with
    # a written reason; reopened because it stopped holding; what an open step still lacks.
    evidence: str | None = None
    overridden: bool = False
    override_reason: str | None = None
    reopened_reason: str | None = None
    awaiting: str | None = None

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


def _evidence(step: StepInstance) -> dict[str, Any]:
    """The step's evidence as the timeline shows it. Summary lists (the dashboard) read steps
    without these columns: nothing is shown for them there."""
    done = step.status == StepStatus.done
    override = getattr(step, "override_reason", None)
    return {"evidence": getattr(step, "evidence_detail", None) if done else None,
            "overridden": bool(override) and done,
            "override_reason": override,
            "reopened_reason": None if done else getattr(step, "reopened_reason", None),
            "awaiting": None if done else getattr(step, "evidence_missing", None)}


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
            note=_note(step), owed_by=step.owed_by,
            **_evidence(step),
        ))
    return out


def timeline(session: Session, ref: str, today: date | None = None) -> list[TimelineEntry]:
    transfer = get_transfer(session, ref)
    return entries(list(steps_of(session, transfer).values()), today or date.today())


def next_deadline(session: Session, transfer: Transfer, today: date) -> TimelineEntry | None:
    """The soonest open step; none once the transfer is closed or cancelled (it owes nothing)."""
    if definition_of(transfer, session).states[transfer.state].final:
        return None
    open_entries = [e for e in entries(list(steps_of(session, transfer).values()), today)
                    if e.status == StepStatus.open.value and e.due_date]
    return open_entries[0] if open_entries else None


__all__ = ["TimelineEntry", "definition_of", "entries", "is_late", "next_deadline", "timeline"]
