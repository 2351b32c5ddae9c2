"""A transfer's page: where it stands, what can be done now, deadlines and steps.

Every form carries the transfer's ``version``; the engine refuses a change made from a page
older than the transfer (someone else changed it meanwhile) and the page says so, with the
transfer as it now is. Refusals by guards are shown with what would satisfy them.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from markupsafe import Markup
from sqlmodel import select

from transfer_engine.engine.advance import advance
from transfer_engine.engine.cancel import cancelling_triggers, is_cancelling
from transfer_engine.engine.limits import NOTE, text_problems
from transfer_engine.engine.steps import complete_step, step_input_problems
from transfer_engine.errors import (
    ConflictError,
    GuardKind,
    GuardRefusedError,
    InvalidTriggerError,
    NotFoundError,
    ValidationError,
)
from transfer_engine.letters.catalogue import catalogue
from transfer_engine.letters.owed import IssuedLetter
from transfer_engine.letters.service import (
    STATE_LETTER_TITLES,
    issue_pending,
    state_letter_title,
)
from transfer_engine.store.database import read_session
from transfer_engine.store.queries import definition_of, steps_of
from transfer_engine.store.transfers import Transfer
from transfer_engine.views.audit_privacy import known_employees, without_employees
from transfer_engine.views.tasks import step_detail
from transfer_engine.web import svg, wording
from transfer_engine.web.addresses import transfer_path
from transfer_engine.web.auth import Principal, can_cancel, can_edit
from transfer_engine.web.blockers import blockers
from transfer_engine.web.deps import (
    EditableTransfer,
    HrStaff,
    VisibleTransfer,
    deny,
    engine_of,
    flash,
    kept_form,
    settings_of,
)
from transfer_engine.web.errors import PageNotFound
from transfer_engine.web.flash import KeptForm, Kind
from transfer_engine.web.forms import date_values, parse_date_fields
from transfer_engine.web.rendering import long_date, render, render_cached
from transfer_engine.web.routes.programme import cascade_banner
from transfer_engine.web.views import organisation_names, transfer_page, transfer_page_key

router = APIRouter()

CONFLICT = ("Someone else changed this transfer since you opened the page, so nothing was "
            "saved. The page now shows the transfer as it is: check it and try again if "
            "still needed.")
# The engine's input fields -> the ids of the fields on each form.
STEP_FORM = {"evidence": "evidence", "done_on": "done_on", "occurred_on": "done_on"}
KEY_DATE_FORM = {"reason": "reason", "new_date": "new_date", "key_date": "new_date"}


def transfer_url(transfer: Transfer) -> str:
    """The transfer's page, addressed by its reference (see web.addresses)."""
    return transfer_path(transfer)


def step_url(transfer: Transfer, step_id: str) -> str:
    """A step's own page: what the law asks, its evidence, and the one action it takes."""
    return f"{transfer_path(transfer)}/steps/{step_id}"


def _page(request: Request, principal: Principal, transfer: Transfer, *,
          errors: dict[str, str] | None = None, values: dict[str, Any] | None = None,
          refused: dict[str, list[tuple[str, str]]] | None = None,
          status_code: int = 200) -> Response:
    today = settings_of(request).today()

    def context() -> dict[str, Any]:
        with read_session(engine_of(request)) as session:
            fresh = session.get(Transfer, transfer.id)
            assert fresh is not None
            page = transfer_page(session, principal, fresh, today)
        explanations = {option.name: [wording.guard_failure(f) for f in option.failures]
                        for option in page.triggers}
        diagram = svg.state_diagram(page.definition, fresh.state)
        timeline = svg.timeline(page.timeline, today, page.key_dates,
                                key_labels=page.key_date_labels)
        return {"page": page, "t": fresh, "diagram": Markup(diagram),
                "timeline_svg": Markup(timeline), "explanations": explanations,
                "refused": refused or {}, "errors": errors or {}, "values": values or {},
                "today_values": date_values(today), "section": "overview",
                "cancelling": cancelling_triggers(page.definition)}

    if errors or values or refused or status_code != 200:  # a form coming back: never kept
        return render(request, "transfer.html", context(), status_code=status_code)
    with read_session(engine_of(request)) as session:
        key = transfer_page_key(session, principal, transfer, today)
    return render_cached(request, "transfer.html", key, context)


