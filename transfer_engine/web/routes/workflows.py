"""Workflow versions (HR administrators only): which version each transfer runs on, and moving
one to another version after checking what that changes for it.

A transfer keeps the version of its workflow it started with when the file changes; moving it
is a decision, so the page shows the changes to its steps, deadlines, guards and letters first
and applies them only when the administrator confirms (see
:mod:`transfer_engine.engine.migrate`).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import col, select

from transfer_engine.engine.migrate import MigrationReport, migrate, migration_report
from transfer_engine.errors import (
    ConflictError,
    NotFoundError,
    ValidationError,
    WorkflowError,
)
from transfer_engine.store.database import read_session
from transfer_engine.store.transfers import Transfer
from transfer_engine.web.deps import Administrator, engine_of, find_transfer, flash
from transfer_engine.web.rendering import render
from transfer_engine.workflow.loader import library

router = APIRouter()


@router.get("/admin/workflows")
def versions(request: Request, principal: Administrator) -> Response:
    """Every transfer with the version it runs on and the version its file has now."""
    with read_session(engine_of(request)) as session:
        transfers = session.exec(select(Transfer).order_by(col(Transfer.ref))).all()
    rows = []
    for transfer in transfers:
        try:
            current: Any = library().get(transfer.workflow_id)
        except (NotFoundError, WorkflowError):  # the file has gone: nothing to move to
            current = None
        rows.append({"transfer": transfer, "current": current})
    return render(request, "admin_workflows.html", {"rows": rows})


def _check_page(request: Request, transfer: Transfer, to_version: int,
                errors: dict[str, str] | None = None, status_code: int = 200) -> Response:
    report: MigrationReport | None = None
    problem = None
    try:
        with read_session(engine_of(request)) as session:
            report = migration_report(session, transfer.ref, to_version)
    except (ValidationError, NotFoundError, WorkflowError) as exc:
        problem = str(exc)
    return render(request, "admin_workflow_migrate.html", {
        "t": transfer, "to_version": to_version, "report": report, "problem": problem,
        "errors": errors or {}}, status_code=status_code)


@router.get("/admin/transfers/{transfer_id}/workflow/{to_version}")
def check(request: Request, principal: Administrator, transfer_id: int,
          to_version: int) -> Response:
    return _check_page(request, find_transfer(request, principal, transfer_id), to_version)


@router.post("/admin/transfers/{transfer_id}/workflow/{to_version}")
def apply(request: Request, principal: Administrator, transfer_id: int, to_version: int,
          version: Annotated[int, Form()]) -> Response:
    transfer = find_transfer(request, principal, transfer_id)
    try:
        report = migrate(transfer.ref, to_version, actor=principal.actor,
                         expected_version=version, engine=engine_of(request))
    except ConflictError:
        return _check_page(request, transfer, to_version, status_code=409, errors={
            "_conflict": "Someone changed this transfer since you opened the page, so nothing "
                         "was changed. The changes below are worked out again from the "
                         "transfer as it is now: check them and confirm again if still "
                         "needed."})
    except (ValidationError, NotFoundError, WorkflowError) as exc:
        return _check_page(request, transfer, to_version, status_code=422,
                           errors={"_migrate": str(exc)})
    moved = len(report.deadlines)
    flash(request, f"{transfer.ref} now runs on version {report.to_version} of its workflow; "
                   f"{moved} deadline{'s' if moved != 1 else ''} changed. The change is in "
                   "its history.")
    return RedirectResponse(f"/transfers/{transfer.id}", status_code=303)
