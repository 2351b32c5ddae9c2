"""What to send, to whom, and on which day: reminders, escalations, digests and state letters.

Deadlines stay in ``stepinstance``; nothing here is remembered in memory between sweeps. Each
function looks at the day a sweep stands on and returns the notices that are due by then
(:class:`~transfer_engine.outbox.PlannedNotice`), each with its idempotency key; the outbox
writes them once (see :mod:`transfer_engine.outbox`).

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
* **Letters** named by a workflow state (``letters:``) are decided in the transaction that
  enters the state (:func:`plan_state_letters`), one message per recipient, for that day.
  Representatives are told counts, never an employee's name or pay.

Transfers in a final state (closed, cancelled) get no reminders, escalations or digests.

Each sweep reads only what can be due, by ranges of the indexed ``due_date`` worked out from the
day and the reminder offsets in use (:func:`reminder_ranges`), so a sweep over a million future
deadlines with nothing due reads nothing.
"""

from __future__ import annotations

import logging
import textwrap
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, bindparam, or_
from sqlmodel import Session, select

from transfer_engine.config import Settings, get_settings
from transfer_engine.errors import NotFoundError
from transfer_engine.exposure import Exposure, exposure_for
from transfer_engine.models import (
    Employee,
    KeyDate,
    NoticeKind,
    Organisation,
    Regime,
    Representative,
    StepInstance,
    StepStatus,
    Transfer,
)
from transfer_engine.outbox import PlannedMessage, PlannedNotice, enqueue, existing_keys
from transfer_engine.workflow import Step, WorkflowDefinition, library
from transfer_engine.working_days import (
    is_working_day,
    last_working_day_on_or_before,
    next_working_day_on_or_after,
)

log = logging.getLogger("transfer_engine.notices")

ONE_DAY = timedelta(days=1)

#: Who receives each letter a workflow state may name. A letter not listed here is not sent to
#: anyone automatically: the HR owner is told to issue it by hand.
LETTER_AUDIENCE = {
    "reg13-information": "representatives",
    "employee-notification": "employees",
    "transfer-confirmation": "employees",
}


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


def _final_states() -> set[str]:
    return {name for definition in library().all()
            for name, state in definition.states.items() if state.final}


def _all_offsets() -> set[int]:
    return {o for definition in library().all() for step in definition.steps.values()
            for o in step.reminders}


@dataclass(frozen=True)
class _Due:
    step: StepInstance
    transfer: Transfer
    definition: WorkflowDefinition
    spec: Step


def _open_steps(session: Session, ranges: Sequence[tuple[date, date]], *,
                owners: Sequence[str] | None = None) -> list[_Due]:
    """Open steps of live transfers due within ``ranges``, with their workflow step.

    Steps whose transfer's workflow or step definition has gone are left out with one warning
    per process: the scheduler carries on with the rest.
    """
    if not ranges:
        return []
    query = (
        select(StepInstance, Transfer).join(Transfer, Transfer.id == StepInstance.transfer_id)
        .where(StepInstance.status == StepStatus.open,
               or_(*[StepInstance.due_date.between(low, high) for low, high in ranges]),
               Transfer.state.not_in(_final_states()))
        .order_by(StepInstance.due_date, Transfer.ref, StepInstance.position)
    )
    if owners is not None:
        query = query.where(Transfer.hr_owner.in_(owners))
    out = []
    for step, transfer in session.exec(query).all():
        try:
            definition = library().get(transfer.workflow_id)
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


def _prefix(transfer: Transfer | LetterContext) -> str:
    return "[sample data] " if transfer.sample_data else ""


def _sample_note(transfer: Transfer | LetterContext) -> str:
    return ("\nThis transfer is SAMPLE DATA: its employees and representatives are synthetic.\n"
            if transfer.sample_data else "")


def _how_to_complete(item: _Due) -> str:
    ref, step_id = item.transfer.ref, item.step.step_id
    triggers = [t.name for t in item.definition.triggers.values() if step_id in t.completes]
    if triggers:
        return f'transfer-engine advance {ref} {triggers[0]} --note "..."'
    return f'transfer-engine done {ref} {step_id} --evidence "..."'


def _deadline_lines(step: StepInstance) -> list[str]:
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


def _templated(name: str, values: dict[str, Any], subject: str, body: str) -> tuple[str, str]:
    """The email rendered from its template (see transfer_engine.letters.emails).

    ``subject`` and ``body`` are the built-in wording, sent instead if the template cannot be
    used (an organisation's broken override must never silence a statutory reminder).
    """
    from transfer_engine.errors import TransferEngineError
    from transfer_engine.letters.emails import render_email

    try:
        return render_email(name, values)
    except TransferEngineError as exc:
        _warn_once(f"the {name} template cannot be used, so the built-in wording is sent "
                   f"instead: {exc}")
        return subject, body


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
    for item in _open_steps(session, reminder_ranges(start, day, _all_offsets())):
        try:
            due = item.step.due_date
            assert due is not None
            days = [d for d in reminder_days(due, item.spec.reminders) if start <= d <= day]
            if not days or due < day:
                continue
            notices.append(_reminder(item, planned=max(days), today=day))
        except Exception:
            log.exception("%s/%s: could not work out its reminder; skipped this sweep",
                          item.transfer.ref, item.step.step_id)
    return notices


