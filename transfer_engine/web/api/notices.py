"""Notices over JSON, for union representatives: the same rule as the portal."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from transfer_engine.errors import NotFoundError
from transfer_engine.store.database import read_session, write_session
from transfer_engine.views import portal as portal_view
from transfer_engine.web.api.deps import ApiUnion, ApiUser
from transfer_engine.web.deps import deny, engine_of

router = APIRouter(tags=["notices"])


@router.get("/me", summary="Who this token acts for")
def me(principal: ApiUser) -> dict[str, Any]:
    return {"username": principal.username, "name": principal.display_name,
            "role": principal.role.value}


@router.get("/notices", summary="Notices addressed to your union")
def notices(request: Request, principal: ApiUnion) -> list[dict[str, Any]]:
    with read_session(engine_of(request)) as session:
        return [n.as_json() for n in portal_view.notices_for_rep(session, principal)]


@router.post("/notices/{message_id}/acknowledge", summary="Acknowledge receipt of a notice")
def acknowledge(request: Request, principal: ApiUnion, message_id: int) -> dict[str, Any]:
    try:
        with write_session(engine_of(request)) as session:
            return portal_view.acknowledge(session, principal, message_id).as_json()
    except NotFoundError:
        deny(request, principal, "notice not addressed to this union")
        raise
