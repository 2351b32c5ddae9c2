"""What to send, to whom, and on which day: reminders, escalations, digests and state letters.

Deadlines stay in ``stepinstance``; nothing here is remembered in memory between sweeps. Each
function looks at the day a sweep stands on and returns the notices that are due by then
(:class:`~transfer_engine.outbox.PlannedNotice`), each with its idempotency key; the outbox
writes them once (see :mod:`transfer_engine.outbox.queue`).

The rules:

* **Reminders** go to the transfer's HR owner at each of the step's offsets (the workflow's
  ``reminders:``, days before the statutory due date). A reminder day that is not a working day
  in England and Wales moves to the working day before it; offsets that land on the same day
  give one reminder. Key: transfer, step, due date and reminder day.
* **Missed reminders** (the scheduler was not running): only the latest reminder day that has
  come is sent, marked late. The earlier ones would only repeat it with a wrong count of days
  left. A reminder is never sent once the deadline has passed; the escalation takes over.
* **Escalations** go to the transfer's escalation contact on the first working day after the
  statutory due date while the step is still open; once per step and due date (a rescheduled
  due date is a new key). Without an escalation contact they go to the HR owner.
* **Digests** go to each HR owner on each working day on which any of their steps is due
  within ``digest_days`` (default 14) or overdue. Only the day's own digest is sent: yesterday's
  missed digest is superseded by today's.
* **Letters** named by a workflow state (``letters:``) are owed from the transaction that
  enters the state and issued just after it (see :mod:`transfer_engine.letters.owed`).

Transfers in a final state (closed, cancelled) get no reminders, escalations or digests.

Each sweep reads only what can be due, by ranges of the indexed ``due_date`` worked out from the
day and the reminder offsets in use (:func:`reminder_ranges`), so a sweep over a million future
deadlines with nothing due reads nothing.
"""

from __future__ import annotations

import logging
import textwrap
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy import or_
from sqlmodel import Session, col, select

from transfer_engine.dates.working_days import (
    is_working_day,
    last_working_day_on_or_before,
    next_working_day_on_or_after,
)
from transfer_engine.domain import StepStatus
from transfer_engine.errors import TransferEngineError
from transfer_engine.letters.catalogue import catalogue
from transfer_engine.letters.emails import render_email
from transfer_engine.outbox.labels import sample_note, sample_prefix
from transfer_engine.outbox.queue import PlannedMessage, PlannedNotice, existing_keys
from transfer_engine.rules.exposure import own_exposures
from transfer_engine.store.definitions import definition_for, every_definition
from transfer_engine.store.messages import NoticeKind
from transfer_engine.store.transfers import StepInstance, Transfer
from transfer_engine.workflow.definition import Step, WorkflowDefinition

log = logging.getLogger("transfer_engine.notices.planner")

ONE_DAY = timedelta(days=1)

# ---------------------------------------------------------------------------------------------
# Dates


def long_date(day: date) -> str:
    return f"{day:%A} {day.day} {day:%B %Y}"


def reminder_days(due: date, offsets: Iterable[int]) -> list[date]:
    """The working days on which a step's reminders go out, earliest first (no repeats)."""
    return sorted({last_working_day_on_or_before(due - timedelta(days=o)) for o in offsets})


def escalation_day(due: date) -> date:
    """The first working day after the statutory due date."""
    return next_working_day_on_or_after(due + ONE_DAY)


def reminder_ranges(start: date, day: date, offsets: Iterable[int]) -> list[tuple[date, date]]:
    """Due dates whose reminder for some offset falls in ``[start, day]``, as date ranges.

    The reminder for offset ``o`` is on ``lwd(due - o)`` (last working day on or before).
    ``lwd(x) >= start`` exactly when ``x >= nwd(start)``, and ``lwd(x) <= day`` exactly when
    ``x < nwd(day + 1)`` (``nwd``: next working day on or after), so each offset gives one range
    of due dates; only deadlines not yet passed are reminded of.
    """
    low = next_working_day_on_or_after(start)
    high = next_working_day_on_or_after(day + ONE_DAY) - ONE_DAY
    ranges = [(max(low + timedelta(days=o), day), high + timedelta(days=o)) for o in offsets]
    return _merged([r for r in ranges if r[0] <= r[1]])


