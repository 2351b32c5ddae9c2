"""Changing a key date, checked before it is saved.

1. The form (``GET/POST .../key-dates/{name}``): the new date and why it moved. A refused form
   comes back filled in, by redirect (post/redirect/get).
2. The check page (``GET .../key-dates/{name}/check/{token}``): each deadline's old and new date
   by its title, what becomes late or can no longer be met, and which letters should follow
   (the changed-date notice to those holding a letter with the old date). It is the engine's
   own computation, run and rolled back (:func:`~transfer_engine.engine.reschedule.
   preview_reschedule`), so it is what confirming saves.
3. Confirming (``POST`` to the check page) saves it; the next page lists what moved, from and
   to, and gives bad news as a warning that says what to do.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from transfer_engine.engine.reschedule import (
    RescheduleReport,
    preview_reschedule,
    reschedule,
    reschedule_input_problems,
)
from transfer_engine.errors import ConflictError, NotFoundError, ValidationError
from transfer_engine.store.database import read_session
from transfer_engine.store.queries import definition_of, key_dates_of
from transfer_engine.store.transfers import Transfer
from transfer_engine.views.date_change import FollowUp, letters_to_follow
from transfer_engine.web import staging, wording
from transfer_engine.web.deps import (
    EditableTransfer,
    HrStaff,
    engine_of,
    flash,
    kept_form,
    settings_of,
)
from transfer_engine.web.flash import KeptForm
from transfer_engine.web.forms import date_values, parse_date_fields
from transfer_engine.web.rendering import long_date, render
from transfer_engine.web.routes.transfers import CONFLICT, KEY_DATE_FORM, transfer_url

router = APIRouter()

KIND = "key-date"


def _form_url(transfer: Transfer, name: str) -> str:
    return f"/transfers/{transfer.id}/key-dates/{name}"


def _context(request: Request, transfer: Transfer, name: str) -> dict[str, Any]:
    definition = definition_of(transfer, engine_of(request))
    if name not in definition.key_dates:
        raise NotFoundError(f"{transfer.ref} has no key date {name!r}")
    with read_session(engine_of(request)) as session:
        current = key_dates_of(session, transfer).get(name)
    return {"t": transfer, "name": name, "label": definition.key_dates[name].label,
            "current": current}


@router.get("/transfers/{transfer_id}/key-dates/{name}")
def key_date_form(request: Request, transfer: EditableTransfer, name: str,
                  change: str = "") -> Response:
    context = _context(request, transfer, name)
    kept = kept_form(request, _form_url(transfer, name))
    if kept is not None:
        context.update(values=kept.values, errors=kept.errors)
    else:
        values: dict[str, Any] = {"new_date": date_values(context["current"])}
        staged = _staged(request, transfer, change)  # "Change" from the check page
        if staged is not None and staged.meta.get("name") == name:
            values = {"new_date": date_values(date.fromisoformat(staged.meta["new"])),
                      "reason": staged.meta.get("reason", "")}
        context["values"] = values
    # A refused form shown again answers 422, as the step pages do.
    return render(request, "key_date.html", context,
                  status_code=422 if kept is not None and kept.errors else 200)


@router.post("/transfers/{transfer_id}/key-dates/{name}")
def check_key_date(request: Request, transfer: EditableTransfer, principal: HrStaff, name: str,
                   version: Annotated[int, Form()], reason: Annotated[str, Form()] = "",
                   day: Annotated[str, Form(alias="new_date-day")] = "",
                   month: Annotated[str, Form(alias="new_date-month")] = "",
                   year: Annotated[str, Form(alias="new_date-year")] = "") -> Response:
    """The form's answers, checked; then the check page (nothing is saved yet)."""
    context = _context(request, transfer, name)
    errors: dict[str, str] = {}
    new, date_error = parse_date_fields(day, month, year, context["label"].lower())
    if date_error or new is None:
        errors["new_date"] = date_error or f"Enter the {context['label'].lower()}"
        # The engine's check of the reason too, so that every problem is shown at once.
        errors.update({KEY_DATE_FORM[p.field]: wording.field_error(p)
                       for p in reschedule_input_problems(reason)})
    else:
        try:  # refused now, not on the check page: the same checks the change will make
            preview_reschedule(transfer.ref, name, new, actor=principal.actor, reason=reason,
                               today=settings_of(request).today(), expected_version=version,
                               engine=engine_of(request))
        except ConflictError:
            errors["_conflict"] = CONFLICT
        except ValidationError as exc:
            errors = wording.field_errors(exc, KEY_DATE_FORM, fallback="new_date")
    if errors:
        flash(request, "", form=KeptForm(_form_url(transfer, name), errors=errors, values={
            "reason": reason, "new_date": {"day": day, "month": month, "year": year}}))
        return RedirectResponse(_form_url(transfer, name), status_code=303)
    assert new is not None and transfer.id is not None
    token = staging.stage(settings_of(request).uploads_dir, kind=KIND, user_id=principal.id,
                          transfer_id=transfer.id, meta={
                              "name": name, "new": new.isoformat(), "reason": reason.strip(),
                              "version": version})
    return RedirectResponse(f"{_form_url(transfer, name)}/check/{token}", status_code=303)