def _reminder(item: _Due, *, planned: date, today: date) -> PlannedNotice:
    step, transfer = item.step, item.transfer
    assert step.due_date is not None
    left = (step.due_date - planned).days
    when = "today" if left == 0 else ("tomorrow" if left == 1 else f"in {left} days")
    subject = (f"{_prefix(transfer)}Reminder: {step.title} - due {when} "
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
        _sample_note(transfer),
    ])
    problem = None if transfer.hr_owner else (
        f"{transfer.ref} has no HR owner email recorded, so nobody can be reminded")
    subject, body = _templated("reminder-email", {
        "letter_date": planned, "synthetic": transfer.sample_data,
        "transfer": {"reference": transfer.ref, "title": transfer.title},
        "recipient": {"name": transfer.hr_owner or "(no HR owner recorded)"},
        "step": {**_step_values(item), "left": left, "when": when,
                 "counted_from": long_date(planned)},
        "notice": {"late": long_date(planned) if today > planned else None},
    }, subject, body)
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
    risks: dict[int | None, Exposure] = {}  # one transfer often has several overdue steps
    for item in _open_steps(session, [(low, high)]):
        try:
            assert item.step.due_date is not None
            planned = escalation_day(item.step.due_date)
            if not start <= planned <= day:
                continue
            risk = risks.get(item.transfer.id)
            if risk is None:
                risk = risks[item.transfer.id] = exposure_for(session, item.transfer, day)
            notices.append(_escalation(item, planned=planned, today=day,
                                       risk=risk.total, reasons=risk.reasons))
        except Exception:
            log.exception("%s/%s: could not work out its escalation; skipped this sweep",
                          item.transfer.ref, item.step.step_id)
    return notices


def _escalation(item: _Due, *, planned: date, today: date, risk: Decimal,
                reasons: list[str]) -> PlannedNotice:
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
    subject = (f"{_prefix(transfer)}OVERDUE: {step.title} was due {long_date(step.due_date)} "
               f"[{transfer.ref}]")
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
        _sample_note(transfer),
    ])
    subject, body = _templated("escalation-email", {
        "letter_date": planned, "synthetic": transfer.sample_data,
        "transfer": {"reference": transfer.ref, "title": transfer.title},
        "recipient": {"name": recipient or "(no address recorded)"},
        "step": {**_step_values(item), "overdue": overdue,
                 "hr_owner": transfer.hr_owner or "(none recorded)"},
        "notice": {"late": long_date(planned) if today > planned else None,
                   "to_hr_owner": not transfer.escalation_contact,
                   "risk": f"GBP {risk} ({'; '.join(reasons)})" if risk else None},
    }, subject, body)
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
        select(Transfer.hr_owner).join(StepInstance, StepInstance.transfer_id == Transfer.id)
        .where(StepInstance.status == StepStatus.open,
               StepInstance.due_date.between(*window[0]), Transfer.hr_owner.is_not(None),
               Transfer.state.not_in(_final_states()))
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


# ---------------------------------------------------------------------------------------------
# State letters


def plan_state_letters(session: Session, transfer: Any, letters: Sequence[str],
                       today: date, settings: Settings | None = None, *,
                       actor: str = "workflow") -> list[int]:
    """Decide the letters of a state just entered: one outbox message per recipient.

    Called by ``engine.advance`` inside its transaction, so the letters are decided if and only
    if the state change is committed. ``transfer`` is the transfer, or any row with its ``id``
    (the engine's fast path passes a light row). Returns the ids of the notices written (none if
    these letters were already decided for this transfer today).

    Each letter is rendered from its template, filed and registered (see
    :mod:`transfer_engine.letters.issue`); a recipient who already holds the letter is not sent
    it again. If a letter cannot be issued (data missing, no recipients, a broken template)
    the HR owner is alerted with what to fix, and nothing of that letter is issued.
    """
    if not letters:
        return []
    context = letter_context(session, transfer.id)
    settings = settings or get_settings()
    written = []
    for name in letters:
        key = f"letter:{context.id}:{name}:{today}"
        if existing_keys(session, [key]):
            continue  # decided earlier today: render nothing
        notice, messages = _state_letter(session, context, name, today, settings, actor)
        notice_id = enqueue(session, notice, settings, messages=messages)
        if notice_id is not None:
            written.append(notice_id)
            log.info("%s: letter %s decided for %s (%s)", context.ref, name, today,
                     notice.kind.value)
    return written


