"""A transfer's employees: the staff list upload (CSV or XLSX), scope, objections, the ELI.

These pages show personal data: only HR officers assigned to the transfer and HR
administrators reach them (viewers and union representatives get 403, and the attempt is
audited). The upload checks every row first and saves nothing if any row is wrong.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import select

from transfer_engine.engine.import_limits import LIMITS_TEXT
from transfer_engine.engine.liability import given_eli
from transfer_engine.engine.staff import COLUMNS, update_employee
from transfer_engine.errors import (
    ConflictError,
    NotFoundError,
    ValidationError,
)
from transfer_engine.store.database import read_session, write_session
from transfer_engine.store.people import Employee
from transfer_engine.store.transfers import Transfer
from transfer_engine.views.eli import ELI_FORMATS, export_eli
from transfer_engine.web import wording
from transfer_engine.web.auth import can_edit
from transfer_engine.web.deps import (
    PersonalData,
    engine_of,
    find_transfer,
    flash,
    kept_form,
    require_edit,
    settings_of,
)
from transfer_engine.web.downloads import content_disposition
from transfer_engine.web.flash import KeptForm
from transfer_engine.web.forms import date_values, parse_date_fields
from transfer_engine.web.rendering import render
from transfer_engine.web.routes.transfers import CONFLICT

router = APIRouter()


def _employees(request: Request, transfer: Transfer) -> list[Employee]:
    with read_session(engine_of(request)) as session:
        return list(session.exec(select(Employee).where(Employee.transfer_id == transfer.id)
                                 .order_by(Employee.employee_ref)).all())


def _page(request: Request, transfer: Transfer, *, errors: dict[str, str] | None = None,
          problems: list[Any] | None = None, values: dict[str, Any] | None = None,
          status_code: int = 200) -> Response:
    with read_session(engine_of(request)) as session:
        fresh = session.get(Transfer, transfer.id)
        editable = can_edit(session, request.state.principal, transfer)
    employees = _employees(request, transfer)
    return render(request, "employees.html", {
        "t": fresh, "employees": employees, "editable": editable, "section": "employees",
        "columns": COLUMNS, "limits": LIMITS_TEXT, "errors": errors or {},
        "problems": problems or [], "values": values or {},
        "in_scope": sum(1 for e in employees if e.in_scope and e.objected_on is None),
        "today": settings_of(request).today()}, status_code=status_code)


@router.get("/transfers/{transfer_id}/employees")
def employees(request: Request, transfer_id: int, principal: PersonalData) -> Response:
    transfer = find_transfer(request, principal, transfer_id)
    kept = kept_form(request, employees_url(transfer))  # a refused upload (see staff_import)
    if kept is not None:
        return _page(request, transfer, errors=kept.errors, values=kept.values,
                     problems=kept.extra.get("problems"))
    return _page(request, transfer)


def employees_url(transfer: Transfer) -> str:
    return f"/transfers/{transfer.id}/employees"


def _employee(request: Request, transfer: Transfer, ref: str) -> Employee:
    with read_session(engine_of(request)) as session:
        employee = session.exec(select(Employee).where(
            Employee.transfer_id == transfer.id, Employee.employee_ref == ref)).first()
    if employee is None:
        raise NotFoundError(f"{transfer.ref} has no employee {ref!r}")
    return employee


@router.get("/transfers/{transfer_id}/employees/edit")
def edit_form(request: Request, transfer_id: int, principal: PersonalData,
              ref: str) -> Response:
    transfer = find_transfer(request, principal, transfer_id)
    require_edit(request, principal, transfer)
    employee = _employee(request, transfer, ref)
    kept = kept_form(request, _edit_key(transfer, ref))
    if kept is not None:
        return render(request, "employee_edit.html", {
            "t": transfer, "e": employee, "errors": kept.errors, "values": kept.values})
    return render(request, "employee_edit.html", {
        "t": transfer, "e": employee, "values": {
            "in_scope": "yes" if employee.in_scope else "no",
            "objected_on": date_values(employee.objected_on)}})


def _objection_note(request: Request, transfer: Transfer, ref: str) -> str:
    """What a new objection means for the ELI (reg 4(7), reg 11(5)): whether the transferee,
    given this employee's ELI already, is now owed a notice of the change, or not."""
    assert transfer.id is not None
    with read_session(engine_of(request)) as session:
        given = bool(given_eli(session, transfer.id, [ref]))
    if given:
        return (" Their objection is recorded (reg 4(7)): they no longer transfer. The transferee"
                " was given their employee liability information, so it must be told in writing"
                " (reg 11(5)): send the notice of changes from the ELI page.")
    return (" Their objection is recorded (reg 4(7)): they no longer transfer, and the employee"
            " liability information will leave them out.")