@router.get("/transfers/{transfer_id}")
def show(request: Request, transfer: VisibleTransfer, principal: HrStaff) -> Response:
    kept = kept_form(request, transfer_url(transfer))  # a refused action, shown once
    if kept is not None:
        return _page(request, principal, transfer, errors=kept.errors, values=kept.values,
                     refused=kept.extra.get("refused"))
    return _page(request, principal, transfer)


def _refused(request: Request, transfer: Transfer, *, errors: dict[str, str],
             values: dict[str, Any] | None = None,
             refused: dict[str, list[tuple[str, str]]] | None = None,
             to: str | None = None) -> Response:
    """Back to the page of the form (the transfer's, or ``to``: a step's), the refused form
    filled in with its errors (post/redirect/get: refreshing does not send it again)."""
    back = to or transfer_url(transfer)
    flash(request, "", form=KeptForm(back, errors=errors, values=values or {},
                                     extra={"refused": refused or {}}))
    return RedirectResponse(back, status_code=303)


@router.post("/transfers/{transfer_id}/advance")
def fire(request: Request, transfer: EditableTransfer, principal: HrStaff,
         trigger: Annotated[str, Form()], version: Annotated[int, Form()],
         note: Annotated[str, Form()] = "",
         override_reason: Annotated[str, Form()] = "",
         day: Annotated[str, Form(alias="occurred_on-day")] = "",
         month: Annotated[str, Form(alias="occurred_on-month")] = "",
         year: Annotated[str, Form(alias="occurred_on-year")] = "",
         step: Annotated[str, Form()] = "") -> Response:
    settings = settings_of(request)
    # A refusal goes back to the page of the step the action completes (the one it was sent
    # from, ``step``), shown with the step; an action that completes none, to the transfer's.
    definition = definition_of(transfer, engine_of(request))
    completes = definition.triggers[trigger].completes if trigger in definition.triggers else ()
    step = step if step in completes else (completes[0] if completes else "")
    back = step_url(transfer, step) if step else None
    if is_cancelling(definition_of(transfer, engine_of(request)), trigger):
        # Cancelling has its own page: HR administrators only, after its consequences.
        if not can_cancel(principal):
            raise deny(request, principal, "Only an HR administrator can cancel a transfer.",
                       transfer)
        return RedirectResponse(f"/transfers/{transfer.id}/cancel", status_code=303)
    field, date_field = f"trigger-{trigger}", f"occurred_on-{trigger}"
    values: dict[str, Any] = {f"note-{trigger}": note, f"override-{trigger}": override_reason,
                              date_field: {"day": day, "month": month, "year": year}}
    form = {"note": f"note-{trigger}", "override_reason": f"override-{trigger}",
            "occurred_on": date_field}
    occurred_on, date_error = parse_date_fields(day, month, year, "the date it happened")
    if date_error:
        # The engine's checks of the note too, so that every problem is shown at once.
        errors = {form[p.field]: wording.field_error(p)
                  for p in text_problems((NOTE, note.strip() or None))}
        errors[date_field] = date_error
        return _refused(request, transfer, values=values, errors=errors, to=back)
    try:
        result = advance(transfer.ref, trigger, actor=principal.actor, note=note.strip() or None,
                         override_reason=override_reason.strip() or None,
                         expected_version=version, today=settings.today(),
                         occurred_on=occurred_on, engine=engine_of(request))
    except GuardRefusedError as exc:
        label = definition_of(transfer, engine_of(request)).triggers[trigger].label
        reasons = [wording.guard_failure(f) for f in exc.failures]
        if exc.failures[0].kind == GuardKind.already_done:
            # Not offered on the page any more (nothing left to do), so said at the top.
            return _refused(request, transfer, values=values, to=back,
                            errors={"_already_done": f"“{label}” was not recorded again. "
                                                     f"{reasons[0][0]}. {reasons[0][1]}"})
        hint = ""
        if override_reason.strip() and not exc.overridable:
            hint = " Some of these conditions cannot be overridden."
        return _refused(request, transfer, values=values, refused={trigger: reasons}, to=back,
                        errors={field: f"“{label}” was refused: {reasons[0][0]}.{hint}"})
    except ConflictError:
        return _refused(request, transfer, values=values, errors={"_conflict": CONFLICT},
                        to=back)
    except InvalidTriggerError as exc:
        return _refused(request, transfer, values=values, to=back,
                        errors={field if trigger else "_trigger": str(exc)})
    except ValidationError as exc:
        return _refused(request, transfer, values=values, to=back,
                        errors=wording.field_errors(exc, form, fallback=field))
    moved = (f"{result.from_state} to {result.to_state}"
             if result.from_state != result.to_state else None)
    definition = definition_of(transfer, engine_of(request))
    label = definition.triggers[trigger].label
    # The date it is recorded as having happened, said: an empty date box means today.
    message = f"Done: {label}. Date it happened: {long_date(occurred_on or settings.today())}."
    if moved:
        message += (f" The transfer is now {definition.states[result.to_state].label.lower()}.")
    if result.overridden:
        message += " The override and its reason are in the history."
    kind: Kind = "success"
    items: list[str] = []
    if result.letters:
        # Committed; the state's letters are issued now, in their own transaction.
        issued = issue_pending(engine_of(request), transfer_id=result.transfer_id)
        items = [_letter_outcome(i) for i in issued.issued]
        if any(i.outcome == "alert" for i in issued.issued) or issued.errors:
            kind = "warning"  # done, but a letter it owes is not: bad news, said as such
        if not issued.issued and not issued.errors:  # the scheduler took them first
            message += " Its letters are being issued (see Letters)."
        if issued.errors:
            message += (" Some letters could not be issued and will be tried again by the "
                        "scheduler; see Letters.")
    if result.cascade is not None:  # a programme's decision, fired on its schools too
        schools_kind, more, schools = cascade_banner(request, result.cascade)
        flash(request, f"{message} {more}", items=[*items, *schools],
              kind="warning" if "warning" in (kind, schools_kind) else "success")
        return RedirectResponse(transfer_url(transfer), status_code=303)
    flash(request, message, kind=kind, items=items)
    return RedirectResponse(transfer_url(transfer), status_code=303)


