"""Transfers over JSON: the same facts as the pages, under the same permissions."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from pydantic import AliasChoices, BaseModel, ConfigDict, Field
from sqlmodel import col, select

from transfer_engine.engine.advance import advance
from transfer_engine.engine.cancel import cancel_transfer, is_cancelling
from transfer_engine.engine.limits import EVIDENCE, OVERRIDE_REASON
from transfer_engine.engine.steps import complete_step
from transfer_engine.letters.service import OwedLettersReport, issue_pending
from transfer_engine.rules.timeline import entries
from transfer_engine.store.database import read_session
from transfer_engine.store.people import Employee
from transfer_engine.store.queries import definition_of, steps_of
from transfer_engine.store.transfers import AuditEntry
from transfer_engine.views.audit_privacy import (
    known_employees,
    without_employees,
    without_personal_data,
)
from transfer_engine.web.api.deps import ApiEditable, ApiHr, ApiPersonal, ApiTransfer
from transfer_engine.web.auth import can_cancel
from transfer_engine.web.deps import deny, engine_of, find_transfer, settings_of
from transfer_engine.web.views import dashboard, organisation_names, summarise, trigger_options

router = APIRouter(tags=["transfers"])

OCCURRED_ON = ("The date it happened (default today): the steps it completes are done, and "
               "judged, on that date. Refused in the future, before the step could happen (a "
               "step after the transfer before the transfer date) or before the steps it needs "
               "were done.")


class AdvanceRequest(BaseModel):
    """Fire a trigger (see a transfer's ``triggers`` for those valid now)."""

    model_config = ConfigDict(extra="forbid")
    trigger: str
    note: str | None = Field(None, description="Evidence or a note, kept in the history.")
    override_reason: str | None = Field(
        None, description="Go ahead despite overridable guards: the special circumstances "
                          f"(at least {OVERRIDE_REASON.min_length} characters).")
    expected_version: int | None = Field(
        None, description="The version you read; refused with 409 if the transfer changed.")
    occurred_on: date | None = Field(None, description=OCCURRED_ON)


class StepDoneRequest(BaseModel):
    """Mark a step done that no trigger completes."""

    model_config = ConfigDict(extra="forbid")
    evidence: str = Field(description=f"What shows it was done (at least "
                                      f"{EVIDENCE.min_length} characters).")
    # ``done_on`` is the name earlier clients used.
    occurred_on: date | None = Field(None, description=OCCURRED_ON,
                                     validation_alias=AliasChoices("occurred_on", "done_on"))
    expected_version: int | None = None


@router.get("/transfers", summary="Every transfer you may see, with status and money at risk")
def list_transfers(request: Request, principal: ApiHr) -> list[dict[str, Any]]:
    with read_session(engine_of(request)) as session:
        board = dashboard(session, principal, settings_of(request).today())
    return [row.as_json() for row in board.all_rows]


@router.get("/transfers/{transfer_id}", summary="One transfer: state, deadlines, triggers")
def get_transfer(request: Request, transfer: ApiTransfer, principal: ApiHr) -> dict[str, Any]:
    today = settings_of(request).today()
    with read_session(engine_of(request)) as session:
        summary = summarise(session, transfer, organisation_names(session), today)
        timeline = entries(list(steps_of(session, transfer).values()), today)
        options = trigger_options(session, transfer, today)
        answer = {**summary.as_json(), "timeline": [e.as_json() for e in timeline],
                  "triggers": [o.as_json() for o in options],
                  "states": list(definition_of(transfer, session).states)}
        if not principal.personal_data:
            # What a step's evidence lacks names the employees a letter has not reached yet:
            # a role without personal data is told how many.
            answer = without_employees(answer, known_employees(session.connection(),
                                                               [transfer.id]))
    return answer


@router.post("/transfers/{transfer_id}/advance", summary="Fire a trigger")
def advance_transfer(request: Request, transfer: ApiEditable, principal: ApiHr,
                     body: AdvanceRequest) -> dict[str, Any]:
    if is_cancelling(definition_of(transfer, engine_of(request)), body.trigger):
        # As on the pages: HR administrators only; the note is the reason.
        if not can_cancel(principal):
            raise deny(request, principal, "only an HR administrator can cancel a transfer",
                       transfer)
        result = cancel_transfer(transfer.ref, body.trigger, reason=body.note or "",
                                 actor=principal.actor, expected_version=body.expected_version,
                                 today=settings_of(request).today(), engine=engine_of(request))
    else:
        result = advance(transfer.ref, body.trigger, actor=principal.actor, note=body.note,
                         override_reason=body.override_reason,
                         expected_version=body.expected_version,
                         today=settings_of(request).today(), occurred_on=body.occurred_on,
                         engine=engine_of(request))
    issued = issue_pending(engine_of(request), transfer_id=result.transfer_id) \
        if result.letters else OwedLettersReport()
    return {"ref": result.ref, "trigger": result.trigger, "from": result.from_state,
            "to": result.to_state, "version": result.version,
            "completed_steps": result.completed_steps, "letters_due": result.letters,
            "letters": [asdict(i) for i in issued.issued], "letter_errors": issued.errors,
            "overridden": [str(f) for f in result.overridden],
            "occurred_on": result.occurred_on.isoformat() if result.occurred_on else None,
            # A programme's decision fired on its schools too: each one's outcome.
            "cascade": result.cascade.as_json() if result.cascade else None}


@router.post("/transfers/{transfer_id}/steps/{step_id}/done", summary="Mark a step done")
def step_done(request: Request, transfer: ApiEditable, principal: ApiHr, step_id: str,
              body: StepDoneRequest) -> dict[str, Any]:
    step = complete_step(transfer.ref, step_id, actor=principal.actor, evidence=body.evidence,
                         occurred_on=body.occurred_on,
                         expected_version=body.expected_version,
                         today=settings_of(request).today(), engine=engine_of(request))
    return {"ref": transfer.ref, "step": step_id,
            "done_on": step.done_on.isoformat() if step.done_on else None}


@router.get("/transfers/{transfer_id}/employees",
            summary="The staff list (personal data: HR officers and administrators)")
def employees(request: Request, transfer_id: int,
              principal: ApiPersonal) -> list[dict[str, Any]]:
    transfer = find_transfer(request, principal, transfer_id)
    with read_session(engine_of(request)) as session:
        rows = session.exec(select(Employee).where(Employee.transfer_id == transfer.id)
                            .order_by(Employee.employee_ref)).all()
    return [{"employee_ref": e.employee_ref, "full_name": e.full_name, "role": e.role,
             "fte": str(e.fte), "weekly_pay": str(e.weekly_pay), "in_scope": e.in_scope,
             "objected_on": e.objected_on.isoformat() if e.objected_on else None,
             "synthetic": e.synthetic} for e in rows]


@router.get("/transfers/{transfer_id}/history", summary="The audit log of a transfer")
def history(request: Request, transfer: ApiTransfer, principal: ApiHr) -> list[dict[str, Any]]:
    with read_session(engine_of(request)) as session:
        rows = session.exec(select(AuditEntry).where(AuditEntry.transfer_id == transfer.id)
                            .order_by(col(AuditEntry.id))).all()
        known = known_employees(session.connection(), [transfer.id])
    return [{"at": e.at.isoformat(), "actor": e.actor, "action": e.action,
             "from": e.from_state, "to": e.to_state,
             "data": dict(e.data or {}) if principal.personal_data
             else without_personal_data(e.data, known)} for e in rows]
