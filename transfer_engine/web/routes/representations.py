"""A transfer's representations (reg 13(6)-(7)): what representatives wrote on the notices
sent to them, and HR's reply to each, with reasons when it rejects any of it.

What a representative writes may mention staff, so, like the letters, this page is for HR
officers assigned to the transfer and HR administrators; replying needs the right to change the
transfer. The representative sees the reply on the notice in their portal.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from transfer_engine.engine import representations as engine_representations
from transfer_engine.errors import NotFoundError, ValidationError
from transfer_engine.store.database import read_session, write_session
from transfer_engine.store.transfers import Transfer
from transfer_engine.views import representations as view
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
from transfer_engine.web.rendering import render

router = APIRouter()

#: The reply's outcomes as the form offers them, with a hint for each.
OUTCOMES = (
    ("accepted", "Accept it", "The reasons are optional."),
    ("partly-accepted", "Accept part of it", "Say which part you do not accept, and why."),
    ("rejected", "Reject it", "You must give your reasons (TUPE regulation 13(7))."),
)


def _page(request: Request, transfer: Transfer, *, errors: dict[str, str] | None = None,
          values: dict[str, str] | None = None, status_code: int = 200) -> Response:
    with read_session(engine_of(request)) as session:
        rows = view.for_transfer(session, transfer.id or 0)
        editable = can_edit(session, request.state.principal, transfer)
    return render(request, "representations.html", {
        "t": transfer, "section": "representations", "representations": rows,
        "editable": editable, "today": settings_of(request).today(), "outcomes": OUTCOMES,
        "text_max": engine_representations.TEXT_MAX,
        "working_days": engine_representations.REPLY_WORKING_DAYS,
        "errors": errors or {}, "values": values or {}}, status_code=status_code)


@router.get("/transfers/{transfer_id}/representations")
def representations(request: Request, transfer_id: int, principal: PersonalData) -> Response:
    return _page(request, find_transfer(request, principal, transfer_id))


@router.post("/transfers/{transfer_id}/representations/{representation_id}/reply")
def reply(request: Request, transfer_id: int, representation_id: int, principal: PersonalData,
          outcome: Annotated[str, Form()] = "", reasons: Annotated[str, Form()] = "") -> Response:
    transfer = find_transfer(request, principal, transfer_id)
    require_edit(request, principal, transfer)
    try:
        with write_session(engine_of(request)) as session:
            engine_representations.reply(session, transfer, representation_id, outcome,
                                         reasons, actor=principal.actor,
                                         today=settings_of(request).today())
    except NotFoundError:
        return _page(request, transfer, status_code=404, errors={
            "_reply": f"There is no representation {representation_id} on this transfer"})
    except ValidationError as exc:
        errors = wording.field_errors(exc, {"outcome": f"outcome-{representation_id}",
                                            "reasons": f"reasons-{representation_id}",
                                            "": f"reply-{representation_id}"})
        if f"outcome-{representation_id}" in errors:
            errors[f"outcome-{representation_id}"] = ("Select whether you accept the "
                                                       "representation, part of it, or reject it")
        return _page(request, transfer, status_code=422, errors=errors,
                     values={f"outcome-{representation_id}": outcome,
                             f"reasons-{representation_id}": reasons})
    flash(request, "Your reply is recorded and the representative can see it in their portal.")
    return RedirectResponse(f"/transfers/{transfer.id}/representations#representation-"
                            f"{representation_id}", status_code=303)
