"""A programme's schools: a grid by milestone with filters, and actions for many schools.

1. ``/transfers/{id}/schools``: every school of the programme (its child transfers) by
   milestone, with filters (status, school type, regime, a milestone late or due soon), and a
   form to act on the schools chosen.
2. ``.../schools/check``: what the action would do to each school, in words: whether it can
   apply and, if not, why. It writes nothing.
3. Confirming applies it to those that can, each school in its own transaction
   (:mod:`transfer_engine.engine.programme`; letters through the issue flow, as the Letters
   page issues them), then says exactly which schools have it and which do not and why: a
   success banner only when all of them do.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session, col, select

from transfer_engine.engine.cancel import cancelling_triggers
from transfer_engine.engine.children import ChildOutcome, ChildrenReport, apply_to_children
from transfer_engine.engine.limits import EVIDENCE, NOTE, text_problems
from transfer_engine.engine.programme import advance_children, record_step_for_children
from transfer_engine.errors import (
    GuardRefusedError,
    InvalidTriggerError,
    NotFoundError,
    ValidationError,
)
from transfer_engine.letters import service
from transfer_engine.letters.issue_check import IssueCheck, check_issue
from transfer_engine.letters.issue_jobs import start_issue
from transfer_engine.rules.happened import future_problems
from transfer_engine.store.database import read_session
from transfer_engine.store.issue_jobs import IssueJobStatus
from transfer_engine.store.transfers import Transfer
from transfer_engine.views.programme import (
    TIMINGS,
    ChildCheck,
    GridFilter,
    check_step,
    check_trigger,
    children_workflow,
    programme_grid,
    school_types,
)
from transfer_engine.views.vocabulary import TRANSFER_STATUS
from transfer_engine.web import wording
from transfer_engine.web.addresses import transfer_path
from transfer_engine.web.auth import (
    Principal,
    can_edit,
    editable_transfer_ids,
    visible_transfer_ids,
)
from transfer_engine.web.deps import (
    EditableTransfer,
    HrStaff,
    VisibleTransfer,
    engine_of,
    flash,
    kept_form,
    settings_of,
)
from transfer_engine.web.errors import PageNotFound
from transfer_engine.web.flash import KeptForm, Kind
from transfer_engine.web.forms import date_values, parse_date_fields
from transfer_engine.web.rendering import long_date, render
from transfer_engine.workflow.definition import WorkflowDefinition

router = APIRouter()

#: The kinds of action for many schools, as the action's value starts.
TRIGGER, STEP, LETTER = "trigger", "step", "letter"


def schools_url(transfer: Transfer) -> str:
    return f"{transfer_path(transfer)}/schools"


@dataclass(frozen=True)
class Choice:
    """One action offered for many schools: ``kind:name`` and how the page says it."""

    value: str
    label: str
    group: str


def _definition(session: Session, transfer: Transfer) -> WorkflowDefinition:
    """The children's workflow; a transfer with no children has no schools page."""
    definition = children_workflow(session, transfer)
    if definition is None:
        raise PageNotFound()
    return definition


def _children(session: Session, transfer: Transfer) -> list[Transfer]:
    return list(session.exec(select(Transfer).where(Transfer.parent_id == transfer.id)
                             .order_by(col(Transfer.ref))).all())


def _editable_children(session: Session, principal: Principal,
                       transfer: Transfer) -> list[Transfer]:
    """The schools ``principal`` may change (who may is read once, not once per school)."""
    editable = editable_transfer_ids(session, principal)
    return [c for c in _children(session, transfer) if editable is None or c.id in editable]


def _choices(session: Session, transfer: Transfer,
             definition: WorkflowDefinition) -> list[Choice]:
    """Every action of the schools' workflow (but cancelling, which has its own page, for
    HR administrators, one transfer at a time), every step, and the letters it issues."""
    cancelling = cancelling_triggers(definition)
    choices = [Choice(f"{TRIGGER}:{name}", trigger.label, "Record a decision or action")
               for name, trigger in definition.triggers.items() if name not in cancelling]
    choices += [Choice(f"{STEP}:{step_id}", f"Record as done: {step.title}", "Record a step")
                for step_id, step in definition.steps.items()]
    first = _children(session, transfer)[0]
    choices += [Choice(f"{LETTER}:{name}", f"Issue: {service.state_letter_title(name)}",
                       "Issue a letter") for name in service.state_letters(session, first.ref)]
    return choices


