"""Creating a transfer in the browser: first its workflow, then its details and key dates.

The engine decides everything (:func:`transfer_engine.engine.create.create_transfer`, as the
command line's ``create``): a receiving school with its type recorded decides the regime, and a
regime that contradicts it is recorded only with a reason, and flagged. An HR officer who
creates a transfer is assigned to it, so that they can go on working on it; administrators see
every transfer. Viewers and union representatives cannot create one (refused, and audited).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import select
from starlette.datastructures import FormData

from transfer_engine.domain import Regime
from transfer_engine.engine.create import create_transfer, parse_transfer_create
from transfer_engine.errors import NotFoundError, ValidationError
from transfer_engine.store.accounts import Role, User
from transfer_engine.store.database import read_session, write_session
from transfer_engine.store.organisations import Organisation
from transfer_engine.web.auth import Principal, assign
from transfer_engine.web.deps import HrStaff, deny, engine_of, flash, settings_of
from transfer_engine.web.form_errors import (
    Box,
    date_parts,
    form_errors,
    regime_in_sentence,
    text,
)
from transfer_engine.web.forms import parse_date_fields
from transfer_engine.web.rendering import render
from transfer_engine.workflow.definition import WorkflowDefinition
from transfer_engine.workflow.loader import WorkflowLibrary, library

router = APIRouter()

#: The regimes as the form offers them; "" leaves it to the school's type (or TUPE).
REGIMES = [("", "Decide it from the receiving school's type",
            "Only for a school with its type recorded. Otherwise TUPE, with your reason."),
           (Regime.tupe.value, "TUPE", "A relevant transfer (TUPE 2006, reg 3)."),
           (Regime.cosop.value, "COSOP", "A transfer within the public sector treated under "
                                          "the Cabinet Office Statement of Practice."),
           (Regime.not_a_transfer.value, "Not a transfer", "The employer does not change.")]

BOXES = {
    "ref": Box("ref", "the reference", "a reference for the transfer, like cleaning-to-acme"),
    "title": Box("title", "the title", "a title for the transfer"),
    "transferor": Box("transferor", "the employer the staff move from",
                      "the employer the staff move from"),
    "transferee": Box("transferee", "the employer the staff move to",
                      "the employer the staff move to"),
    "regime": Box("regime", "the regime"),
    "regime_reason": Box("regime_reason", "the reason for the regime",
                         "why this regime applies; it is recorded"),
    "hr_owner": Box("hr_owner", "the HR owner's email address",
                    "the HR owner's email address"),
    "escalation_contact": Box("escalation_contact", "the escalation contact's email address",
                              "the escalation contact's email address"),
    "workflow_id": Box("workflow", "the workflow", "the workflow"),
}


async def _form(request: Request) -> FormData:
    return await request.form()


Form = Annotated[FormData, Depends(_form)]


def _creator(request: Request, principal: Principal) -> Principal:
    """HR officers and administrators create transfers; viewers only look (refused, audited)."""
    if principal.role not in (Role.hr_admin, Role.hr_officer):
        raise deny(request, principal, "Your role can look at transfers but not create them.")
    return principal


def _library(request: Request) -> WorkflowLibrary:
    """The shipped workflows and the organisation's own (which replace one of the same id)."""
    return library(*settings_of(request).engine.workflow_folders)


def _workflows(request: Request) -> list[WorkflowDefinition]:
    return sorted(_library(request).all(), key=lambda d: d.title.casefold())


def _organisations(request: Request) -> list[Organisation]:
    with read_session(engine_of(request)) as session:
        return list(session.exec(select(Organisation).order_by(Organisation.name)).all())


@router.get("/new-transfer")
def choose_workflow(request: Request, principal: HrStaff) -> Response:
    _creator(request, principal)
    return render(request, "new_transfer_workflow.html", {
        "workflows": _workflows(request), "errors": {}, "values": {}})


