"""Step evidence over JSON: each step's evidence, documents kept as evidence, and overrides."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from pydantic import BaseModel, ConfigDict, Field

from transfer_engine.engine.limits import OVERRIDE_REASON
from transfer_engine.engine.overrides import override_step
from transfer_engine.errors import FieldProblem, ValidationError
from transfer_engine.letters.documents import DESCRIPTION, MAX_DOCUMENT_BYTES, attach_document
from transfer_engine.store.database import read_session
from transfer_engine.views.evidence import step_evidence
from transfer_engine.web.api.deps import ApiEditable, ApiHr, ApiPersonal
from transfer_engine.web.deps import engine_of, find_transfer, settings_of

router = APIRouter(tags=["evidence"])


class OverrideRequest(BaseModel):
    """Record a step as done without its evidence."""

    model_config = ConfigDict(extra="forbid")
    override_reason: str = Field(description="Why it is done without its evidence (at least "
                                             f"{OVERRIDE_REASON.min_length} characters; "
                                             "audited and shown as overridden).")
    occurred_on: date | None = Field(None, description="The date it happened (default today).")
    expected_version: int | None = None


@router.get("/transfers/{transfer_id}/evidence",
            summary="Each step's evidence: what completes it, what shows it, what it lacks")
def evidence(request: Request, transfer_id: int,
             principal: ApiPersonal) -> list[dict[str, Any]]:
    # What a step lacks names employees by reference: for those who may see personal data.
    transfer = find_transfer(request, principal, transfer_id)
    with read_session(engine_of(request)) as session:
        return [row.as_json() for row in step_evidence(session, transfer.ref)]


@router.post("/transfers/{transfer_id}/steps/{step_id}/documents",
             summary="Keep a document (with its SHA-256) as the evidence of a step")
def attach(request: Request, transfer: ApiEditable, principal: ApiHr, step_id: str,
           file: Annotated[UploadFile, File(description="The document, at most "
                                            f"{MAX_DOCUMENT_BYTES // 1048576} MB")],
           description: Annotated[str, Form(description=DESCRIPTION.why)],
           document_date: Annotated[date | None, Form(
               description="The date the document bears (default today)")] = None,
           expected_version: Annotated[int | None, Form()] = None) -> dict[str, Any]:
    data = file.file.read(MAX_DOCUMENT_BYTES + 1)  # one byte more tells it is too big
    if len(data) > MAX_DOCUMENT_BYTES:
        raise ValidationError(field_problems=[FieldProblem(
            "file", f"must be at most {MAX_DOCUMENT_BYTES // 1048576} MB", "file", "too_long",
            MAX_DOCUMENT_BYTES)])
    document = attach_document(
        transfer.ref, step_id, data, file.filename or "", description=description,
        actor=principal.actor, document_date=document_date, expected_version=expected_version,
        today=settings_of(request).today(), engine=engine_of(request))
    return {"ref": transfer.ref, "step": step_id, "document_id": document.id,
            "filename": document.filename, "sha256": document.sha256, "size": document.size,
            "document_date": document.document_date.isoformat()}


@router.post("/transfers/{transfer_id}/steps/{step_id}/override",
             summary="Record a step as done without its evidence, with a written reason")
def override(request: Request, transfer: ApiEditable, principal: ApiHr, step_id: str,
             body: OverrideRequest) -> dict[str, Any]:
    step = override_step(transfer.ref, step_id, actor=principal.actor,
                         reason=body.override_reason, occurred_on=body.occurred_on,
                         expected_version=body.expected_version,
                         today=settings_of(request).today(), engine=engine_of(request))
    return {"ref": transfer.ref, "step": step_id, "overridden": True,
            "done_on": step.done_on.isoformat() if step.done_on else None,
            "override_reason": step.override_reason,
            "evidence_missing": step.evidence_missing}
