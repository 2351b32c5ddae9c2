"""Commands on step evidence: what each step needs and has, documents, and overrides."""

from __future__ import annotations

from pathlib import Path

import typer

from transfer_engine.cli.app import (
    AsOfOption,
    JsonOption,
    actor,
    app,
    as_of_date,
    console,
    fail,
    guarded,
    parse_date,
    print_json,
    print_table,
)
from transfer_engine.engine.limits import OVERRIDE_REASON
from transfer_engine.engine.overrides import override_step
from transfer_engine.letters.documents import DESCRIPTION, MAX_DOCUMENT_BYTES, attach_document
from transfer_engine.store.database import read_session
from transfer_engine.views.evidence import step_evidence


@app.command("evidence")
@guarded
def evidence(ref: str, as_json: bool = JsonOption) -> None:
    """Each step's evidence: what completes it, what shows it done, what it still lacks."""
    with read_session() as session:
        rows = step_evidence(session, ref)
    if as_json:
        print_json([r.as_json() for r in rows])
        return
    print_table(f"{ref}: step evidence", ["step", "status", "needs", "shows / lacks"],
                [[r.step, r.label, "; ".join(r.needs), r.shown] for r in rows])


@app.command("attach")
@guarded
def attach(
    ref: str,
    step: str,
    file: Path = typer.Argument(..., help="The document (PDF, DOCX, an email saved as .eml...)"),
    description: str = typer.Option(
        ..., "--description", help="What the document is "
        f"({DESCRIPTION.min_length} to {DESCRIPTION.max_length} characters)"),
    on: str = typer.Option(None, "--on", help="The date the document bears (default today)"),
    as_of: str = AsOfOption,
    as_json: bool = JsonOption,
) -> None:
    """Keep a document in the register (with its SHA-256) as the evidence of a step."""
    try:
        size = file.stat().st_size
        if size > MAX_DOCUMENT_BYTES:
            fail(f"{file} is {size / 1048576:.1f} MB; a document can be at most "
                 f"{MAX_DOCUMENT_BYTES // 1048576} MB")
        data = file.read_bytes()
    except OSError as exc:
        fail(f"cannot read {file}: {exc.strerror or exc}")
        return
    document = attach_document(ref, step, data, file.name, description=description,
                               actor=actor(), document_date=parse_date(on, "--on"),
                               today=as_of_date(as_of))
    if as_json:
        print_json({"ref": ref, "step": step, "document_id": document.id,
                    "filename": document.filename, "sha256": document.sha256,
                    "size": document.size, "document_date": document.document_date})
        return
    console.print(f"{ref}: {document.filename} kept as evidence of {step} "
                  f"(SHA-256 {document.sha256}); see `transfer-engine evidence {ref}`",
                  highlight=False)


@app.command("override-step")
@guarded
def override(
    ref: str,
    step: str,
    reason: str = typer.Option(
        ..., "--override-reason", help="Why the step is recorded as done without its evidence "
        f"({OVERRIDE_REASON.min_length} to {OVERRIDE_REASON.max_length} characters; audited)"),
    on: str = typer.Option(None, "--on", help="The date it happened (default today)"),
    as_of: str = AsOfOption,
    as_json: bool = JsonOption,
) -> None:
    """Record a step as done without its evidence, with a written reason (audited, and shown
    as overridden on the timeline and with the letters)."""
    instance = override_step(ref, step, actor=actor(), reason=reason,
                             occurred_on=parse_date(on, "--on"), today=as_of_date(as_of))
    if as_json:
        print_json({"ref": ref, "step": step, "done_on": instance.done_on,
                    "overridden": True, "override_reason": instance.override_reason,
                    "evidence_missing": instance.evidence_missing})
        return
    console.print(f"{ref}: {step} recorded as done on {instance.done_on} WITHOUT its evidence "
                  f"(overridden: {instance.override_reason})", highlight=False)
    if instance.evidence_missing:
        console.print(f"  it lacked: {instance.evidence_missing}", highlight=False)
