"""The employee liability information over the API: its gaps, and the export.

Both name employees, so only roles that see personal data reach them (HR officers assigned to
the transfer and administrators), as on the Employees page.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from transfer_engine.rules.eli import eli_gaps
from transfer_engine.store.database import read_session, write_session
from transfer_engine.views.eli import export_eli
from transfer_engine.web.api.deps import ApiPersonal
from transfer_engine.web.deps import engine_of, find_transfer, settings_of
from transfer_engine.web.downloads import content_disposition

router = APIRouter(tags=["employee liability information"])

AS_OF = ("Who transfers as of this date (default today): an employee in scope who has not "
         "objected by then (reg 4(7)).")


@router.get("/transfers/{transfer_id}/eli",
            summary="Whether the ELI is complete: every reg 11(2) item missing, per employee")
def eli_completeness(request: Request, transfer_id: int, principal: ApiPersonal,
                     as_of: Annotated[date | None, Query(description=AS_OF)] = None
                     ) -> dict[str, Any]:
    transfer = find_transfer(request, principal, transfer_id)
    with read_session(engine_of(request)) as session:
        report = eli_gaps(session, transfer, as_of=as_of or settings_of(request).today())
    return {**report.as_json(), "summary": report.summary()}


@router.get("/transfers/{transfer_id}/eli/export",
            summary="The ELI of the transferring employees as CSV or XLSX (audited)",
            response_class=Response,
            responses={200: {"content": {"text/csv": {}, "application/vnd.openxmlformats-"
                                         "officedocument.spreadsheetml.sheet": {}}}})
def eli_export(request: Request, transfer_id: int, principal: ApiPersonal,
               fmt: Annotated[Literal["csv", "xlsx"], Query(alias="format")] = "csv",
               as_of: Annotated[date | None, Query(description=AS_OF)] = None) -> Response:
    transfer = find_transfer(request, principal, transfer_id)
    with write_session(engine_of(request)) as session:
        export = export_eli(session, transfer, fmt=fmt,
                            as_of=as_of or settings_of(request).today(), actor=principal.actor)
    return Response(export.content, media_type=export.media_type,
                    headers={"content-disposition": content_disposition(export.filename)})
