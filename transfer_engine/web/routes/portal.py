"""The union representatives' portal: the notices sent to their union, each shown as issued
(the letter on the page, with the same words as its PDF, and the PDF itself), acknowledging
them, and making representations on them (reg 13(6)-(7)), with the employer's replies.

Nothing here shows an employee's personal data: notices to representatives give numbers only,
and :mod:`transfer_engine.views.portal` refuses to show one that names anybody.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import FileResponse, RedirectResponse, Response

from transfer_engine.engine.representations import TEXT_MAX
from transfer_engine.errors import NotFoundError, ValidationError
from transfer_engine.letters.document import LetterDocument
from transfer_engine.store.database import read_session, write_session
from transfer_engine.views import portal as portal_view
from transfer_engine.web import wording
from transfer_engine.web.auth import Principal
from transfer_engine.web.deps import UnionRep, deny, engine_of, flash, settings_of
from transfer_engine.web.downloads import content_disposition
from transfer_engine.web.errors import PageNotFound
from transfer_engine.web.rendering import render

router = APIRouter()


@router.get("/portal")
def portal(request: Request, principal: UnionRep) -> Response:
    with read_session(engine_of(request)) as session:
        notices = portal_view.notices_for_rep(session, principal)
        linked = bool(portal_view.recognised_representatives(session, principal))
    return render(request, "portal.html", {"notices": notices, "linked": linked})


def _notice(request: Request, principal: Principal,
            message_id: int) -> portal_view.PortalNotice:
    try:
        with read_session(engine_of(request)) as session:
            return portal_view.notice_for_rep(session, principal, message_id)
    except NotFoundError:
        deny(request, principal, "notice not addressed to this union")
        raise PageNotFound() from None


def kind_of(block: object) -> str:
    """Which kind of block of a letter this is, for the page's template."""
    return type(block).__name__


def _notice_page(request: Request, principal: Principal, message_id: int, *,
                 errors: dict[str, str] | None = None, values: dict[str, str] | None = None,
                 status_code: int = 200) -> Response:
    found = _notice(request, principal, message_id)
    document: LetterDocument | None = None
    unavailable = ""
    with read_session(engine_of(request)) as session:
        try:
            document = portal_view.notice_document(session, principal, message_id)
        except ValidationError as exc:  # purged, or no longer matching the register
            unavailable = wording.describe(exc)
        representations = portal_view.notice_representations(session, principal, message_id)
    context: dict[str, Any] = {
        "notice": found, "document": document, "unavailable": unavailable,
        "kind_of": kind_of, "representations": representations,
        "today": settings_of(request).today(), "text_max": TEXT_MAX,
        "errors": errors or {}, "values": values or {}}
    return render(request, "portal_notice.html", context, status_code=status_code)


@router.get("/portal/notices/{message_id}")
def notice(request: Request, principal: UnionRep, message_id: int) -> Response:
    return _notice_page(request, principal, message_id)


@router.get("/portal/notices/{message_id}/letter.pdf")
def notice_pdf(request: Request, principal: UnionRep, message_id: int) -> Response:
    """The PDF the notice delivered: the very file the register holds (its hash checked)."""
    _notice(request, principal, message_id)
    try:
        with read_session(engine_of(request)) as session:
            path, media_type, name = portal_view.notice_pdf(session, principal, message_id,
                                                            settings_of(request).engine)
    except NotFoundError:
        raise PageNotFound() from None
    return FileResponse(path, media_type=media_type,
                        headers={"content-disposition": content_disposition(name)})


@router.post("/portal/notices/{message_id}/representations")
def represent(request: Request, principal: UnionRep, message_id: int,
              text: Annotated[str, Form()] = "") -> Response:
    """A representation on a notice (reg 13(6)): recorded with its hash, and audited."""
    _notice(request, principal, message_id)
    try:
        with write_session(engine_of(request)) as session:
            made = portal_view.represent(session, principal, message_id, text,
                                         today=settings_of(request).today())
            due, when = made.representation.reply_due, made.representation.submitted_at
    except ValidationError as exc:
        return _notice_page(request, principal, message_id, status_code=422,
                            errors=wording.field_errors(exc, {"text": "representation"}),
                            values={"text": text})
    if made.already:
        flash(request, f"You sent this representation already, on {when.day} {when:%B %Y}: it "
                       "is recorded once. The employer should reply by "
                       f"{due.day} {due:%B %Y}; the reply will be shown here.")
    else:
        flash(request, f"Your representation is sent. The employer should reply by "
                       f"{due.day} {due:%B %Y}; the reply will be shown here.")
    return RedirectResponse(f"/portal/notices/{message_id}#representations", status_code=303)


@router.post("/portal/notices/{message_id}/acknowledge")
def acknowledge(request: Request, principal: UnionRep, message_id: int) -> Response:
    _notice(request, principal, message_id)
    with write_session(engine_of(request)) as session:
        portal_view.acknowledge(session, principal, message_id)
    flash(request, "Thank you: your acknowledgement is recorded, with the date and time, and "
                   "HR can see it.")
    return RedirectResponse(f"/portal/notices/{message_id}", status_code=303)