def escalation_range(start: date, day: date) -> tuple[date, date]:
    """Due dates whose escalation day falls in ``[start, day]``.

    ``nwd(due + 1) >= start`` exactly when ``due >= lwd(start - 1)``, and ``nwd(due + 1) <= day``
    exactly when ``due <= lwd(day) - 1``.
    """
    return (last_working_day_on_or_before(start - ONE_DAY),
            last_working_day_on_or_before(day) - ONE_DAY)


def _merged(ranges: list[tuple[date, date]]) -> list[tuple[date, date]]:
    out: list[tuple[date, date]] = []
    for low, high in sorted(ranges):
        if out and low <= out[-1][1] + ONE_DAY:
            out[-1] = (out[-1][0], max(out[-1][1], high))
        else:
            out.append((low, high))
    return out


# ---------------------------------------------------------------------------------------------
# Reading what can be due


_warned: set[str] = set()


def _warn_once(message: str) -> None:
    if message not in _warned:
        _warned.add(message)
        log.warning(message)


def _final_states(session: Session) -> set[str]:
    return {name for definition in every_definition(session)
            for name, state in definition.states.items() if state.final}


def _all_offsets(session: Session) -> set[int]:
    return {o for definition in every_definition(session) for step in definition.steps.values()
            for o in step.reminders}


@dataclass(frozen=True, slots=True)
class _TransferFacts:
    """What notices say about a transfer (read as plain rows: a busy morning has thousands)."""

    id: int
    ref: str
    title: str
    hr_owner: str | None
    escalation_contact: str | None
    sample_data: bool
    workflow_id: str
    workflow_version: int


@dataclass(frozen=True)
class _Due:
    step: Any  # a row with step_id, title, due_date, working_due_date, legal_basis
    transfer: _TransferFacts
    definition: WorkflowDefinition
    spec: Step


_S = StepInstance.__table__  # type: ignore[attr-defined]
_T = Transfer.__table__  # type: ignore[attr-defined]
_OPEN_STEP_COLUMNS = (
    _S.c.step_id, _S.c.title, _S.c.due_date, _S.c.working_due_date, _S.c.legal_basis,
    _T.c.id.label("transfer_id"), _T.c.ref, _T.c.title.label("transfer_title"), _T.c.hr_owner,
    _T.c.escalation_contact, _T.c.sample_data, _T.c.workflow_id, _T.c.workflow_version)


def _open_steps(session: Session, ranges: Sequence[tuple[date, date]], *,
                owners: Sequence[str] | None = None) -> list[_Due]:
    """Open steps of live transfers due within ``ranges``, with their workflow step.

    Steps whose transfer's workflow or step definition has gone are left out with one warning
    per process: the scheduler carries on with the rest.
    """
    if not ranges:
        return []
    query = (
        # SQLAlchemy's select: SQLModel's is typed for at most four columns.
        sa.select(*_OPEN_STEP_COLUMNS).select_from(_S.join(_T, _T.c.id == _S.c.transfer_id))
        .where(_S.c.status == StepStatus.open,
               or_(*[_S.c.due_date.between(low, high) for low, high in ranges]),
               _T.c.state.not_in(_final_states(session)))
        .order_by(_S.c.due_date, _T.c.ref, _S.c.position)
    )
    if owners is not None:
        query = query.where(_T.c.hr_owner.in_(owners))
    out = []
    transfers: dict[int, _TransferFacts] = {}
    for step in session.connection().execute(query):
        transfer = transfers.get(step.transfer_id)
        if transfer is None:
            transfer = transfers[step.transfer_id] = _TransferFacts(
                step.transfer_id, step.ref, step.transfer_title, step.hr_owner,
                step.escalation_contact, step.sample_data, step.workflow_id,
                step.workflow_version)
        try:
            # The version the transfer runs on, as stored, whatever its file says now.
            definition = definition_for(session, transfer.workflow_id,
                                        transfer.workflow_version, ref=transfer.ref)
        except Exception as exc:  # a removed or broken workflow file
            _warn_once(f"{transfer.ref}: no deadline notices, its workflow "
                       f"{transfer.workflow_id!r} cannot be loaded: {exc}")
            continue
        spec = definition.steps.get(step.step_id)
        if spec is None:
            _warn_once(f"{transfer.ref}: step {step.step_id!r} is no longer in workflow "
                       f"{definition.id}; no reminders or escalations for it")
            continue
        out.append(_Due(step, transfer, definition, spec))
    return out