def _choice(choices: list[Choice], value: str) -> Choice | None:
    return next((c for c in choices if c.value == value), None)


@router.get("/transfers/{transfer_id}/schools")
def schools(request: Request, transfer: VisibleTransfer, principal: HrStaff,
            status: str = "", school_type: str = "", regime: str = "", milestone: str = "",
            timing: str = "") -> Response:
    """The programme's schools by milestone, filtered, with the form to act on many."""
    today = settings_of(request).today()
    wanted = GridFilter(status=status if status in TRANSFER_STATUS else "",
                        school_type=school_type, regime=regime, milestone=milestone,
                        timing=timing if timing in TIMINGS else "")
    with read_session(engine_of(request)) as session:
        definition = _definition(session, transfer)
        grid = programme_grid(session, transfer, today, wanted,
                              visible_transfer_ids(session, principal))
        editable = can_edit(session, principal, transfer)
        choices = _choices(session, transfer, definition) if editable else []
    kept = kept_form(request, schools_url(transfer))
    return render(request, "programme.html", {
        "t": transfer, "grid": grid, "editable": editable, "choices": choices,
        "groups": list(dict.fromkeys(c.group for c in choices)),
        "statuses": TRANSFER_STATUS, "timings": TIMINGS,
        "errors": kept.errors if kept else {}, "values": kept.values if kept else {},
        "school_type_words": school_types().get,
        "section": "overview", "base": transfer_path(transfer)})


# ---------------------------------------------------------------------------------------------
# The check page


@dataclass(frozen=True)
class Line:
    """One school on the check page: whether the action can apply, and why not in words."""

    ref: str
    title: str
    href: str
    can: bool
    reasons: tuple[str, ...]


def _check_words(check: ChildCheck) -> tuple[str, ...]:
    """Why the action cannot apply to one school, in words (guards by web.wording)."""
    if check.not_applicable:
        return ("Does not apply to this school (not a step of its transfer)",)
    if check.done_on is not None:
        return (f"Already done on {long_date(check.done_on)}",)
    if not check.applies and check.states and not check.failures:
        return (f"Does not apply: this school's transfer is {check.state_label.lower()}; this "
                f"is for a transfer that is {' or '.join(s.lower() for s in check.states)}",)
    if check.states:
        return (f"Not yet: this school's transfer is {check.state_label.lower()}; it must be "
                f"{' or '.join(s.lower() for s in check.states)} first",)
    words = [wording.guard_reason(f) for f in check.failures]
    if not check.applies:  # a regime the action is not for
        words[0] = f"Does not apply: {words[0][:1].lower()}{words[0][1:]}"
    if check.missing:
        words.append(f"Its evidence is not there yet: {check.missing}")
    return tuple(words)


def _letter_words(check: IssueCheck) -> tuple[bool, tuple[str, ...]]:
    if check.can_issue and not check.needs_reason:
        already = f"; {check.already} already have it" if check.already else ""
        return True, (f"{check.ready_count} recipient{'s' if check.ready_count != 1 else ''} "
                      f"will get it{already}",)
    if check.error and not check.recipients:  # the engine's text names the letter's key
        return False, ("Nobody at this school would receive it now",)
    if check.error:
        return False, (wording.describe(ValidationError(check.error)),)
    if check.sense:
        return False, (*(wording.sense_problem(p) for p in check.sense),
                       "Issue it from this school's Letters page if it is right all the same")
    if not check.ready_count and check.already and not check.failed:
        return False, ("Everyone it is for already has it",)
    return False, tuple(f"{p}" for p in check.problems[:5]) or ("Nobody can receive it now",)


def _check_url(transfer: Transfer, action: str, refs: list[str]) -> str:
    return f"{schools_url(transfer)}/check?" + urlencode(
        [("action", action)] + [("school", r) for r in refs])


