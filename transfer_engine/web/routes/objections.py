"""Employees' objections to transferring (TUPE reg 4(7)) in the browser, each dated before
the transfer, and then its acknowledgement letter offered through the letters' issue flow.

Recording goes through :func:`transfer_engine.engine.staff.update_employee` with the scope left
as it is, as the command line's ``record-objection``: the employee leaves the transferring
headcount, the ELI and the reg 12 figures from the objection's date. Objections name
employees: HR officers assigned to the transfer and administrators only.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import col, select
from starlette.datastructures import FormData

from transfer_engine.engine.staff import update_employee
from transfer_engine.errors import ConflictError, NotFoundError, TransferEngineError
from transfer_engine.store.database import read_session
from transfer_engine.store.people import Employee
from transfer_engine.store.queries import key_dates_of
from transfer_engine.store.transfers import Transfer
from transfer_engine.web.auth import can_edit
from transfer_engine.web.deps import (
    PersonalData,
    engine_of,
    find_transfer,
    flash,
    require_edit,
    settings_of,
)
from transfer_engine.web.form_errors import Box, date_parts, form_errors, text
from transfer_engine.web.forms import date_values, parse_date_fields, whole_number
from transfer_engine.web.rendering import render
from transfer_engine.web.routes.transfers import CONFLICT

router = APIRouter()

#: The letter that acknowledges an objection in writing.
ACKNOWLEDGEMENT = "objection-acknowledgement"
BOXES = {"objected_on": Box("objected_on", "the date of the objection",
                            "the date of the objection")}


async def _form(request: Request) -> FormData:
    return await request.form()


Form = Annotated[FormData, Depends(_form)]


def _page(request: Request, transfer: Transfer, values: dict[str, Any],
          errors: dict[str, str] | None = None, status_code: int = 200) -> Response:
    with read_session(engine_of(request)) as session:
        fresh = session.get(Transfer, transfer.id)
        assert fresh is not None
        employees = session.exec(select(Employee).where(Employee.transfer_id == fresh.id)
                                 .order_by(col(Employee.employee_ref))).all()
        transfer_date = key_dates_of(session, fresh).get("transfer")
        editable = can_edit(session, request.state.principal, fresh)
    return render(request, "objections.html", {
        "t": fresh, "section": "objections", "editable": editable,
        "objected": [e for e in employees if e.objected_on is not None],
        "can_object": [e for e in employees if e.objected_on is None and e.in_scope],
        "transfer_date": transfer_date, "letter": ACKNOWLEDGEMENT,
        "values": values, "errors": errors or {}}, status_code=status_code)


@router.get("/transfers/{transfer_id}/objections")
def objections(request: Request, transfer_id: int, principal: PersonalData) -> Response:
    transfer = find_transfer(request, principal, transfer_id)
    return _page(request, transfer, {"objected_on": date_values(settings_of(request).today())})


@router.post("/transfers/{transfer_id}/objections")
def record(request: Request, transfer_id: int, principal: PersonalData,
           form: Form) -> Response:
    transfer = find_transfer(request, principal, transfer_id)
    require_edit(request, principal, transfer)
    values: dict[str, Any] = {"employee": text(form, "employee"),
                              "objected_on": date_parts(form, "objected_on")}
    errors: dict[str, str] = {}
    if not values["employee"]:
        errors["employee"] = "Select the employee who objects"
    on, problem = parse_date_fields(**values["objected_on"], what="the date of the objection")
    if problem or on is None:
        errors["objected_on"] = problem or "Enter the date of the objection"
    version = text(form, "version")
    if not errors:
        try:
            employee = update_employee(
                transfer.ref, values["employee"], in_scope=None, objected_on=on,
                actor=principal.actor, today=settings_of(request).today(),
                expected_version=whole_number(version),
                engine=engine_of(request))
        except ConflictError:
            errors["_conflict"] = CONFLICT
        except NotFoundError:
            errors["employee"] = "Select the employee who objects: that one is not on the list"
        except TransferEngineError as exc:
            errors = form_errors(exc, BOXES, fallback="objected_on")
        else:
            flash(request, f"Recorded the objection of {employee.full_name}: they do not "
                           "transfer. Acknowledge it in writing with the letter below.")
            return RedirectResponse(f"/transfers/{transfer.id}/objections#objection-"
                                    f"{employee.employee_ref}", status_code=303)
    return _page(request, transfer, values, errors, 422)