def _how_to_complete(item: _Due) -> str:
    ref, step_id = item.transfer.ref, item.step.step_id
    triggers = [t.name for t in item.definition.triggers_completing(step_id)]
    if triggers:
        return f'transfer-engine advance {ref} {triggers[0]} --note "..."'
    return f'transfer-engine done {ref} {step_id} --evidence "..."'


def _deadline_lines(step: Any) -> list[str]:
    assert step.due_date is not None
    lines = [f"Deadline:       {long_date(step.due_date)}"]
    if step.working_due_date and step.working_due_date != step.due_date:
        lines.append(f"Last working day on or before it: {long_date(step.working_due_date)}")
    return lines


def _step_values(item: _Due) -> dict[str, Any]:
    """What the reminder and escalation templates say about a step."""
    step = item.step
    assert step.due_date is not None
    working = step.working_due_date
    return {"title": step.title, "id": step.step_id, "legal_basis": step.legal_basis,
            "due": long_date(step.due_date),
            "working_due": long_date(working) if working and working != step.due_date else None,
            "how_to_complete": _how_to_complete(item)}


class _Emails:
    """Renders the scheduler's emails from their templates (see letters.emails) for one sweep.

    The letter catalogue is looked up once per sweep, not once per email: looking it up checks
    the template folders for edits. If a template cannot be used (an organisation's broken
    override) the built-in wording is sent instead: it must never silence a statutory reminder.
    """

    def __init__(self) -> None:
        self._letters: Any = None

    def render(self, name: str, values: dict[str, Any],
               built_in: Callable[[], tuple[str, str]]) -> tuple[str, str]:
        """The subject and body from template ``name``, or else ``built_in()``'s wording."""

        try:
            if self._letters is None:
                self._letters = catalogue()
            return render_email(name, values, self._letters)
        except TransferEngineError as exc:
            _warn_once(f"the {name} template cannot be used, so the built-in wording is sent "
                       f"instead: {exc}")
            return built_in()


def _late_note(planned: date, today: date, what: str) -> list[str]:
    if today <= planned:
        return []
    return ["", f"This {what} was due on {long_date(planned)} and is sent late: the scheduler "
                "was not running then."]


# ---------------------------------------------------------------------------------------------
# Reminders


def due_reminders(session: Session, day: date, *, catch_up_days: int) -> list[PlannedNotice]:
    """Reminders due by ``day`` (the latest only, where some were missed)."""
    start = day - timedelta(days=catch_up_days)
    notices = []
    emails = _Emails()
    for item in _open_steps(session, reminder_ranges(start, day, _all_offsets(session))):
        try:
            due = item.step.due_date
            assert due is not None
            days = [d for d in reminder_days(due, item.spec.reminders) if start <= d <= day]
            if not days or due < day:
                continue
            notices.append(_reminder(item, planned=max(days), today=day, emails=emails))
        except Exception:
            log.exception("%s/%s: could not work out its reminder; skipped this sweep",
                          item.transfer.ref, item.step.step_id)
    return notices