@router.get("/transfers/{transfer_id}/schools/check")
def check(request: Request, transfer: EditableTransfer, principal: HrStaff,
          action: str = "", school: Annotated[list[str] | None, Query()] = None) -> Response:
    """What the action would do to each school chosen (nothing is written)."""
    today = settings_of(request).today()
    refs = list(dict.fromkeys(school or []))
    with read_session(engine_of(request)) as session:
        definition = _definition(session, transfer)
        choice = _choice(_choices(session, transfer, definition), action)
        children = {c.ref: c for c in _editable_children(session, principal, transfer)}
        refs = [r for r in refs if r in children]
        errors = {}
        if choice is None:
            errors["action"] = "Select what to do for the schools"
        if not refs:
            errors["schools"] = "Select at least one school"
        if errors:
            flash(request, "", form=KeptForm(schools_url(transfer), errors=errors,
                                             values={"action": action}))
            return RedirectResponse(schools_url(transfer) + "#act", status_code=303)
        assert choice is not None
        kind, name = choice.value.split(":", 1)
        lines = []
        if kind == LETTER:
            for ref in refs:
                can, words = _letter_words(check_issue(ref, name, today=today,
                                                       engine=engine_of(request)))
                lines.append(Line(ref, children[ref].title, transfer_path(children[ref]), can,
                                  words))
        else:
            checks = (check_trigger if kind == TRIGGER else check_step)(
                session, transfer, name, today, refs=refs)
            lines = [Line(c.ref, c.title, transfer_path(children[c.ref]), c.ready,
                          () if c.ready else _check_words(c)) for c in checks]
        mark_done = kind == STEP and not definition.triggers_completing(name)
    url = _check_url(transfer, action, refs)
    kept = kept_form(request, url)
    return render(request, "programme_check.html", {
        "t": transfer, "choice": choice, "kind": kind, "lines": lines,
        "ready": [line for line in lines if line.can],
        "not_ready": [line for line in lines if not line.can], "mark_done": mark_done,
        "errors": kept.errors if kept else {}, "values": kept.values if kept else {},
        "today_values": date_values(today), "back": schools_url(transfer),
        "section": "overview"})


# ---------------------------------------------------------------------------------------------
# Applying it


@dataclass
class LetterRun:
    """A letter issued to one school's recipients (what engine.children records of it)."""

    to_state: None = None
    completed_steps: tuple[str, ...] = ()


def _issue(request: Request, principal: Principal, letter: str) -> Any:
    """Issue ``letter`` on one school through the issue flow (now, or in the background for
    many recipients); a run that leaves anyone without it is reported as not done."""
    settings = settings_of(request)

    def fire(ref: str) -> LetterRun:
        with read_session(engine_of(request)) as session:
            count = len(service.recipients(session, ref, letter))
        job = start_issue(ref, letter, actor=principal.actor, today=settings.today(),
                          recipient_count=count, engine=engine_of(request),
                          background_above=settings.background_above)
        if job.status == IssueJobStatus.finished and job.not_issued_count:
            why = "; ".join(f"{row['label']}: {row['reason']}" for row in job.not_issued[:3])
            raise ValidationError(f"{job.issued} of {job.issued + job.not_issued_count} "
                                  f"issued. Not issued: {why}")
        if job.status == IssueJobStatus.failed:
            raise ValidationError(f"the issue stopped: {job.error}")
        return LetterRun()

    return fire


def _outcome_words(outcome: ChildOutcome, definition: WorkflowDefinition) -> str:
    """Why the action was not applied to one school, in words."""
    error = outcome.error
    if isinstance(error, GuardRefusedError):
        text = "; ".join(wording.guard_reason(f) for f in error.failures)
        if outcome.outcome == "not-applicable":  # a regime the action is not for
            return f"Does not apply: {text[:1].lower()}{text[1:]}"
        return text
    if isinstance(error, InvalidTriggerError):
        state = definition.states.get(error.state)
        return (f"Does not apply: its transfer is {state.label.lower() if state else 'past it'}")
    if isinstance(error, NotFoundError):
        return "Does not apply to this school (not a step of its transfer)"
    if error is not None:
        return wording.describe(error)
    return outcome.reason[:1].upper() + outcome.reason[1:]


def _report(request: Request, report: ChildrenReport, choice: Any,
            definition: WorkflowDefinition) -> None:
    """The outcome as the next page's banner: success only if every school has it."""
    done = [o.title for o in report.applied]
    label = choice.label
    if report.complete:
        flash(request, f"Done for all {len(done)} schools chosen: {label}.",
              items=[f"{title}: done" for title in done])
        return
    items = [f"{o.title}: not done. {_outcome_words(o, definition)}"
             for o in report.not_applied]
    items += [f"{title}: done" for title in done]
    flash(request, f"{label}: done for {len(done)} of {len(report.outcomes)} schools. "
                   "Not done for the schools listed, for the reasons given; the history of "
                   "the programme and of each school keeps them.", kind="warning", items=items)


