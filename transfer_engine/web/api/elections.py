"""Representatives, reg 14 elections and objections over JSON, under the pages' permissions.

Recording is for those who may edit the transfer; an objection names an employee, so it is for
roles that see personal data as well.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from transfer_engine.engine import elections
from transfer_engine.engine.inputs import ElectedPerson
from transfer_engine.engine.staff import update_employee
from transfer_engine.letters.service import issue_letters
from transfer_engine.store.database import read_session
from transfer_engine.views.elections import election_as_json, representation_summary
from transfer_engine.web.api.deps import ApiEditable, ApiHr, ApiPersonal, ApiTransfer
from transfer_engine.web.deps import engine_of, settings_of

router = APIRouter(tags=["representatives"])

ACKNOWLEDGEMENT = "objection-acknowledgement"


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class InviteRequest(_Body):
    """The invitation to elect representatives (reg 14(1)(a)-(d))."""

    organisation: str | None = Field(None, description="The employer (default: transferor).")
    seats: int = Field(description="How many representatives (reg 14(1)(b)).")
    term: str = Field(description="Their term of office (reg 14(1)(d)).")
    invited_on: date
    nominations_close_on: date


class NominationsRequest(_Body):
    organisation: str | None = None
    closed_on: date
    candidates: int = Field(description="How many affected employees stood.")


class BallotRequest(_Body):
    organisation: str | None = None
    held_on: date


class ResultRequest(_Body):
    organisation: str | None = None
    result_on: date
    elected: list[ElectedPerson] = Field(description=(
        "Each person elected: an affected employee on the staff list, by the name and email "
        "address it has for them (reg 14(1)(e)); no more than the seats or the candidates."))
    unopposed: bool = Field(False, description="No more candidates than seats: no ballot. "
                                               "Otherwise record the ballot first.")


class NoneElectedRequest(_Body):
    organisation: str | None = None
    on: date = Field(description="The date by which none had been elected (reg 13(11)).")


class ObjectionRequest(_Body):
    """An employee's objection to transferring (reg 4(7)), dated before the transfer."""

    objected_on: date
    acknowledge: bool = Field(False, description="Issue the acknowledgement letter now.")
    expected_version: int | None = None


@router.get("/transfers/{transfer_id}/representation",
            summary="Who represents each party's affected employees, and by which route")
def get_representation(request: Request, transfer: ApiTransfer,
                       principal: ApiHr) -> dict[str, Any]:
    with read_session(engine_of(request)) as session:
        return representation_summary(session, transfer, settings_of(request).today())


@router.post("/transfers/{transfer_id}/elections", summary="Invite an election (reg 14)")
def invite(request: Request, transfer: ApiEditable, principal: ApiHr,
           body: InviteRequest) -> dict[str, Any]:
    today = settings_of(request).today()
    election = elections.invite_election(transfer.ref, body.model_dump(), actor=principal.actor,
                                         today=today, engine=engine_of(request))
    return election_as_json(election, today)


@router.post("/transfers/{transfer_id}/elections/nominations",
             summary="Record the close of nominations")
def nominations(request: Request, transfer: ApiEditable, principal: ApiHr,
                body: NominationsRequest) -> dict[str, Any]:
    today = settings_of(request).today()
    election = elections.close_nominations(
        transfer.ref, body.closed_on, candidates=body.candidates, actor=principal.actor,
        organisation=body.organisation, today=today, engine=engine_of(request))
    return election_as_json(election, today)


@router.post("/transfers/{transfer_id}/elections/ballot", summary="Record the ballot")
def ballot(request: Request, transfer: ApiEditable, principal: ApiHr,
           body: BallotRequest) -> dict[str, Any]:
    today = settings_of(request).today()
    election = elections.record_ballot(transfer.ref, body.held_on, actor=principal.actor,
                                       organisation=body.organisation, today=today,
                                       engine=engine_of(request))
    return election_as_json(election, today)


@router.post("/transfers/{transfer_id}/elections/result",
             summary="Record the result: those elected become representatives")
def result(request: Request, transfer: ApiEditable, principal: ApiHr,
           body: ResultRequest) -> dict[str, Any]:
    elected = elections.declare_result(
        transfer.ref, {"result_on": body.result_on, "unopposed": body.unopposed,
                       "elected": [p.model_dump() for p in body.elected]},
        actor=principal.actor, organisation=body.organisation,
        today=settings_of(request).today(), engine=engine_of(request))
    return {"ref": transfer.ref, "elected_on": body.result_on.isoformat(),
            "representative_ids": [r.id for r in elected]}


@router.post("/transfers/{transfer_id}/elections/none-elected",
             summary="Record that none were elected (reg 13(11))")
def none_elected(request: Request, transfer: ApiEditable, principal: ApiHr,
                 body: NoneElectedRequest) -> dict[str, Any]:
    today = settings_of(request).today()
    election = elections.record_none_elected(transfer.ref, body.on, actor=principal.actor,
                                             organisation=body.organisation, today=today,
                                             engine=engine_of(request))
    return election_as_json(election, today)


@router.post("/transfers/{transfer_id}/employees/{employee_ref}/objection",
             summary="Record an employee's objection to transferring (reg 4(7))")
def objection(request: Request, transfer: ApiEditable, principal: ApiPersonal,
              employee_ref: str, body: ObjectionRequest) -> dict[str, Any]:
    today = settings_of(request).today()
    employee = update_employee(
        transfer.ref, employee_ref, in_scope=None,
        objected_on=body.objected_on, actor=principal.actor,
        expected_version=body.expected_version, today=today, engine=engine_of(request))
    issued: list[int] = []
    if body.acknowledge:
        issued = issue_letters(transfer.ref, ACKNOWLEDGEMENT, actor=principal.actor,
                               today=today, recipients=[f"employee:{employee_ref}"],
                               engine=engine_of(request)).issued
    return {"ref": transfer.ref, "employee_ref": employee.employee_ref,
            "objected_on": body.objected_on.isoformat(), "acknowledgement_letters": issued,
            # Offered, not forced: the acknowledgement is issued through the letters API.
            "acknowledge_with": None if issued else ACKNOWLEDGEMENT}