def _letter_outcome(letter: IssuedLetter) -> str:
    """What became of one letter an action owes, in words (its title, never its file name;
    the reasons a letter was not issued are on its check page, in the same words as here)."""
    spec = catalogue().letters.get(letter.letter)
    named = spec.title if spec and letter.letter not in STATE_LETTER_TITLES else None
    title = f"“{named or state_letter_title(letter.letter)}”"  # as the Letters page names it
    if letter.outcome == "issued":
        return (f"{title} issued to {letter.recipients} "
                f"recipient{'' if letter.recipients == 1 else 's'}.")
    if letter.outcome == "already":
        return f"{title} was already issued on {long_date(letter.day)}."
    return (f"{title} was not issued: something in it must be put right first. The HR owner "
            "has been told; open “Check and issue” on the Letters page to see what.")


# ---------------------------------------------------------------------------------------------
# Marking a step done


def _step_or_404(request: Request, transfer: Transfer, step_id: str) -> Any:
    with read_session(engine_of(request)) as session:
        steps = steps_of(session, transfer)
    if step_id not in steps:
        raise NotFoundError(f"{transfer.ref} has no step {step_id!r}")
    return steps[step_id]


@router.get("/transfers/{transfer_id}/steps/{step_id}")
def step_page(request: Request, transfer: VisibleTransfer, principal: HrStaff,
              step_id: str) -> Response:
    """A step's own page: what the law asks, its evidence, when it happened and by whom, its
    notes and documents, and the one action that completes it (or why it cannot be taken
    yet, with a link to what unblocks it)."""
    kept = kept_form(request, step_url(transfer, step_id))  # a refused action, shown once
    if kept is not None:
        return _step(request, principal, transfer, step_id, errors=kept.errors,
                     values=kept.values, refused=kept.extra.get("refused"))
    return _step(request, principal, transfer, step_id)


