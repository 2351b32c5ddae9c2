"""The employee liability information (TUPE reg 11) in the browser: what each transferring
employee's ELI lacks, why it is late (reg 11(6)), and the changes since it was given that a
notice must still tell the new employer (reg 11(5)).

Completeness is :func:`transfer_engine.rules.eli.eli_gaps` (the command line's ``eli check``);
the late reason is recorded by :func:`transfer_engine.letters.particulars.record_eli_late_reason`
(``eli late-reason``); the changes are :func:`transfer_engine.engine.liability.pending_changes`
(``eli changes``), and their notice is issued through the letters' issue flow. The ELI is
personal data: HR officers assigned to the transfer and administrators only.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import select

from transfer_engine.engine.liability import pending_changes
from transfer_engine.engine.limits import ELI_LATE_REASON
from transfer_engine.errors import ValidationError
from transfer_engine.letters.particulars import record_eli_late_reason
from transfer_engine.letters.recorded_particulars import read_particulars, transfer_scope
from transfer_engine.rules.eli import ELI_ITEMS, eli_gaps
from transfer_engine.store.database import read_session
from transfer_engine.store.people import Employee
from transfer_engine.store.queries import steps_of
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
from transfer_engine.web.form_errors import Box, form_errors
from transfer_engine.web.rendering import render

router = APIRouter()

#: The notice of changes to the ELI given (reg 11(5)).
CHANGE_NOTICE = "eli-change"
LABELS = {item.column: item.label for item in ELI_ITEMS}


def _page(request: Request, transfer: Transfer, *, reason: str | None = None,
          errors: dict[str, str] | None = None, status_code: int = 200) -> Response:
    today = settings_of(request).today()
    with read_session(engine_of(request)) as session:
        fresh = session.get(Transfer, transfer.id)
        assert fresh is not None and fresh.id is not None
        gaps = eli_gaps(session, fresh, as_of=today)
        names = dict(session.exec(select(Employee.employee_ref, Employee.full_name).where(
            Employee.transfer_id == fresh.id)).all())
        changes = pending_changes(session, fresh.id)
        recorded = read_particulars(session, [transfer_scope(fresh.id)]).get(
            transfer_scope(fresh.id), {})
        step = steps_of(session, fresh).get("eli")
        editable = can_edit(session, request.state.principal, fresh)
    return render(request, "eli.html", {
        "t": fresh, "section": "eli", "gaps": gaps, "names": names, "changes": changes,
        "labels": LABELS, "late_reason": recorded.get("eli_late_reason"), "step": step,
        "editable": editable, "notice": CHANGE_NOTICE,
        "min_length": ELI_LATE_REASON.min_length,
        "values": {"reason": reason if reason is not None else ""},
        "errors": errors or {}}, status_code=status_code)


@router.get("/transfers/{transfer_id}/eli")
def eli(request: Request, transfer_id: int, principal: PersonalData) -> Response:
    return _page(request, find_transfer(request, principal, transfer_id))


@router.post("/transfers/{transfer_id}/eli/late-reason")
def late_reason(request: Request, transfer_id: int, principal: PersonalData,
                reason: Annotated[str, Form()] = "") -> Response:
    transfer = find_transfer(request, principal, transfer_id)
    require_edit(request, principal, transfer)
    try:
        record_eli_late_reason(transfer.ref, reason, actor=principal.actor,
                               engine=engine_of(request))
    except ValidationError as exc:
        return _page(request, transfer, reason=reason, status_code=422, errors=form_errors(
            exc, {"reason": Box("reason", "the reason",
                                "the special circumstances that made giving the ELI 28 days "
                                "before the transfer not reasonably practicable")},
            fallback="reason"))
    flash(request, "Recorded why the employee liability information is late. The ELI letters "
                   "will give the reason.")
    return RedirectResponse(f"/transfers/{transfer.id}/eli#late-reason", status_code=303)