def _edit_key(transfer: Transfer, ref: str) -> str:
    return f"{employees_url(transfer)}/edit?ref={quote(ref)}"


@router.post("/transfers/{transfer_id}/employees/edit")
def edit(request: Request, transfer_id: int, principal: PersonalData,
         ref: Annotated[str, Form()], version: Annotated[int, Form()],
         in_scope: Annotated[str, Form()] = "",
         day: Annotated[str, Form(alias="objected_on-day")] = "",
         month: Annotated[str, Form(alias="objected_on-month")] = "",
         year: Annotated[str, Form(alias="objected_on-year")] = "") -> Response:
    transfer = find_transfer(request, principal, transfer_id)
    require_edit(request, principal, transfer)
    employee = _employee(request, transfer, ref)
    errors: dict[str, str] = {}
    if in_scope not in ("yes", "no"):
        errors["in_scope"] = "Select whether the employee is in scope of the transfer"
    objected_on, date_error = parse_date_fields(day, month, year, "the date of the objection")
    if date_error:
        errors["objected_on"] = date_error
    if not errors:
        try:
            update_employee(transfer.ref, ref, in_scope=in_scope == "yes",
                            objected_on=objected_on, actor=principal.actor,
                            expected_version=version, today=settings_of(request).today(),
                            engine=engine_of(request))
        except ConflictError:
            errors["_conflict"] = CONFLICT
        except ValidationError as exc:
            errors = wording.field_errors(exc, {"objected_on": "objected_on"},
                                          fallback="objected_on")
        else:
            note = (_objection_note(request, transfer, employee.employee_ref)
                    if objected_on and not employee.objected_on else "")
            flash(request, f"Saved {employee.employee_ref}.{note}")
            return RedirectResponse(f"/transfers/{transfer.id}/employees", status_code=303)
    # Post/redirect/get: the form comes back filled in, with its errors, by a redirect.
    flash(request, "", form=KeptForm(_edit_key(transfer, ref), errors=errors, values={
        "in_scope": in_scope, "objected_on": {"day": day, "month": month, "year": year}}))
    return RedirectResponse(_edit_key(transfer, ref), status_code=303)


@router.get("/transfers/{transfer_id}/employees/eli.{fmt}")
def eli_download(request: Request, transfer_id: int, fmt: str,
                 principal: PersonalData) -> Response:
    """The employee liability information (reg 11(2)) of the employees who transfer as of
    today, as CSV or XLSX: no objector, nobody out of scope.

    Downloading personal data is recorded in the history (by count, never by name).
    """
    transfer = find_transfer(request, principal, transfer_id)
    if fmt not in ELI_FORMATS:
        raise NotFoundError(f"the ELI is downloaded as {' or '.join(ELI_FORMATS)}")
    with write_session(engine_of(request)) as session:
        export = export_eli(session, transfer, fmt=fmt, as_of=settings_of(request).today(),
                            actor=principal.actor)
    return Response(export.content, media_type=export.media_type,
                    headers={"content-disposition": content_disposition(export.filename)})
