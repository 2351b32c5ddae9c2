"""A transfer's employees: the staff list upload (CSV or XLSX), scope, objections, the ELI.

These pages show personal data: only HR officers assigned to the transfer and HR
administrators reach them (viewers and union representatives get 403, and the attempt is
audited). The upload checks every row first and saves nothing if any row is wrong.
"""

from __future__ import annotations

import csv
import io
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from sqlmodel import select

from transfer_engine.engine.import_limits import LIMITS_TEXT, MAX_FILE_BYTES, megabytes
from transfer_engine.engine.spreadsheets import spreadsheet_safe
from transfer_engine.engine.staff import COLUMNS, read_upload, store_employees, update_employee
from transfer_engine.errors import (
    ConflictError,
    ImportRowsError,
    NotFoundError,
    ValidationError,
)
from transfer_engine.store.database import read_session, write_session
from transfer_engine.store.people import Employee
from transfer_engine.store.queries import audit
from transfer_engine.store.transfers import Transfer
from transfer_engine.web import wording
from transfer_engine.web.auth import can_edit
from transfer_engine.web.deps import (
    PersonalData,
    engine_of,
    find_transfer,
    flash,
    require_edit,
    settings_of,
)
from transfer_engine.web.downloads import content_disposition
from transfer_engine.web.forms import date_values, parse_date_fields
from transfer_engine.web.rendering import render
from transfer_engine.web.routes.transfers import CONFLICT

router = APIRouter()


def _employees(request: Request, transfer: Transfer) -> list[Employee]:
    with read_session(engine_of(request)) as session:
        return list(session.exec(select(Employee).where(Employee.transfer_id == transfer.id)
                                 .order_by(Employee.employee_ref)).all())


def _page(request: Request, transfer: Transfer, *, errors: dict[str, str] | None = None,
          problems: list[Any] | None = None, status_code: int = 200) -> Response:
    with read_session(engine_of(request)) as session:
        fresh = session.get(Transfer, transfer.id)
        editable = can_edit(session, request.state.principal, transfer)
    employees = _employees(request, transfer)
    return render(request, "employees.html", {
        "t": fresh, "employees": employees, "editable": editable, "section": "employees",
        "columns": COLUMNS, "limits": LIMITS_TEXT, "errors": errors or {},
        "problems": problems or [],
        "in_scope": sum(1 for e in employees if e.in_scope and e.objected_on is None),
        "today": settings_of(request).today()}, status_code=status_code)


@router.get("/transfers/{transfer_id}/employees")
def employees(request: Request, transfer_id: int, principal: PersonalData) -> Response:
    transfer = find_transfer(request, principal, transfer_id)
    return _page(request, transfer)


@router.post("/transfers/{transfer_id}/employees/upload")
def upload(request: Request, transfer_id: int, principal: PersonalData,
           version: Annotated[int, Form()],
           file: Annotated[UploadFile | None, File()] = None,
           replace: Annotated[str, Form()] = "") -> Response:
    transfer = find_transfer(request, principal, transfer_id)
    require_edit(request, principal, transfer)
    if file is None or not file.filename:
        return _page(request, transfer, status_code=422,
                     errors={"file": "Select a CSV or XLSX file of the staff list"})
    # The engine's limits; reading one byte more is enough to know the file is too big.
    data = file.file.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        return _page(request, transfer, status_code=422, errors={
            "file": f"The file must be {megabytes(MAX_FILE_BYTES)} or smaller"})
    name = file.filename.rsplit("/", 1)[-1].rsplit("\\", 1)[-1][:120]
    try:
        rows = read_upload(name, data)
        report = store_employees(transfer.ref, rows, actor=principal.actor,
                                 replace=replace == "yes", source=name,
                                 expected_version=version, engine=engine_of(request))
    except ImportRowsError as exc:
        count = len(exc.problems)
        return _page(request, transfer, status_code=422, problems=exc.problems, errors={
            "file": f"{name} has {count} problem{'s' if count != 1 else ''}, so nothing was "
                    "imported. Fix the rows listed below and upload the whole file again"})
    except ConflictError:
        return _page(request, transfer, status_code=409, errors={"_conflict": CONFLICT})
    except ValidationError as exc:
        return _page(request, transfer, status_code=422, errors={"file": wording.describe(exc)})
    message = (f"Imported {report.imported} employee{'s' if report.imported != 1 else ''} from "
               f"{name}, {report.in_scope} in scope.")
    if report.replaced:
        message += f" The previous list of {report.replaced} was replaced."
    flash(request, message)
    return RedirectResponse(f"/transfers/{transfer.id}/employees", status_code=303)


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
    return render(request, "employee_edit.html", {
        "t": transfer, "e": employee, "values": {
            "in_scope": "yes" if employee.in_scope else "no",
            "objected_on": date_values(employee.objected_on)}})


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
            note = (" Their objection is recorded (reg 4(7)): correct the ELI given to the "
                    "transferee." if objected_on and not employee.objected_on else "")
            flash(request, f"Saved {employee.employee_ref}.{note}")
            return RedirectResponse(f"/transfers/{transfer.id}/employees", status_code=303)
    return render(request, "employee_edit.html", {
        "t": transfer, "e": employee, "errors": errors, "values": {
            "in_scope": in_scope, "objected_on": {"day": day, "month": month, "year": year}}},
        status_code=422)


@router.get("/transfers/{transfer_id}/employees/eli.csv")
def eli_csv(request: Request, transfer_id: int, principal: PersonalData) -> Response:
    """The employee liability information fields the staff list holds (reg 11(2)(a)), as CSV.

    Downloading personal data is recorded in the history (by count, never by name).
    """
    transfer = find_transfer(request, principal, transfer_id)
    staff = _employees(request, transfer)
    today = settings_of(request).today()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["employee_ref", "full_name", "role", "fte", "weekly_pay", "date_of_birth",
                     "age", "in_scope", "objected_on", "synthetic"])
    for e in staff:
        age = None
        if e.date_of_birth:
            age = today.year - e.date_of_birth.year - (
                (today.month, today.day) < (e.date_of_birth.month, e.date_of_birth.day))
        # Text from an HR export may start like a formula (=HYPERLINK(...)): neutralised.
        writer.writerow([spreadsheet_safe(cell) for cell in (
            e.employee_ref, e.full_name, e.role, e.fte, e.weekly_pay,
            e.date_of_birth or "", age if age is not None else "",
            "yes" if e.in_scope else "no", e.objected_on or "",
            "yes" if e.synthetic else "no")])
    with write_session(engine_of(request)) as session:
        audit(session, transfer, principal.actor, "eli-exported", data={"rows": len(staff)})
    filename = f"eli-{transfer.ref.replace('/', '-')}.csv"
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"content-disposition": content_disposition(filename)})
