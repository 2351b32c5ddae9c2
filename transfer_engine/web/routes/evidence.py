"""Step evidence in the browser: what each step needs, the documents kept for it, and the
override that records a step as done without its evidence.

A document is kept by :func:`transfer_engine.letters.documents.attach_document` (the command
line's ``attach``): the file with its SHA-256 in the register, on the date it bears, and the
step judged again. An override goes through :func:`transfer_engine.engine.overrides.
override_step` (``override-step``), with a written reason, audited and shown as overridden.

What a step lacks names employees by reference, and documents may hold anything: these pages
are for HR officers assigned to the transfer and administrators. Downloading a document is in
the history, and refused if the file no longer matches the SHA-256 kept for it.
"""

from __future__ import annotations

import hashlib
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import select
from starlette.datastructures import FormData, UploadFile

from transfer_engine.domain import StepStatus
from transfer_engine.engine.limits import OVERRIDE_REASON
from transfer_engine.engine.overrides import override_step
from transfer_engine.errors import ConflictError, NotFoundError, TransferEngineError
from transfer_engine.letters.documents import DESCRIPTION, MAX_DOCUMENT_BYTES, attach_document
from transfer_engine.letters.service import state_letter_title
from transfer_engine.store.database import read_session, write_session
from transfer_engine.store.queries import audit, definition_of, steps_of
from transfer_engine.store.register import StepDocument
from transfer_engine.store.transfers import StepInstance, Transfer
from transfer_engine.views.evidence import step_evidence
from transfer_engine.web.auth import can_edit
from transfer_engine.web.deps import (
    PersonalData,
    engine_of,
    find_transfer,
    flash,
    require_edit,
    settings_of,
)
from transfer_engine.web.downloads import content_disposition
from transfer_engine.web.errors import PageNotFound
from transfer_engine.web.form_errors import Box, date_parts, form_errors, text
from transfer_engine.web.forms import date_values, parse_date_fields, whole_number
from transfer_engine.web.rendering import render
from transfer_engine.web.routes.transfers import CONFLICT
from transfer_engine.workflow.evidence_names import Evidence

router = APIRouter()

#: Whom a letter that is evidence must reach, in words.
RECIPIENT_WORDS = {
    "representatives": "every appropriate representative",
    "affected-employees": "every affected employee",
    "transferring-employees": "every transferring employee",
    "objecting-employees": "every employee who objected",
    "eli": "the new employer, about every transferring employee",
    "transferee": "the new employer",
}
DOCUMENT_BOXES = {"description": Box("description", "the description",
                                     "what the document is, like “NCT's letter of 14 September "
                                     "giving its measures”"),
                  "file": Box("file", "the file", "the document's file"),
                  "occurred_on": Box("document_date", "the date on the document"),
                  "document_date": Box("document_date", "the date on the document")}
OVERRIDE_BOXES = {"override_reason": Box("override_reason", "the reason",
                                         "the special circumstances: why it is recorded as "
                                         "done without its evidence"),
                  "occurred_on": Box("occurred_on", "the date it happened")}


async def _form(request: Request) -> FormData:
    return await request.form()


Form = Annotated[FormData, Depends(_form)]


def needs_words(evidence: Evidence) -> str:
    """One kind of evidence a step needs, as a page says it."""
    if evidence.kind == "letter" and evidence.letter:
        to = RECIPIENT_WORDS.get(evidence.to or "", "its recipients")
        text = f"the letter “{state_letter_title(evidence.letter)}” issued to {to}"
        if evidence.without_representatives:
            text += (f" (or “{state_letter_title(evidence.without_representatives)}” to every "
                     "affected employee where there are no representatives)")
        return text
    return {"note": "a dated record of what was done",
            "document": "a document kept here",
            "representatives": "representatives in place for the affected employees",
            "representations_answered": "a reply to every representation the "
                                        "representatives made (reg 13(7))",
            "eli_complete": "the employee liability information given for every transferring "
                            "employee"}.get(evidence.kind, evidence.kind)