@router.post("/transfers/{transfer_id}/schools/apply")
def apply(request: Request, transfer: EditableTransfer, principal: HrStaff,
          action: Annotated[str, Form()],
          school: Annotated[list[str] | None, Form()] = None,
          note: Annotated[str, Form()] = "",
          day: Annotated[str, Form(alias="occurred_on-day")] = "",
          month: Annotated[str, Form(alias="occurred_on-month")] = "",
          year: Annotated[str, Form(alias="occurred_on-year")] = "") -> Response:
    """Apply the action to the schools that can take it, each in its own transaction."""
    today = settings_of(request).today()
    refs = list(dict.fromkeys(school or []))
    with read_session(engine_of(request)) as session:
        definition = _definition(session, transfer)
        choice = _choice(_choices(session, transfer, definition), action)
        editable = {c.ref for c in _editable_children(session, principal, transfer)}
    if choice is None:
        raise PageNotFound()
    refs = [r for r in refs if r in editable]
    url = _check_url(transfer, action, refs)
    kind, name = choice.value.split(":", 1)
    occurred_on, date_error = parse_date_fields(day, month, year, "the date it happened")
    errors = {}
    if date_error:
        errors["occurred_on"] = date_error
    for problem in future_problems(occurred_on, today) if occurred_on else []:
        errors["occurred_on"] = wording.field_error(problem)
    mark_done = kind == STEP and not definition.triggers_completing(name)
    limit = EVIDENCE if mark_done else NOTE
    for problem in text_problems((limit, note.strip() or None)):
        errors["note"] = wording.field_error(problem)
    if not refs:
        errors["_schools"] = "No school could take this action; nothing was done"
    if errors:
        flash(request, "", form=KeptForm(url, errors=errors, values={
            "note": note, "occurred_on": {"day": day, "month": month, "year": year}}))
        return RedirectResponse(url, status_code=303)
    engine = engine_of(request)
    try:
        if kind == TRIGGER:
            report = advance_children(transfer.ref, name, refs=refs, actor=principal.actor,
                                      note=note.strip() or None, occurred_on=occurred_on,
                                      today=today, engine=engine)
        elif kind == STEP:
            report = record_step_for_children(transfer.ref, name, refs=refs,
                                              actor=principal.actor, evidence=note.strip(),
                                              occurred_on=occurred_on, today=today,
                                              engine=engine)
        else:
            assert transfer.id is not None
            report = apply_to_children(transfer.ref, transfer.id, name,
                                       _issue(request, principal, name),
                                       actor=principal.actor, refs=refs, engine=engine)
    except ValidationError as exc:  # the date or the note, before anything was written
        flash(request, "", form=KeptForm(url, errors=wording.field_errors(
            exc, {"occurred_on": "occurred_on", "evidence": "note", "note": "note"}),
            values={"note": note, "occurred_on": {"day": day, "month": month, "year": year}}))
        return RedirectResponse(url, status_code=303)
    _report(request, report, choice, definition)
    return RedirectResponse(schools_url(transfer), status_code=303)


# ---------------------------------------------------------------------------------------------
# A programme's decision that cascades to its schools (the workflow's ``cascade``)


def cascade_banner(request: Request, report: ChildrenReport) -> tuple[Kind, str, list[str]]:
    """What the banner after a programme's cascading decision says about its schools: each
    school done, each it does not apply to and why, each refused and why. Bad news (a school
    refused, or a fault) makes it a warning; schools it is not for are listed, not bad news."""
    with read_session(engine_of(request)) as session:
        parent = session.exec(select(Transfer).where(Transfer.ref == report.parent)).one()
        definition = _definition(session, parent)
    done = [o for o in report.outcomes if o.applied]
    skipped = [o for o in report.outcomes if o.outcome == "not-applicable"]
    failed = [o for o in report.outcomes if o.outcome in ("refused", "fault")]
    label = definition.triggers[report.action].label if report.action in definition.triggers \
        else report.action
    text = (f"“{label}” was recorded for {len(done)} of the {len(report.outcomes)} schools "
            "of the programme.")
    if failed:
        text += (f" It was refused for {len(failed)}: put right what is listed, then record it "
                 "on the schools page or each school's page.")
    items = [f"{o.title}: not done. {_outcome_words(o, definition)}" for o in failed]
    items += [f"{o.title}: {_outcome_words(o, definition)}" for o in skipped]
    items += [f"{o.title}: done" for o in done]
    return ("warning" if failed else "success"), text, items
