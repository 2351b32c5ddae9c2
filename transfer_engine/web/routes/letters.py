"""A transfer's letters and notices: preview, download (PDF, DOCX), issue, send again, and the
representatives' acknowledgements (the evidence that the reg 13(2) information reached them).

Letters name employees, so these pages are for HR officers assigned to the transfer and HR
administrators only.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

import transfer_engine.letters as letters_package
from transfer_engine.errors import ValidationError
from transfer_engine.letters.owed import LETTER_AUDIENCE, pending
from transfer_engine.store.database import read_session, write_session
from transfer_engine.store.queries import audit
from transfer_engine.store.transfers import Transfer
from transfer_engine.web import notices_view
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

FORMATS = {
    "pdf": ("application/pdf", "render_pdf"),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document",
             "render_docx"),
}


def _page(request: Request, transfer: Transfer, *, errors: dict[str, str] | None = None,
          status_code: int = 200) -> Response:
    with read_session(engine_of(request)) as session:
        fresh = session.get(Transfer, transfer.id)
        assert fresh is not None
        letters = [(name, notices_view.recipients(session, fresh, name))
                   for name in notices_view.letter_names(fresh)]
        messages = notices_view.transfer_messages(session, fresh)
        editable = can_edit(session, request.state.principal, fresh)
        owed = pending(session, fresh.id)
    return render(request, "letters.html", {
        "t": fresh, "letters": letters, "messages": messages, "editable": editable,
        "owed": owed,
        "automatic": LETTER_AUDIENCE, "section": "letters", "errors": errors or {},
        "title_of": notices_view.letter_title},
        status_code=status_code)


@router.get("/transfers/{transfer_id}/letters")
def letters(request: Request, transfer_id: int, principal: PersonalData) -> Response:
    return _page(request, find_transfer(request, principal, transfer_id))


@router.get("/transfers/{transfer_id}/letters/{letter}/preview")
def preview(request: Request, transfer_id: int, letter: str, to: str,
            principal: PersonalData) -> Response:
    transfer = find_transfer(request, principal, transfer_id)
    with read_session(engine_of(request)) as session:
        document = notices_view.render_letter(session, transfer, letter, to,
                                              settings_of(request).today())
    return render(request, "letter_preview.html", {
        "t": transfer, "letter": letter, "to": to, "document": document,
        "html": notices_view.letter_preview_html(document), "section": "letters"})


@router.get("/transfers/{transfer_id}/letters/{letter}/{fmt}")
def download(request: Request, transfer_id: int, letter: str, fmt: str, to: str,
             principal: PersonalData) -> Response:
    transfer = find_transfer(request, principal, transfer_id)
    if fmt not in FORMATS:
        return _page(request, transfer, status_code=404,
                     errors={"_format": "Letters download as PDF or DOCX"})

    media_type, function = FORMATS[fmt]
    with read_session(engine_of(request)) as session:
        document = notices_view.render_letter(session, transfer, letter, to,
                                              settings_of(request).today())
    data = getattr(letters_package, function)(document)
    with write_session(engine_of(request)) as session:
        audit(session, transfer, principal.actor, "letter-downloaded",
              data={"letter": letter, "format": fmt, "recipient": to})
    name = f"{letter}-{transfer.ref.replace('/', '-')}-{to.replace(':', '-')}.{fmt}"
    return Response(data, media_type=media_type,
                    headers={"content-disposition": f'attachment; filename="{name}"'})


@router.post("/transfers/{transfer_id}/letters/{letter}/issue")
def issue(request: Request, transfer_id: int, letter: str, principal: PersonalData) -> Response:
    transfer = find_transfer(request, principal, transfer_id)
    require_edit(request, principal, transfer)
    try:
        with write_session(engine_of(request)) as session:
            count = notices_view.issue_letter(session, transfer, letter, actor=principal.actor,
                                              today=settings_of(request).today())
    except ValidationError as exc:
        return _page(request, transfer, status_code=422,
                     errors={f"issue-{letter}": str(exc).capitalize()})
    flash(request, f"Issued {letter} to {count} recipient{'s' if count != 1 else ''}: the "
                   "scheduler sends them (see below).")
    return RedirectResponse(f"/transfers/{transfer.id}/letters", status_code=303)


@router.post("/transfers/{transfer_id}/messages/{message_id}/resend")
def resend(request: Request, transfer_id: int, message_id: int,
           principal: PersonalData) -> Response:
    transfer = find_transfer(request, principal, transfer_id)
    require_edit(request, principal, transfer)
    try:
        with write_session(engine_of(request)) as session:
            notices_view.resend(session, transfer, message_id, actor=principal.actor,
                                today=settings_of(request).today())
    except ValidationError as exc:
        return _page(request, transfer, status_code=422,
                     errors={"_resend": str(exc).capitalize()})
    flash(request, "A copy will be sent; the earlier message stays on record.")
    return RedirectResponse(f"/transfers/{transfer.id}/letters", status_code=303)
