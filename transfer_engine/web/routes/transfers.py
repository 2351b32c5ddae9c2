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

from transfer_engine.engine.advance import advance
from transfer_engine.engine.reschedule import reschedule, reschedule_input_problems
from transfer_engine.engine.steps import complete_step, step_input_problems
from transfer_engine.errors import (
    ConflictError,
    GuardRefusedError,
    InvalidTriggerError,
    NotFoundError,
    ValidationError,
)
from transfer_engine.letters.service import issue_pending
from transfer_engine.store.database import read_session
from transfer_engine.store.queries import definition_of, key_dates_of, steps_of
from transfer_engine.store.transfers import Transfer
from transfer_engine.web import svg, wording
from transfer_engine.web.auth import Principal
from transfer_engine.web.deps import (
    EditableTransfer,
    HrStaff,
    VisibleTransfer,
    engine_of,
    flash,
    settings_of,
)
from transfer_engine.web.forms import date_values, parse_date_fields
from transfer_engine.web.rendering import long_date, render, render_cached
from transfer_engine.web.views import transfer_page, transfer_page_key

router = APIRouter()

CONFLICT = ("Someone else changed this transfer since you opened the page, so nothing was "
            "saved. The page now shows the transfer as it is: check it and try again if "
            "still needed.")
# The engine's input fields -> the ids of the fields on each form.
STEP_FORM = {"evidence": "evidence", "done_on": "done_on"}
KEY_DATE_FORM = {"reason": "reason", "new_date": "new_date", "key_date": "new_date"}


def transfer_url(transfer: Transfer) -> str:
    return f"/transfers/{transfer.id}"


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
                "section": "overview"}

    if errors or values or refused or status_code != 200:  # a form coming back: never kept
        return render(request, "transfer.html", context(), status_code=status_code)
    with read_session(engine_of(request)) as session:
        key = transfer_page_key(session, principal, transfer, today)
    return render_cached(request, "transfer.html", key, context)


@router.get("/transfers/{transfer_id}")
def show(request: Request, transfer: VisibleTransfer, principal: HrStaff) -> Response:
    return _page(request, principal, transfer)


@router.post("/transfers/{transfer_id}/advance")
def fire(request: Request, transfer: EditableTransfer, principal: HrStaff,
         trigger: Annotated[str, Form()], version: Annotated[int, Form()],
         note: Annotated[str, Form()] = "",
         override_reason: Annotated[str, Form()] = "") -> Response:
    settings = settings_of(request)
    field = f"trigger-{trigger}"
    values = {f"note-{trigger}": note, f"override-{trigger}": override_reason}
    try:
        result = advance(transfer.ref, trigger, actor=principal.actor, note=note.strip() or None,
                         override_reason=override_reason.strip() or None,
                         expected_version=version, today=settings.today(),
                         engine=engine_of(request))
    except GuardRefusedError as exc:
        label = definition_of(transfer, engine_of(request)).triggers[trigger].label
        reasons = [wording.guard_failure(f) for f in exc.failures]
        hint = ""
        if override_reason.strip() and not exc.overridable:
            hint = " Some of these conditions cannot be overridden."
        return _page(request, principal, transfer, status_code=409, values=values,
                     refused={trigger: reasons},
                     errors={field: f"“{label}” was refused: {reasons[0][0]}.{hint}"})
    except ConflictError:
        return _page(request, principal, transfer, status_code=409, values=values,
                     errors={"_conflict": CONFLICT})
    except InvalidTriggerError as exc:
        return _page(request, principal, transfer, status_code=422, values=values,
                     errors={field if trigger else "_trigger": str(exc)})
    except ValidationError as exc:
        form = {"note": f"note-{trigger}", "override_reason": f"override-{trigger}"}
        return _page(request, principal, transfer, status_code=422, values=values,
                     errors=wording.field_errors(exc, form, fallback=field))
    moved = (f"{result.from_state} to {result.to_state}"
             if result.from_state != result.to_state else None)
    definition = definition_of(transfer, engine_of(request))
    label = definition.triggers[trigger].label
    message = f"Done: {label}."
    if moved:
        message += (f" The transfer is now {definition.states[result.to_state].label.lower()}.")
    if result.overridden:
        message += " The override and its reason are in the history."
    if result.letters:
        # Committed; the state's letters are issued now, in their own transaction.
        issued = issue_pending(engine_of(request), transfer_id=result.transfer_id)
        if issued.issued:
            message += " Letters: " + "; ".join(i.describe() for i in issued.issued) + "."
        elif not issued.errors:  # another process (the scheduler) took them first
            message += " Its letters are being issued (see Letters)."
        if issued.errors:
            message += (" Some letters could not be issued and will be tried again by the "
                        "scheduler; see Letters.")
    flash(request, message)
    return RedirectResponse(transfer_url(transfer), status_code=303)