@router.get("/new-transfer/details")
def details_form(request: Request, principal: HrStaff, workflow: str = "") -> Response:
    _creator(request, principal)
    definition = _definition(request, workflow)
    if definition is None:
        return render(request, "new_transfer_workflow.html", {
            "workflows": _workflows(request), "values": {},
            "errors": {"workflow": "Select the workflow the transfer follows"}},
            status_code=422)
    return _details(request, definition, {"regime": ""})


def _definition(request: Request, workflow: str) -> WorkflowDefinition | None:
    try:
        return _library(request).get(workflow) if workflow else None
    except NotFoundError:
        return None


def _details(request: Request, definition: WorkflowDefinition, values: dict[str, Any],
             errors: dict[str, str] | None = None, status_code: int = 200) -> Response:
    return render(request, "new_transfer.html", {
        "workflow": definition, "organisations": _organisations(request),
        "regimes": REGIMES, "values": values, "errors": errors or {}},
        status_code=status_code)


@router.post("/new-transfer/details")
def create(request: Request, principal: HrStaff, form: Form) -> Response:
    _creator(request, principal)
    definition = _definition(request, text(form, "workflow"))
    if definition is None:
        return render(request, "new_transfer_workflow.html", {
            "workflows": _workflows(request), "values": {},
            "errors": {"workflow": "Select the workflow the transfer follows"}},
            status_code=422)
    names = ("ref", "title", "transferor", "transferee", "regime", "regime_reason", "hr_owner",
             "escalation_contact")
    values: dict[str, Any] = {name: text(form, name) for name in names}
    errors: dict[str, str] = {}
    key_dates: dict[str, date] = {}
    for name, key_date in definition.key_dates.items():
        box = f"key-date-{name}"
        values[box] = date_parts(form, box)
        when, problem = parse_date_fields(**values[box], what=key_date.label.lower())
        if problem:
            errors[box] = problem
        elif when is None and key_date.required:
            errors[box] = f"Enter the {key_date.label.lower()}"
        elif when is not None:
            key_dates[name] = when
    boxes = {**BOXES, **{f"key_dates.{n}": Box(f"key-date-{n}", s.label.lower())
                         for n, s in definition.key_dates.items()}}
    data = {"ref": values["ref"], "title": values["title"], "workflow_id": definition.id,
            "regime": values["regime"] or None, "regime_reason": values["regime_reason"] or None,
            "transferor": values["transferor"], "transferee": values["transferee"],
            "key_dates": key_dates, "hr_owner": values["hr_owner"] or None,
            "escalation_contact": values["escalation_contact"] or None}
    for name in ("transferor", "transferee"):
        if not values[name]:
            errors[name] = f"Select {BOXES[name].name}"
    try:
        spec = parse_transfer_create(data)
        if errors:
            return _details(request, definition, values, errors, 422)
        with write_session(engine_of(request)) as session:
            transfer = create_transfer(session, spec, actor=principal.actor,
                                       workflows=_library(request))
            if principal.role == Role.hr_officer:
                # So that the officer who created it can see it and go on with it.
                user = session.get(User, principal.id)
                assert user is not None  # signed in
                assign(session, user, transfer, actor=principal.actor)
            transfer_id, regime = transfer.id, transfer.regime
            warning = transfer.regime_warning
    except ValidationError as exc:
        blank = [name for name in names if not values[name]]
        for box, problem in form_errors(exc, boxes, empty=blank).items():
            errors.setdefault(box, problem)
        return _details(request, definition, values, errors, 422)
    except NotFoundError:  # an organisation removed since the page was shown
        errors.setdefault("transferor", "Select the employers again: one of them is no "
                                        "longer recorded")
        return _details(request, definition, values, errors, 422)
    message = f"Transfer created, under {regime_in_sentence(regime)}."
    if warning:
        message += (" Its regime departs from what the school's type decides: the warning is "
                    "shown on the transfer.")
    flash(request, message)
    return RedirectResponse(f"/transfers/{transfer_id}", status_code=303)