def _state_letter(session: Session, context: LetterContext, name: str, today: date,
                  settings: Settings, actor: str
                  ) -> tuple[PlannedNotice, Iterable[PlannedMessage] | None]:
    """The notice of one state letter, and its messages (rendered as they are written)."""
    from transfer_engine.letters.issue import state_letter

    outcome = state_letter(session, context.ref, name, today, actor=actor, settings=settings)
    common: dict[str, Any] = {
        "key": f"letter:{context.id}:{name}:{today}", "planned_for": today,
        "decided_on": today, "transfer_id": context.id, "transfer_ref": context.ref,
        "step_id": name, "due_date": today}
    if outcome.messages is None:
        alert = _hr_alert(context, name, outcome.problem or "it cannot be issued")
        return PlannedNotice(kind=NoticeKind.hr_alert, messages=(alert,), **common), None
    return PlannedNotice(kind=NoticeKind.letter, messages=(), **common), outcome.messages


@dataclass(frozen=True)
class LetterContext:
    """What the letters of a transfer say and whom they go to, read in a few narrow queries."""

    id: int
    ref: str
    title: str
    hr_owner: str | None
    sample_data: bool
    regime: Regime
    regime_reason: str
    transferor: str
    transferee: str
    transfer_date: date | None
    employees: tuple[Any, ...]        # rows: employee_ref, full_name, email, objected_on
    representatives: tuple[Any, ...]  # rows: id, name, email


_T = Transfer.__table__  # type: ignore[attr-defined]
_FROM = Organisation.__table__.alias("transferor")  # type: ignore[attr-defined]
_TO = Organisation.__table__.alias("transferee")  # type: ignore[attr-defined]
_KEY = KeyDate.__table__  # type: ignore[attr-defined]
_EMP = Employee.__table__  # type: ignore[attr-defined]
_REP = Representative.__table__  # type: ignore[attr-defined]
# Built once: SQLAlchemy then reuses their compiled form on every transition.
_CONTEXT = (
    select(_T.c.id, _T.c.ref, _T.c.title, _T.c.hr_owner, _T.c.sample_data, _T.c.regime,
           _T.c.regime_reason, _FROM.c.name.label("transferor"),
           _TO.c.name.label("transferee"), _KEY.c.value.label("transfer_date"))
    .select_from(_T.outerjoin(_FROM, _FROM.c.id == _T.c.transferor_id)
                 .outerjoin(_TO, _TO.c.id == _T.c.transferee_id)
                 .outerjoin(_KEY, and_(_KEY.c.transfer_id == _T.c.id,
                                       _KEY.c.name == "transfer")))
    .where(_T.c.id == bindparam("transfer_id"))
)
_EMPLOYEES = (
    select(_EMP.c.employee_ref, _EMP.c.full_name, _EMP.c.email, _EMP.c.objected_on)
    .where(_EMP.c.transfer_id == bindparam("transfer_id"), _EMP.c.in_scope.is_(True))
    .order_by(_EMP.c.employee_ref)
)
_REPRESENTATIVES = (
    select(_REP.c.id, _REP.c.name, _REP.c.email)
    .where(_REP.c.transfer_id == bindparam("transfer_id")).order_by(_REP.c.id)
)


def letter_context(session: Session, transfer_id: int) -> LetterContext:
    connection = session.connection()
    params = {"transfer_id": transfer_id}
    row = connection.execute(_CONTEXT, params).first()
    if row is None:  # pragma: no cover  (the caller holds the transfer's lock)
        raise NotFoundError(f"transfer id {transfer_id} does not exist")
    return LetterContext(
        id=row.id, ref=row.ref, title=row.title, hr_owner=row.hr_owner,
        sample_data=row.sample_data, regime=row.regime, regime_reason=row.regime_reason,
        transferor=row.transferor or "the transferor",
        transferee=row.transferee or "the transferee", transfer_date=row.transfer_date,
        employees=tuple(connection.execute(_EMPLOYEES, params).all()),
        representatives=tuple(connection.execute(_REPRESENTATIVES, params).all()))


def _hr_alert(context: LetterContext, name: str, why: str) -> PlannedMessage:
    subject = f"{_prefix(context)}Letter {name} cannot be sent automatically [{context.ref}]"
    body = (f"{context.ref} ({context.title}) has entered a state whose workflow issues the "
            f"letter {name!r}, but it was not issued:\n\n{why}\n\n"
            f"See what is missing:  transfer-engine letters check {context.ref}\n"
            f"Then issue it:        transfer-engine letters issue {context.ref} {name}\n"
            f"{_sample_note(context)}")
    problem = None if context.hr_owner else f"{context.ref} has no HR owner email recorded"
    return PlannedMessage("hr-owner", context.hr_owner, "hr", subject, body, problem)
