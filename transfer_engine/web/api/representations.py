"""Representations over JSON (reg 13(6)-(7)): a union representative writes one on a notice
addressed to their union (the same rule as the portal); HR lists a transfer's and replies."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from transfer_engine.engine import representations as engine_representations
from transfer_engine.errors import NotFoundError
from transfer_engine.store.database import read_session, write_session
from transfer_engine.views import portal as portal_view
from transfer_engine.views import representations as view
from transfer_engine.web.api.deps import ApiEditable, ApiHr, ApiUnion
from transfer_engine.web.deps import deny, engine_of, find_transfer, settings_of

router = APIRouter(tags=["representations"])


class RepresentationRequest(BaseModel):
    """A representation on a notice (reg 13(6))."""

    model_config = ConfigDict(extra="forbid")
    text: str = Field(description="What the employer should consider (at least "
                                  f"{engine_representations.TEXT.min_length} and at most "
                                  f"{engine_representations.TEXT_MAX} characters).")


class ReplyRequest(BaseModel):
    """The employer's reply to a representation (reg 13(7))."""

    model_config = ConfigDict(extra="forbid")
    outcome: str = Field(description="accepted, partly-accepted or rejected")
    reasons: str | None = Field(
        None, description="Required to reject it or accept only part of it (at least "
                          f"{engine_representations.REASONS.min_length} characters).")


@router.get("/notices/{message_id}/representations",
            summary="Representations on a notice addressed to your union, with replies")
def notice_representations(request: Request, principal: ApiUnion,
                           message_id: int) -> list[dict[str, Any]]:
    try:
        with read_session(engine_of(request)) as session:
            rows = portal_view.notice_representations(session, principal, message_id)
    except NotFoundError:
        deny(request, principal, "notice not addressed to this union")
        raise
    return [r.as_json() for r in rows]


@router.post("/notices/{message_id}/representations", status_code=201,
             summary="Make a representation on a notice addressed to your union")
def represent(request: Request, principal: ApiUnion, message_id: int,
              body: RepresentationRequest, response: Response) -> dict[str, Any]:
    """Sent again with the same text (a client's retry), it is recorded once: the answer is
    the representation first recorded, with 200 instead of 201."""
    try:
        with write_session(engine_of(request)) as session:
            made = portal_view.represent(session, principal, message_id, body.text,
                                         today=settings_of(request).today())
            made_id, already = made.representation.id, made.already
    except NotFoundError:
        deny(request, principal, "notice not addressed to this union")
        raise
    if already:
        response.status_code = 200
    with read_session(engine_of(request)) as session:
        return next(r.as_json() for r in view.on_notice(session, message_id) if r.id == made_id)


@router.get("/transfers/{transfer_id}/representations",
            summary="Every representation on a transfer, with replies")
def transfer_representations(request: Request, transfer_id: int,
                             principal: ApiHr) -> list[dict[str, Any]]:
    if not principal.personal_data:  # what a representative writes may name staff
        raise deny(request, principal, "your role does not include what representatives "
                                       "write, which may mention staff")
    transfer = find_transfer(request, principal, transfer_id)
    with read_session(engine_of(request)) as session:
        return [r.as_json() for r in view.for_transfer(session, transfer.id or 0)]


@router.post("/transfers/{transfer_id}/representations/{representation_id}/reply",
             summary="Reply to a representation (reasons required to reject any of it)")
def reply(request: Request, transfer: ApiEditable, principal: ApiHr, representation_id: int,
          body: ReplyRequest) -> dict[str, Any]:
    with write_session(engine_of(request)) as session:
        engine_representations.reply(session, transfer, representation_id, body.outcome,
                                     body.reasons, actor=principal.actor,
                                     today=settings_of(request).today())
    with read_session(engine_of(request)) as session:
        return next(r.as_json() for r in view.for_transfer(session, transfer.id or 0)
                    if r.id == representation_id)
