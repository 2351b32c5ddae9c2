"""Importing a staff list, checked before it is applied.

1. Upload (``POST .../employees/upload``): the file is read and every row checked. A file with
   problems comes back to the Employees page with each problem by row and column (by redirect:
   refreshing does not upload again). A good file is kept on the server (:mod:`..staging`),
   tied to the person and the transfer, and the browser is sent to its check page.
2. The check page (``GET .../employees/check/{token}``): who will be added, what changes for
   whom (field by field), who is put out of scope or recorded as objecting. Worked out by the
   engine's own :func:`~transfer_engine.engine.staff.plan_import`, as the import will.
3. Confirming (``POST`` to the check page) applies the kept file; it is never uploaded twice.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from transfer_engine.engine.import_limits import MAX_FILE_BYTES, megabytes
from transfer_engine.engine.inputs import EmployeeRow
from transfer_engine.engine.staff import (
    ImportMode,
    check_import,
    read_upload,
    store_employees,
)
from transfer_engine.errors import ConflictError, ImportRowsError, ValidationError
from transfer_engine.store.database import read_session
from transfer_engine.store.queries import key_dates_of
from transfer_engine.store.transfers import Transfer
from transfer_engine.web import staging, wording
from transfer_engine.web.deps import (
    PersonalData,
    engine_of,
    find_transfer,
    flash,
    kept_form,
    require_edit,
    settings_of,
)
from transfer_engine.web.flash import MAX_ITEMS, KeptForm
from transfer_engine.web.rendering import render
from transfer_engine.web.routes.employees import employees_url
from transfer_engine.web.routes.transfers import CONFLICT

router = APIRouter()

KIND = "staff-list"


def _refused(request: Request, transfer: Transfer, errors: dict[str, str], mode: str,
             problems: list[dict[str, object]] | None = None) -> Response:
    """Back to the Employees page, the upload form showing what is wrong (post/redirect/get)."""
    flash(request, "", form=KeptForm(employees_url(transfer), errors=errors,
                                     values={"mode": mode},
                                     extra={"problems": problems or []}))
    return RedirectResponse(employees_url(transfer) + "#upload", status_code=303)


def _rows(request: Request, transfer: Transfer, name: str, data: bytes) -> list[EmployeeRow]:
    with read_session(engine_of(request)) as session:
        transfer_date = key_dates_of(session, transfer).get("transfer")
    return read_upload(name, data, transfer_date)


def _problems_error(name: str, exc: ImportRowsError) -> dict[str, str]:
    count = len(exc.problems)
    return {"file": f"{name} has {count} problem{'s' if count != 1 else ''}, so nothing was "
                    "imported. Fix the rows listed below and upload the whole file again"}


def _problem_rows(exc: ImportRowsError) -> list[dict[str, object]]:
    # Kept with the session until shown: the page lists the first ones and counts the rest.
    shown = [{"row": p.row, "column": p.column, "message": p.message}
             for p in exc.problems[:MAX_ITEMS]]
    if len(exc.problems) > MAX_ITEMS:
        shown.append({"row": "", "column": "",
                      "message": f"And {len(exc.problems) - MAX_ITEMS} more problems."})
    return shown


@router.post("/transfers/{transfer_id}/employees/upload")
def upload(request: Request, transfer_id: int, principal: PersonalData,
           version: Annotated[int, Form()],
           file: Annotated[UploadFile | None, File()] = None,
           mode: Annotated[str, Form()] = "update") -> Response:
    transfer = find_transfer(request, principal, transfer_id)
    require_edit(request, principal, transfer)
    if mode not in {m.value for m in ImportMode}:
        return _refused(request, transfer, {"mode": "Select whether the file updates the staff "
                                                    "list or is the whole staff list"}, "update")
    if file is None or not file.filename:
        return _refused(request, transfer,
                        {"file": "Select a CSV or XLSX file of the staff list"}, mode)
    # The engine's limits; reading one byte more is enough to know the file is too big.
    data = file.file.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        return _refused(request, transfer, {
            "file": f"The file must be {megabytes(MAX_FILE_BYTES)} or smaller"}, mode)
    name = file.filename.rsplit("/", 1)[-1].rsplit("\\", 1)[-1][:120]
    try:
        _rows(request, transfer, name, data)
    except ImportRowsError as exc:
        return _refused(request, transfer, _problems_error(name, exc), mode, _problem_rows(exc))
    except ValidationError as exc:
        return _refused(request, transfer, {"file": wording.describe(exc)}, mode)
    assert transfer.id is not None
    token = staging.stage(settings_of(request).uploads_dir, kind=KIND, user_id=principal.id,
                          transfer_id=transfer.id, data=data,
                          meta={"name": name, "mode": mode, "version": version})
    return RedirectResponse(f"{employees_url(transfer)}/check/{token}", status_code=303)


def _staged(request: Request, transfer: Transfer, principal: PersonalData,
            token: str) -> staging.Staged | None:
    assert transfer.id is not None
    return staging.load(settings_of(request).uploads_dir, token, kind=KIND,
                        user_id=principal.id, transfer_id=transfer.id)


_GONE = ("Nothing was imported: this file's check page has expired or was already used. "
         "Upload the file again.")


@router.get("/transfers/{transfer_id}/employees/check/{token}")
def check_page(request: Request, transfer_id: int, principal: PersonalData,
               token: str) -> Response:
    transfer = find_transfer(request, principal, transfer_id)
    require_edit(request, principal, transfer)
    staged = _staged(request, transfer, principal, token)
    if staged is None:
        flash(request, _GONE, kind="warning")
        return RedirectResponse(employees_url(transfer), status_code=303)
    name, mode = staged.meta["name"], ImportMode(staged.meta["mode"])
    try:
        rows = _rows(request, transfer, name, staged.data)
    except ImportRowsError as exc:  # the transfer date moved under an objection meanwhile
        staging.discard(settings_of(request).uploads_dir, token)
        return _refused(request, transfer, _problems_error(name, exc), mode.value,
                        _problem_rows(exc))
    except ValidationError as exc:  # as the upload words it: the form, with what is wrong
        staging.discard(settings_of(request).uploads_dir, token)
        return _refused(request, transfer, {"file": wording.describe(exc)}, mode.value)
    plan = check_import(transfer.ref, rows, mode=mode, engine=engine_of(request))
    with read_session(engine_of(request)) as session:
        fresh = session.get(Transfer, transfer.id)
    kept = kept_form(request, f"{employees_url(transfer)}/check")
    return render(request, "employees_check.html", {
        "t": fresh, "plan": plan, "name": name, "token": token, "section": "employees",
        "errors": kept.errors if kept else {}})


@router.post("/transfers/{transfer_id}/employees/check/{token}")
def confirm(request: Request, transfer_id: int, principal: PersonalData, token: str,
            version: Annotated[int, Form()]) -> Response:
    transfer = find_transfer(request, principal, transfer_id)
    require_edit(request, principal, transfer)
    folder = settings_of(request).uploads_dir
    staged = _staged(request, transfer, principal, token)
    if staged is None:
        flash(request, _GONE, kind="warning")
        return RedirectResponse(employees_url(transfer), status_code=303)
    name, mode = staged.meta["name"], ImportMode(staged.meta["mode"])
    try:
        rows = _rows(request, transfer, name, staged.data)
        report = store_employees(transfer.ref, rows, actor=principal.actor, mode=mode,
                                 source=name, expected_version=version,
                                 today=settings_of(request).today(), engine=engine_of(request))
    except ImportRowsError as exc:
        staging.discard(folder, token)
        return _refused(request, transfer, _problems_error(name, exc), mode.value,
                        _problem_rows(exc))
    except ConflictError:
        # The staff list may have changed: the check page works the changes out again.
        flash(request, "", form=KeptForm(f"{employees_url(transfer)}/check", errors={
            "_conflict": CONFLICT + " The changes below are worked out again."}))
        return RedirectResponse(f"{employees_url(transfer)}/check/{token}", status_code=303)
    except ValidationError as exc:
        staging.discard(folder, token)
        return _refused(request, transfer, {"file": wording.describe(exc)}, mode.value)
    staging.discard(folder, token)
    plan = report.plan
    assert plan is not None  # store_employees always says what it did
    message = f"Imported {name}: {plan.summary()}."
    items = []
    if plan.left_off:
        items.append(f"Put out of scope, not on the list (kept with their history): "
                     f"{', '.join(c.employee_ref for c in plan.left_off)}")
    if plan.objected:
        items.append("Objection recorded (reg 4(7)): "
                     f"{', '.join(c.employee_ref for c in plan.objected)}. Correct the ELI "
                     "given to the transferee (reg 11(5))")
    flash(request, message, items=items)
    return RedirectResponse(employees_url(transfer), status_code=303)
