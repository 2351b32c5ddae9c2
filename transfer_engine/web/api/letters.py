"""Issuing a letter over JSON: the same path as ``letters issue`` and the Letters page.

A dry run answers what the web app's check page shows (the recipients, and per recipient what
stops their letter). A letter to many recipients is issued in the background: the answer is
202 with the run, whose state ``GET .../letters/issues/{id}`` gives until it is finished.
Sending an issued letter again and reissuing it with a reason are actions of their own.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from transfer_engine.engine.limits import OVERRIDE_REASON
from transfer_engine.letters import service
from transfer_engine.letters.issue import REISSUE_REASON
from transfer_engine.letters.issue_jobs import job_json, job_of, start_issue
from transfer_engine.store.database import read_session, write_session
from transfer_engine.web.api.deps import ApiEditable, ApiPersonal, ApiTransfer
from transfer_engine.web.deps import engine_of, settings_of

router = APIRouter(tags=["letters"])


class IssueRequest(BaseModel):
    """Issue a letter to every recipient (or those named)."""

    model_config = ConfigDict(extra="forbid")
    recipients: list[str] | None = Field(
        None, description="Only these: employee:REF, representative:ID, transferee.")
    dry_run: bool = Field(False, description="Only check: the recipients and what stops each "
                                             "one's letter; nothing is issued.")
    ready_only: bool = Field(
        False, description="Issue to those whose letter can be made and list the others with "
                           "why (otherwise nothing is issued unless everyone's can be). A run "
                           "in the background always does this.")
    reissue: bool = Field(False, description="A new letter to those who hold it already; it "
                                             "replaces theirs (needs reissue_reason).")
    reissue_reason: str | None = Field(
        None, description=f"Why it is issued again, at least {REISSUE_REASON.min_length} "
                          "characters; kept in the register.")
    override_reason: str | None = Field(
        None, description="Issue it although a check refuses it (the answer says which, with "
                          "overridable): the special circumstances, at least "
                          f"{OVERRIDE_REASON.min_length} characters, kept in the history.")


class ReissueRequest(BaseModel):
    """Issue a new letter in place of an issued one, to the same recipient."""

    model_config = ConfigDict(extra="forbid")
    reason: str = Field(description="Why it is issued again; kept in the register.")
    override_reason: str | None = None


@router.post("/transfers/{transfer_id}/letters/{letter}/issue",
             summary="Check, or issue, a letter (refused with 409 when it makes no sense as "
                     "it stands; 202 with the run when issued in the background)")
def issue(request: Request, transfer: ApiEditable, principal: ApiPersonal, letter: str,
          body: IssueRequest) -> Any:
    today = settings_of(request).today()
    engine = engine_of(request)
    if body.dry_run:
        return service.check_issue(transfer.ref, letter, today=today,
                                   recipients=body.recipients, reissue=body.reissue,
                                   engine=engine).as_json()
    with read_session(engine) as session:
        count = len(body.recipients) if body.recipients else len(
            service.recipients(session, transfer.ref, letter))
    threshold = settings_of(request).background_above
    if not body.reissue and count > threshold:
        job = start_issue(transfer.ref, letter, actor=principal.actor, today=today,
                          recipient_count=count, recipients=body.recipients,
                          override_reason=body.override_reason, engine=engine,
                          background_above=threshold)
        return JSONResponse(job_json(job), status_code=202, headers={
            "location": f"/api/v1/transfers/{transfer.id}/letters/issues/{job.id}"})
    report = service.issue_letters(transfer.ref, letter, actor=principal.actor, today=today,
                                   recipients=body.recipients, reissue=body.reissue,
                                   engine=engine, override_reason=body.override_reason,
                                   ready_only=body.ready_only,
                                   reissue_reason=body.reissue_reason)
    return report.as_json()


@router.get("/transfers/{transfer_id}/letters/issues/{job_id}",
            summary="A letter issued in the background: its progress, then its outcome")
def issue_run(request: Request, transfer: ApiTransfer, principal: ApiPersonal,
              job_id: int) -> dict[str, Any]:
    return job_json(job_of(job_id, transfer_id=transfer.id, engine=engine_of(request)))


@router.post("/transfers/{transfer_id}/letters/issued/{letter_id}/send-again",
             summary="Deliver an issued letter again (the same letter)")
def send_again(request: Request, transfer: ApiEditable, principal: ApiPersonal,
               letter_id: int) -> dict[str, Any]:
    with write_session(engine_of(request)) as session:
        message = service.send_letter_again(session, transfer.ref, letter_id,
                                            actor=principal.actor,
                                            today=settings_of(request).today())
    return {"letter_id": letter_id, "copy_of_message": message}


@router.post("/transfers/{transfer_id}/letters/issued/{letter_id}/reissue",
             summary="Issue a new letter in place of an issued one, with the reason")
def reissue(request: Request, transfer: ApiEditable, principal: ApiPersonal, letter_id: int,
            body: ReissueRequest) -> dict[str, Any]:
    report = service.reissue_letter(transfer.ref, letter_id, reason=body.reason,
                                    actor=principal.actor, today=settings_of(request).today(),
                                    engine=engine_of(request),
                                    override_reason=body.override_reason)
    return report.as_json()