@router.get("/transfers/{transfer_id}/evidence")
def overview(request: Request, transfer_id: int, principal: PersonalData) -> Response:
    transfer = find_transfer(request, principal, transfer_id)
    with read_session(engine_of(request)) as session:
        fresh = session.get(Transfer, transfer.id)
        assert fresh is not None
        definition = definition_of(fresh, session)
        rows = [row for row in step_evidence(session, fresh.ref)
                if row.status != StepStatus.not_applicable.value]
        editable = can_edit(session, principal, fresh)
    needs = {step_id: [needs_words(e) for e in spec.evidence]
             for step_id, spec in definition.steps.items()}
    return render(request, "evidence.html", {
        "t": fresh, "section": "evidence", "rows": rows, "needs": needs,
        "editable": editable})


def _step(request: Request, transfer: Transfer, step_id: str) -> StepInstance:
    with read_session(engine_of(request)) as session:
        step = steps_of(session, transfer).get(step_id)
    if step is None or step.status == StepStatus.not_applicable:
        raise PageNotFound()
    return step


def _editable(request: Request, principal: Any, transfer_id: int) -> Transfer:
    transfer = find_transfer(request, principal, transfer_id)
    require_edit(request, principal, transfer)
    return transfer


# ---------------------------------------------------------------------------------------------
# Documents


def _document_page(request: Request, transfer: Transfer, step: StepInstance,
                   values: dict[str, Any], errors: dict[str, str] | None = None,
                   status_code: int = 200) -> Response:
    with read_session(engine_of(request)) as session:
        documents = session.exec(select(StepDocument).where(
            StepDocument.transfer_id == transfer.id, StepDocument.step_id == step.step_id)
            .order_by(StepDocument.id)).all()  # type: ignore[arg-type]
        fresh = session.get(Transfer, transfer.id)
    return render(request, "step_documents.html", {
        "t": fresh, "step": step, "documents": documents, "values": values,
        "errors": errors or {}, "max_mb": MAX_DOCUMENT_BYTES // 1048576,
        "description_limit": DESCRIPTION}, status_code=status_code)


@router.get("/transfers/{transfer_id}/steps/{step_id}/documents")
def documents(request: Request, transfer_id: int, step_id: str,
              principal: PersonalData) -> Response:
    transfer = _editable(request, principal, transfer_id)
    step = _step(request, transfer, step_id)
    today = settings_of(request).today()
    return _document_page(request, transfer, step, {"document_date": date_values(today)})


@router.post("/transfers/{transfer_id}/steps/{step_id}/documents")
def attach(request: Request, transfer_id: int, step_id: str, principal: PersonalData,
           form: Form) -> Response:
    transfer = _editable(request, principal, transfer_id)
    step = _step(request, transfer, step_id)
    settings = settings_of(request)
    values: dict[str, Any] = {"description": text(form, "description"),
                              "document_date": date_parts(form, "document_date")}
    errors: dict[str, str] = {}
    on, problem = parse_date_fields(**values["document_date"], what="the date on the document")
    if problem:
        errors["document_date"] = problem
    upload = form.get("file")
    data, name = b"", ""
    if not isinstance(upload, UploadFile) or not upload.filename:
        errors["file"] = "Select the document's file"
    else:
        # One byte more than the largest is enough to know it is too big.
        data, name = upload.file.read(MAX_DOCUMENT_BYTES + 1), upload.filename
        upload.file.close()
        if len(data) > MAX_DOCUMENT_BYTES:
            errors["file"] = f"The file must be {MAX_DOCUMENT_BYTES // 1048576} MB or smaller"
    version = text(form, "version")
    if not errors:
        try:
            document = attach_document(
                transfer.ref, step_id, data, name, description=values["description"],
                actor=principal.actor, document_date=on, today=settings.today(),
                expected_version=whole_number(version),
                engine=engine_of(request), settings=settings.engine)
        except ConflictError:
            errors["_conflict"] = CONFLICT
        except TransferEngineError as exc:
            errors = form_errors(exc, DOCUMENT_BOXES, fallback="file")
        else:
            flash(request, f"Kept {document.filename} as evidence of “{step.title}”.")
            return RedirectResponse(f"/transfers/{transfer.id}/steps/{step_id}/documents",
                                    status_code=303)
    return _document_page(request, transfer, step, values, errors, 422)