def _step(request: Request, principal: Principal, transfer: Transfer, step_id: str, *,
          errors: dict[str, str] | None = None, values: dict[str, Any] | None = None,
          refused: dict[str, list[tuple[str, str]]] | None = None) -> Response:
    today = settings_of(request).today()
    with read_session(engine_of(request)) as session:
        fresh = session.get(Transfer, transfer.id)
        assert fresh is not None
        if step_id not in steps_of(session, fresh) or step_id not in definition_of(
                fresh, session).steps:
            raise PageNotFound()
        detail = step_detail(session, fresh, step_id, today)
        definition = definition_of(fresh, session)
        editable = can_edit(session, principal, fresh)
        children = {c.ref: transfer_path(c) for c in session.exec(
            select(Transfer).where(Transfer.parent_id == fresh.id)).all()}
        parties = organisation_names(session)
        # A note or an override's reason may name employees: History counts them for a role
        # without personal data ("an employee"), and so does this page.
        note, override_reason = detail.note, detail.task.entry.override_reason
        if not principal.personal_data:
            known = known_employees(session.connection(), [fresh.id])
            note, override_reason = without_employees([note, override_reason], known)
    action = detail.task.action
    blocked = blockers(transfer_path(fresh), definition, action.blocked if action else None,
                       definition.states[fresh.state].label, children)
    return render(request, "step.html", {
        "t": fresh, "d": detail, "task": detail.task, "action": action, "blockers": blocked,
        "note": note, "override_reason": override_reason,
        "definition": definition, "editable": editable, "section": "overview",
        "errors": errors or {}, "values": values or {}, "refused": refused or {},
        "today_values": date_values(today), "base": transfer_path(fresh),
        "transferor": parties.get(fresh.transferor_id, ""),
        "transferee": parties.get(fresh.transferee_id, ""),
        "letter_titles": {n: s.title for n, s in catalogue().letters.items()},
        "cancelling": cancelling_triggers(definition)},
        status_code=422 if errors else 200)


@router.get("/transfers/{transfer_id}/steps/{step_id}/done")
def done_form(request: Request, transfer: EditableTransfer, step_id: str) -> Response:
    """Marking a step done is on the step's own page now."""
    _step_or_404(request, transfer, step_id)
    return RedirectResponse(step_url(transfer, step_id), status_code=303)


@router.post("/transfers/{transfer_id}/steps/{step_id}/done")
def mark_done(request: Request, transfer: EditableTransfer, principal: HrStaff, step_id: str,
              version: Annotated[int, Form()], evidence: Annotated[str, Form()] = "",
              day: Annotated[str, Form(alias="done_on-day")] = "",
              month: Annotated[str, Form(alias="done_on-month")] = "",
              year: Annotated[str, Form(alias="done_on-year")] = "") -> Response:
    step = _step_or_404(request, transfer, step_id)
    today = settings_of(request).today()
    errors: dict[str, str] = {}
    done_on, date_error = parse_date_fields(day, month, year, "the date it was done")
    if date_error:
        # The engine's checks of the evidence too, so that every problem is shown at once.
        errors = {STEP_FORM[p.field]: wording.field_error(p)
                  for p in step_input_problems(evidence, None, today)}
        errors["done_on"] = date_error
    else:
        try:
            complete_step(transfer.ref, step_id, actor=principal.actor, evidence=evidence,
                          occurred_on=done_on, expected_version=version, today=today,
                          engine=engine_of(request))
        except ConflictError:
            errors["_conflict"] = CONFLICT
        except GuardRefusedError as exc:  # it cannot have happened yet (after the transfer)
            reason, remedy = wording.guard_failure(exc.failures[0])
            errors["done_on"] = f"{reason}. {remedy}"
        except ValidationError as exc:
            errors = wording.field_errors(exc, STEP_FORM, fallback="evidence")
        else:
            flash(request, f"Marked as done: {step.title}. Date it happened: "
                           f"{long_date(done_on or today)}.")
            return RedirectResponse(transfer_url(transfer), status_code=303)
    # Post/redirect/get: the form comes back filled in, with its errors, by a redirect.
    flash(request, "", form=KeptForm(step_url(transfer, step.step_id), errors=errors, values={
        "evidence": evidence, "done_on": {"day": day, "month": month, "year": year}}))
    return RedirectResponse(step_url(transfer, step.step_id), status_code=303)