def _reminder(item: _Due, *, planned: date, today: date, emails: _Emails) -> PlannedNotice:
    step, transfer = item.step, item.transfer
    assert step.due_date is not None
    left = (step.due_date - planned).days
    when = "today" if left == 0 else ("tomorrow" if left == 1 else f"in {left} days")

    def built_in() -> tuple[str, str]:  # sent only if the template cannot be used
        subject = (f"{sample_prefix(transfer)}Reminder: {step.title} - due {when} "
                   f"({long_date(step.due_date)}) [{transfer.ref}]")
        body = "\n".join([
            f"Reminder for {transfer.ref}: {transfer.title}",
            "",
            f"Step:           {step.title}",
            *_deadline_lines(step),
            f"Days left:      {left} (calendar days, counted from {long_date(planned)})",
            f"Legal basis:    {step.legal_basis}",
            "",
            "When it is done, record it:",
            f"    {_how_to_complete(item)}",
            *_late_note(planned, today, "reminder"),
            sample_note(transfer),
        ])
        return subject, body

    problem = None if transfer.hr_owner else (
        f"{transfer.ref} has no HR owner email recorded, so nobody can be reminded")
    subject, body = emails.render("reminder-email", {
        "letter_date": planned, "synthetic": transfer.sample_data,
        "transfer": {"reference": transfer.ref, "title": transfer.title},
        "recipient": {"name": transfer.hr_owner or "(no HR owner recorded)"},
        "step": {**_step_values(item), "left": left, "when": when,
                 "counted_from": long_date(planned)},
        "notice": {"late": long_date(planned) if today > planned else None},
    }, built_in)
    return PlannedNotice(
        key=f"reminder:{transfer.id}:{step.step_id}:{step.due_date}:{planned}",
        kind=NoticeKind.reminder, planned_for=planned, decided_on=today,
        transfer_id=transfer.id, transfer_ref=transfer.ref, step_id=step.step_id,
        due_date=step.due_date,
        messages=(PlannedMessage("hr-owner", transfer.hr_owner, "hr", subject, body, problem),),
    )


# ---------------------------------------------------------------------------------------------
# Escalations


def due_escalations(session: Session, day: date, *, catch_up_days: int) -> list[PlannedNotice]:
    """Escalations due by ``day``: open steps whose escalation day has come."""
    start = day - timedelta(days=catch_up_days)
    low, high = escalation_range(start, day)
    if low > high:
        return []
    notices = []
    due = [item for item in _open_steps(session, [(low, high)]) if item.step.due_date
           and start <= escalation_day(item.step.due_date) <= day]
    # One transfer often has several overdue steps; the money at risk is worked out once per
    # transfer, for all of them together.
    risks = own_exposures(session, {item.transfer.id: item.transfer for item in due}.values(),
                          day)
    emails = _Emails()
    for item in due:
        try:
            assert item.step.due_date is not None
            risk = risks[item.transfer.id]
            notices.append(_escalation(item, planned=escalation_day(item.step.due_date),
                                       today=day, risk=risk.total, reasons=risk.reasons,
                                       emails=emails))
        except Exception:
            log.exception("%s/%s: could not work out its escalation; skipped this sweep",
                          item.transfer.ref, item.step.step_id)
    return notices


def _escalation(item: _Due, *, planned: date, today: date, risk: Decimal,
                reasons: list[str], emails: _Emails) -> PlannedNotice:
    step, transfer = item.step, item.transfer
    assert step.due_date is not None
    overdue = (today - step.due_date).days
    recipient, problem, note = transfer.escalation_contact, None, []
    if not recipient:
        recipient = transfer.hr_owner
        note = ["", "No escalation contact is recorded for this transfer, so this escalation "
                    "goes to its HR owner."]
        if not recipient:
            problem = f"{transfer.ref} has no escalation contact and no HR owner email recorded"

    def built_in() -> tuple[str, str]:  # sent only if the template cannot be used
        subject = (f"{sample_prefix(transfer)}OVERDUE: {step.title} was due "
                   f"{long_date(step.due_date)} [{transfer.ref}]")
        body = "\n".join([
            f"Escalation for {transfer.ref}: {transfer.title}",
            "",
            f"This step is still open after its deadline ({overdue} day(s) overdue):",
            "",
            f"Step:           {step.title}",
            *_deadline_lines(step),
            f"Legal basis:    {step.legal_basis}",
            f"HR owner:       {transfer.hr_owner or '(none recorded)'}",
            *([f"Money at risk on this transfer: GBP {risk} ({'; '.join(reasons)})"]
              if risk else []),
            "",
            "When it is done, the HR owner records it with:",
            f"    {_how_to_complete(item)}",
            *note,
            *_late_note(planned, today, "escalation"),
            sample_note(transfer),
        ])
        return subject, body

    subject, body = emails.render("escalation-email", {
        "letter_date": planned, "synthetic": transfer.sample_data,
        "transfer": {"reference": transfer.ref, "title": transfer.title},
        "recipient": {"name": recipient or "(no address recorded)"},
        "step": {**_step_values(item), "overdue": overdue,
                 "hr_owner": transfer.hr_owner or "(none recorded)"},
        "notice": {"late": long_date(planned) if today > planned else None,
                   "to_hr_owner": not transfer.escalation_contact,
                   "risk": f"GBP {risk} ({'; '.join(reasons)})" if risk else None},
    }, built_in)
    return PlannedNotice(
        key=f"escalation:{transfer.id}:{step.step_id}:{step.due_date}",
        kind=NoticeKind.escalation, planned_for=planned, decided_on=today,
        transfer_id=transfer.id, transfer_ref=transfer.ref, step_id=step.step_id,
        due_date=step.due_date,
        messages=(PlannedMessage("escalation-contact", recipient, "escalation", subject, body,
                                 problem),),
    )