# ---------------------------------------------------------------------------------------------
# Marking a step done


def _step_or_404(request: Request, transfer: Transfer, step_id: str) -> Any:
    with read_session(engine_of(request)) as session:
        steps = steps_of(session, transfer)
    if step_id not in steps:
        raise NotFoundError(f"{transfer.ref} has no step {step_id!r}")
    return steps[step_id]


@router.get("/transfers/{transfer_id}/steps/{step_id}/done")
def done_form(request: Request, transfer: EditableTransfer, step_id: str) -> Response:
    step = _step_or_404(request, transfer, step_id)
    today = settings_of(request).today()
    return render(request, "step_done.html", {
        "t": transfer, "step": step, "values": {"done_on": date_values(today)}})


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
                          done_on=done_on, expected_version=version, today=today,
                          engine=engine_of(request))
        except ConflictError:
            errors["_conflict"] = CONFLICT
        except ValidationError as exc:
            errors = wording.field_errors(exc, STEP_FORM, fallback="evidence")
        else:
            flash(request, f"Marked as done: {step.title}.")
            return RedirectResponse(transfer_url(transfer), status_code=303)
    return render(request, "step_done.html", {
        "t": transfer, "step": step, "errors": errors,
        "values": {"evidence": evidence, "done_on": {"day": day, "month": month, "year": year}}},
        status_code=422)


# ---------------------------------------------------------------------------------------------
# Key dates


def _key_date_context(request: Request, transfer: Transfer, name: str) -> dict[str, Any]:
    definition = definition_of(transfer, engine_of(request))
    if name not in definition.key_dates:
        raise NotFoundError(f"{transfer.ref} has no key date {name!r}")
    with read_session(engine_of(request)) as session:
        current = key_dates_of(session, transfer).get(name)
    return {"t": transfer, "name": name, "label": definition.key_dates[name].label,
            "current": current}


@router.get("/transfers/{transfer_id}/key-dates/{name}")
def key_date_form(request: Request, transfer: EditableTransfer, name: str) -> Response:
    context = _key_date_context(request, transfer, name)
    context["values"] = {"new_date": date_values(context["current"])}
    return render(request, "key_date.html", context)


@router.post("/transfers/{transfer_id}/key-dates/{name}")
def change_key_date(request: Request, transfer: EditableTransfer, principal: HrStaff, name: str,
                    version: Annotated[int, Form()], reason: Annotated[str, Form()] = "",
                    day: Annotated[str, Form(alias="new_date-day")] = "",
                    month: Annotated[str, Form(alias="new_date-month")] = "",
                    year: Annotated[str, Form(alias="new_date-year")] = "") -> Response:
    context = _key_date_context(request, transfer, name)
    errors: dict[str, str] = {}
    new, date_error = parse_date_fields(day, month, year, context["label"].lower())
    if date_error or new is None:
        errors["new_date"] = date_error or f"Enter the {context['label'].lower()}"
        # The engine's check of the reason too, so that every problem is shown at once.
        errors.update({KEY_DATE_FORM[p.field]: wording.field_error(p)
                       for p in reschedule_input_problems(reason)})
    else:
        try:
            report = reschedule(transfer.ref, name, new, actor=principal.actor,
                                reason=reason, today=settings_of(request).today(),
                                expected_version=version, engine=engine_of(request))
        except ConflictError:
            errors["_conflict"] = CONFLICT
        except ValidationError as exc:
            errors = wording.field_errors(exc, KEY_DATE_FORM, fallback="new_date")
        else:
            message = (f"{context['label']} changed to {long_date(report.new)}; "
                       f"{len(report.moved)} deadline(s) moved.")
            if report.now_late:
                message += f" Now done late: {', '.join(report.now_late)}."
            if report.impossible:
                message += f" Can no longer be met: {', '.join(report.impossible)}."
            flash(request, message)
            return RedirectResponse(transfer_url(transfer), status_code=303)
    context.update(errors=errors, values={
        "reason": reason, "new_date": {"day": day, "month": month, "year": year}})
    return render(request, "key_date.html", context, status_code=422)

