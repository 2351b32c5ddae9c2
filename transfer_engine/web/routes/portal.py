"""The union representatives' portal: the notices sent to their union, and acknowledging them.

Nothing here shows an employee's personal data: notices to representatives give numbers only,
and :mod:`transfer_engine.views.portal` refuses to show one that names anybody.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from transfer_engine.errors import NotFoundError
from transfer_engine.store.database import read_session, write_session
from transfer_engine.views import portal as portal_view
from transfer_engine.web.auth import Principal
from transfer_engine.web.deps import UnionRep, deny, engine_of, flash
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


@router.get("/portal/notices/{message_id}")
def notice(request: Request, principal: UnionRep, message_id: int) -> Response:
    return render(request, "portal_notice.html",
                  {"notice": _notice(request, principal, message_id)})


@router.post("/portal/notices/{message_id}/acknowledge")
def acknowledge(request: Request, principal: UnionRep, message_id: int) -> Response:
    _notice(request, principal, message_id)
    with write_session(engine_of(request)) as session:
        portal_view.acknowledge(session, principal, message_id)
    flash(request, "Thank you: your acknowledgement is recorded, with the date and time, and "
                   "HR can see it.")
    return RedirectResponse(f"/portal/notices/{message_id}", status_code=303)