# ---------------------------------------------------------------------------------------------
# Digests


def digest_key(owner: str, day: date) -> str:
    return f"digest:{owner.strip().lower()}:{day}"


def due_digests(session: Session, day: date, *, digest_days: int,
                catch_up_days: int) -> list[PlannedNotice]:
    """Today's digest for each HR owner with something due soon or overdue (working days)."""
    if not is_working_day(day):
        return []
    window = [(day - timedelta(days=catch_up_days), day + timedelta(days=digest_days))]
    owners = session.exec(
        select(Transfer.hr_owner).join(StepInstance, col(StepInstance.transfer_id) == Transfer.id)
        .where(StepInstance.status == StepStatus.open,
               col(StepInstance.due_date).between(*window[0]), col(Transfer.hr_owner).is_not(None),
               col(Transfer.state).not_in(_final_states(session)))
        .distinct()
    ).all()
    done = existing_keys(session, [digest_key(o, day) for o in owners if o])
    owners = [o for o in owners if o and digest_key(o, day) not in done]
    if not owners:
        return []
    # Everything overdue for these owners, however old, and what is due in the window.
    items = _open_steps(session, [(date.min, window[0][1])], owners=owners)
    by_owner: dict[str, list[_Due]] = defaultdict(list)
    for item in items:
        by_owner[item.transfer.hr_owner or ""].append(item)
    notices = []
    for owner in owners:
        try:
            if by_owner.get(owner):
                notices.append(_digest(owner, by_owner[owner], day, digest_days))
        except Exception:
            log.exception("digest for %s could not be prepared; skipped this sweep", owner)
    return notices


def _digest(owner: str, items: list[_Due], day: date, digest_days: int) -> PlannedNotice:
    overdue = [i for i in items if i.step.due_date and i.step.due_date < day]
    upcoming = [i for i in items if i.step.due_date and i.step.due_date >= day]
    sample = any(i.transfer.sample_data for i in items)
    subject = (f"{'[sample data] ' if sample else ''}Transfer deadlines for {long_date(day)}: "
               f"{len(upcoming)} due in the next {digest_days} days, {len(overdue)} overdue")
    lines = [f"Deadlines of the transfers you own, as of {long_date(day)}.", ""]

    def section(title: str, entries: list[_Due]) -> None:
        lines.append(title)
        if not entries:
            lines.append("  (none)")
        for item in entries:
            step = item.step
            assert step.due_date is not None
            left = (step.due_date - day).days
            count = (f"{-left} day(s) overdue" if left < 0 else
                     "due today" if left == 0 else f"{left} day(s) left")
            working = (f", last working day {step.working_due_date}"
                       if step.working_due_date and step.working_due_date != step.due_date
                       else "")
            lines.extend(textwrap.wrap(
                f"{step.due_date} ({count}{working})  {item.transfer.ref}: {step.title} "
                f"[{step.legal_basis}]", width=76, initial_indent="  ",
                subsequent_indent="      "))
        lines.append("")

    section("OVERDUE", overdue)
    section(f"DUE IN THE NEXT {digest_days} DAYS", upcoming)
    lines.append("See a transfer's deadlines: transfer-engine timeline <transfer>")
    if sample:
        lines.append("Transfers marked sample data have synthetic employees and representatives.")
    return PlannedNotice(
        key=digest_key(owner, day), kind=NoticeKind.digest, planned_for=day, decided_on=day,
        due_date=day,
        messages=(PlannedMessage("hr-owner", owner, "hr", subject, "\n".join(lines) + "\n"),),
    )