def _staged(request: Request, transfer: Transfer, token: str) -> staging.Staged | None:
    principal = request.state.principal
    assert transfer.id is not None
    return staging.load(settings_of(request).uploads_dir, token, kind=KIND,
                        user_id=principal.id, transfer_id=transfer.id)


@router.get("/transfers/{transfer_id}/key-dates/{name}/check/{token}")
def check_page(request: Request, transfer: EditableTransfer, principal: HrStaff, name: str,
               token: str) -> Response:
    staged = _staged(request, transfer, token)
    if staged is None or staged.meta.get("name") != name:
        flash(request, "That change was not saved: its check page has expired or was already "
                       "used. Enter the new date again.", kind="warning")
        return RedirectResponse(_form_url(transfer, name), status_code=303)
    context = _context(request, transfer, name)
    today = settings_of(request).today()
    new = date.fromisoformat(staged.meta["new"])
    kept = kept_form(request, f"{_form_url(transfer, name)}/check")
    try:
        report = preview_reschedule(transfer.ref, name, new, actor=principal.actor,
                                    reason=staged.meta["reason"], today=today,
                                    engine=engine_of(request))
    except ValidationError as exc:  # the transfer changed since: say so on the form
        flash(request, "", form=KeptForm(_form_url(transfer, name),
                                         errors={"new_date": wording.describe(exc)},
                                         values={"reason": staged.meta["reason"],
                                                 "new_date": date_values(new)}))
        return RedirectResponse(_form_url(transfer, name), status_code=303)
    with read_session(engine_of(request)) as session:
        fresh = session.get(Transfer, transfer.id)
        follow = letters_to_follow(session, transfer, name)
    context.update(t=fresh, report=report, follow=follow, token=token, today=today,
                   reason=staged.meta["reason"], errors=kept.errors if kept else {},
                   moved=[c for c in report.moved if c.old_due != c.new_due])
    return render(request, "key_date_check.html", context)


@router.post("/transfers/{transfer_id}/key-dates/{name}/check/{token}")
def confirm(request: Request, transfer: EditableTransfer, principal: HrStaff, name: str,
            token: str, version: Annotated[int, Form()]) -> Response:
    staged = _staged(request, transfer, token)
    check_url = f"{_form_url(transfer, name)}/check/{token}"
    if staged is None or staged.meta.get("name") != name:
        flash(request, "Nothing was saved: this change's check page has expired or was "
                       "already used. Enter the new date again.", kind="warning")
        return RedirectResponse(_form_url(transfer, name), status_code=303)
    context = _context(request, transfer, name)
    try:
        report = reschedule(transfer.ref, name, date.fromisoformat(staged.meta["new"]),
                            actor=principal.actor, reason=staged.meta["reason"],
                            today=settings_of(request).today(), expected_version=version,
                            engine=engine_of(request))
    except ConflictError:
        flash(request, "", form=KeptForm(f"{_form_url(transfer, name)}/check", errors={
            "_conflict": CONFLICT + " The check below is worked out again."}))
        return RedirectResponse(check_url, status_code=303)
    except ValidationError as exc:
        flash(request, "", form=KeptForm(_form_url(transfer, name), errors=wording.field_errors(
            exc, KEY_DATE_FORM, fallback="new_date"), values={
                "reason": staged.meta["reason"],
                "new_date": date_values(date.fromisoformat(staged.meta["new"]))}))
        return RedirectResponse(_form_url(transfer, name), status_code=303)
    staging.discard(settings_of(request).uploads_dir, token)
    with read_session(engine_of(request)) as session:
        follow = letters_to_follow(session, transfer, name)
    message, items, kind = saved_message(context["label"], report, follow)
    flash(request, message, kind=kind, items=items)
    return RedirectResponse(transfer_url(transfer) + "#key-dates", status_code=303)


def moved_items(report: RescheduleReport) -> list[str]:
    """"Inform the representatives: from 4 October 2022 to 2 November 2022", one a deadline."""
    items = []
    for change in report.moved:
        if change.old_due == change.new_due:
            continue
        old = long_date(change.old_due) if change.old_due else "no deadline"
        new = long_date(change.new_due) if change.new_due else "no deadline (does not apply)"
        items.append(f"{report.title(change.step_id)}: from {old} to {new}")
    return items


def saved_message(label: str, report: RescheduleReport,
                  follow: list[FollowUp]) -> tuple[str, list[str], Any]:
    """The banner after saving: what moved, and any bad news as a warning with what to do."""
    moved = moved_items(report)
    count = f"{len(moved)} deadline{'s' if len(moved) != 1 else ''} moved"
    message = f"{label} changed to {long_date(report.new)}; {count}" + (":" if moved else ".")
    items = list(moved)
    bad = []
    if report.impossible:
        bad.append("These can no longer be met by their deadline (it has passed): "
                   + "; ".join(report.title(s) for s in report.impossible)
                   + ". Do them as soon as you can and record why they are late")
    if report.now_late:
        bad.append("These were done on time but are late against the new date: "
                   + "; ".join(report.title(s) for s in report.now_late))
    for letter in follow:
        bad.append(f"Send “{letter.title}” to the {letter.holders_text()} who hold a letter "
                   "with the old date (Letters page)")
    if bad:
        return message, items + [f"{b}." for b in bad], "warning"
    return message, items, "success"