@router.get("/transfers/{transfer_id}/documents/{document_id}")
def download(request: Request, transfer_id: int, document_id: int,
             principal: PersonalData) -> Response:
    transfer = find_transfer(request, principal, transfer_id)
    with read_session(engine_of(request)) as session:
        document = session.get(StepDocument, document_id)
    if document is None or document.transfer_id != transfer.id:
        raise NotFoundError("no such document")
    path = settings_of(request).engine.letters_dir / document.path
    try:
        data = path.read_bytes()
    except OSError:
        data = b""
    if hashlib.sha256(data).hexdigest() != document.sha256:
        # Missing or changed on disk: what would be sent is not what was kept as evidence.
        return render(request, "error.html", {
            "title": "This document cannot be downloaded",
            "message": "The file kept for it is missing or no longer matches its SHA-256, so "
                       "it is not the document that was attached. Tell the person who runs "
                       "this service; the history records who attached it and when."},
            status_code=409)
    with write_session(engine_of(request)) as session:
        audit(session, transfer, principal.actor, "document-downloaded",
              data={"document_id": document.id, "step": document.step_id})
    return Response(data, media_type=document.media_type,
                    headers={"content-disposition": content_disposition(document.filename)})


# ---------------------------------------------------------------------------------------------
# Overrides


def _override_page(request: Request, transfer: Transfer, step: StepInstance,
                   values: dict[str, Any], errors: dict[str, str] | None = None,
                   status_code: int = 200) -> Response:
    with read_session(engine_of(request)) as session:
        fresh = session.get(Transfer, transfer.id)
    return render(request, "step_override.html", {
        "t": fresh, "step": step, "values": values, "errors": errors or {},
        "min_length": OVERRIDE_REASON.min_length}, status_code=status_code)


@router.get("/transfers/{transfer_id}/steps/{step_id}/override")
def override_form(request: Request, transfer_id: int, step_id: str,
                  principal: PersonalData) -> Response:
    transfer = _editable(request, principal, transfer_id)
    step = _step(request, transfer, step_id)
    return _override_page(request, transfer, step,
                          {"occurred_on": date_values(settings_of(request).today())})


@router.post("/transfers/{transfer_id}/steps/{step_id}/override")
def override(request: Request, transfer_id: int, step_id: str, principal: PersonalData,
             form: Form) -> Response:
    transfer = _editable(request, principal, transfer_id)
    step = _step(request, transfer, step_id)
    values: dict[str, Any] = {"override_reason": text(form, "override_reason"),
                              "occurred_on": date_parts(form, "occurred_on")}
    errors: dict[str, str] = {}
    on, problem = parse_date_fields(**values["occurred_on"], what="the date it happened")
    if problem:
        errors["occurred_on"] = problem
    if step.status == StepStatus.done:
        errors["_done"] = (f"“{step.title}” is already done, so there is nothing to override. "
                           "Nothing was recorded.")
    version = text(form, "version")
    if not errors:
        try:
            override_step(transfer.ref, step_id, actor=principal.actor,
                          reason=values["override_reason"], occurred_on=on,
                          expected_version=whole_number(version),
                          today=settings_of(request).today(), engine=engine_of(request))
        except ConflictError:
            errors["_conflict"] = CONFLICT
        except TransferEngineError as exc:
            errors = form_errors(exc, OVERRIDE_BOXES, fallback="override_reason")
        else:
            flash(request, f"Recorded “{step.title}” as done without its evidence. The "
                           "transfer shows it as overridden, with your reason.")
            return RedirectResponse(f"/transfers/{transfer.id}/evidence", status_code=303)
    return _override_page(request, transfer, step, values, errors, 422)
