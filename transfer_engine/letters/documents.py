"""Documents kept as a step's evidence: the transferee's measures, minutes, a signed agreement.

A document is kept as letters are (:mod:`transfer_engine.letters.register`): the file under the
letters folder (in ``_documents/<transfer>/``), written under a temporary name and put in place
when the transaction that registers it commits, with its SHA-256 and size in the register
(:class:`~transfer_engine.store.register.StepDocument`). Attaching one is audited, and the step's
evidence is judged again in the same transaction: a step whose evidence is a document is done on
the date the document bears, by whoever attached it.
"""

from __future__ import annotations

import hashlib
import mimetypes
from datetime import date

from sqlalchemy.engine import Engine

from transfer_engine.config import Settings, get_settings
from transfer_engine.domain import StepStatus
from transfer_engine.engine.advance import _bump, _check_version
from transfer_engine.engine.evidence import reconcile_in
from transfer_engine.engine.limits import EVIDENCE, TextLimit, text_problems
from transfer_engine.engine.plain_text import plain_text
from transfer_engine.errors import FieldProblem, NotFoundError, ValidationError
from transfer_engine.letters.register import stage_file, transfer_folder
from transfer_engine.rules.happened import future_problems
from transfer_engine.store.database import write_session
from transfer_engine.store.queries import audit, get_transfer, steps_of
from transfer_engine.store.register import StepDocument

__all__ = ["DOCUMENTS", "MAX_DOCUMENT_BYTES", "attach_document"]

#: The folder, under the letters folder, that holds documents kept as evidence.
DOCUMENTS = "_documents"
#: The largest document kept (a scanned agreement of a few dozen pages fits).
MAX_DOCUMENT_BYTES = 20 * 1024 * 1024
DESCRIPTION = TextLimit("description", "description", EVIDENCE.min_length, EVIDENCE.max_length,
                        "say what the document is (e.g. NCT's letter of 14 September 2022 "
                        "giving its measures)")
_NAME_MAX = 200


def _safe_name(filename: str) -> str:
    """The file's own name, without folders, as it may be shown and stored."""
    name = filename.replace("\\", "/").rsplit("/", 1)[-1].strip()
    try:
        name = plain_text(name, multiline=False)
    except ValueError as exc:
        raise ValidationError(field_problems=[FieldProblem(
            "file", f"its name cannot be used: {exc}", "file")]) from None
    if not name or name in (".", ".."):
        raise ValidationError(field_problems=[FieldProblem(
            "file", "needs a name, e.g. measures-letter.pdf", "file", "required")])
    return name[-_NAME_MAX:]


def attach_document(ref: str, step_id: str, data: bytes, filename: str, *, description: str,
                    actor: str, document_date: date | None = None, today: date | None = None,
                    expected_version: int | None = None, engine: Engine | None = None,
                    settings: Settings | None = None) -> StepDocument:
    """Keep ``data`` (a file named ``filename``) in the register as evidence of ``step_id``.

    ``document_date`` is the date the document bears (default today); it cannot be in the
    future. Nothing is kept unless all of it is.
    """
    settings = settings or get_settings()
    today = today or date.today()
    document_date = document_date or today
    problems = text_problems((DESCRIPTION, description)) + future_problems(document_date, today)
    if not data:
        problems.append(FieldProblem("file", "is empty; choose the document's file", "file",
                                     "required"))
    elif len(data) > MAX_DOCUMENT_BYTES:
        problems.append(FieldProblem(
            "file", f"is {len(data) / 1048576:.1f} MB; a document can be at most "
                    f"{MAX_DOCUMENT_BYTES // 1048576} MB (scan it at a lower resolution)",
            "file", "too_long", MAX_DOCUMENT_BYTES))
    if problems:
        raise ValidationError(field_problems=problems)
    name = _safe_name(filename)
    digest = hashlib.sha256(data).hexdigest()
    with write_session(engine) as session:
        transfer = get_transfer(session, ref, lock=True)
        _check_version(transfer, expected_version)
        steps = steps_of(session, transfer)
        step = steps.get(step_id)
        if step is None:
            raise NotFoundError(f"{ref} has no step {step_id!r}; steps: {', '.join(steps)}")
        if step.status == StepStatus.not_applicable:
            raise ValidationError(f"{step_id} does not apply to {ref} "
                                  f"({step.not_applicable_reason}); no document is needed")
        assert transfer.id is not None
        document = StepDocument(
            transfer_id=transfer.id, transfer_ref=transfer.ref, step_id=step_id,
            description=description.strip(), filename=name,
            media_type=mimetypes.guess_type(name)[0] or "application/octet-stream",
            path="", sha256=digest, size=len(data), document_date=document_date,
            attached_by=actor)
        session.add(document)
        session.flush()
        assert document.id is not None
        stem = "".join(c if c.isalnum() or c in "._-" else "-" for c in name).strip("-.")
        document.path = (f"{DOCUMENTS}/{transfer_folder(transfer.ref)}/"
                         f"{document.id:07d}-{stem or 'document'}")
        stage_file(session, settings.letters_dir, document.path, data)
        audit(session, transfer, actor, "document-attached", from_state=transfer.state,
              to_state=transfer.state, data={
                  "step": step_id, "document_id": document.id, "filename": name,
                  "sha256": digest, "size": len(data),
                  "document_date": document_date.isoformat()})
        reconcile_in(session, transfer.id, actor=actor, today=today)
        _bump(session, transfer, transfer.version)
        return document
