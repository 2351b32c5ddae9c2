"""Each step's evidence as people read it: what completes it, what shows it done or what it
lacks, and whether it was overridden or reopened (the CLI's ``evidence``, the transfer page,
the letters lists and the API).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from transfer_engine.domain import StepStatus
from transfer_engine.store.queries import definition_of, get_transfer, steps_of
from transfer_engine.store.register import StepDocument
from transfer_engine.store.transfers import StepInstance

__all__ = ["StepEvidence", "state_label", "step_evidence"]


def state_label(step: StepInstance) -> str:
    """``done``, ``done (overridden)``, ``open (reopened)``, ``awaiting evidence``..."""
    if step.status == StepStatus.done:
        return "done (overridden)" if step.override_reason else "done"
    if step.status == StepStatus.not_applicable:
        return "not applicable"
    if step.reopened_reason:
        return "open (reopened)"
    if step.recorded_on is not None:
        return "awaiting evidence"
    return "open"


@dataclass(frozen=True)
class StepEvidence:
    step: str
    title: str
    status: str
    label: str
    needs: tuple[str, ...]
    letters: tuple[str, ...]       # the letters that are (part of) its evidence
    detail: str | None             # what shows it done
    missing: str | None            # what it lacks
    override_reason: str | None
    overridden_by: str | None
    reopened_reason: str | None
    documents: tuple[dict[str, Any], ...]

    @property
    def shown(self) -> str:
        """The one line a list shows for it."""
        if self.override_reason:
            return f"overridden by {self.overridden_by}: {self.override_reason}"
        if self.status == StepStatus.done.value:
            return self.detail or ""
        if self.reopened_reason:
            return f"reopened: {self.reopened_reason}"
        return f"lacks: {self.missing}" if self.missing else ""

    def as_json(self) -> dict[str, Any]:
        return {"step": self.step, "title": self.title, "status": self.status,
                "label": self.label, "needs": list(self.needs), "letters": list(self.letters),
                "detail": self.detail, "missing": self.missing,
                "overridden": self.override_reason is not None,
                "override_reason": self.override_reason, "overridden_by": self.overridden_by,
                "reopened_reason": self.reopened_reason, "documents": list(self.documents)}


def step_evidence(session: Session, ref: str) -> list[StepEvidence]:
    """Every step of ``ref`` with its evidence, in the workflow's order."""
    transfer = get_transfer(session, ref)
    definition = definition_of(transfer)
    documents: dict[str, list[dict[str, Any]]] = {}
    for doc in session.exec(select(StepDocument).where(StepDocument.transfer_id == transfer.id)
                            .order_by(col(StepDocument.id))).all():
        documents.setdefault(doc.step_id, []).append({
            "id": doc.id, "filename": doc.filename, "sha256": doc.sha256, "size": doc.size,
            "document_date": doc.document_date.isoformat(), "description": doc.description,
            "attached_by": doc.attached_by})
    out = []
    for step_id, step in steps_of(session, transfer).items():
        spec = definition.steps.get(step_id)
        needs = tuple(e.describe() for e in spec.evidence) if spec else ()
        letters = tuple(name for e in (spec.evidence if spec else ()) if e.kind == "letter"
                        for name in (e.letter, e.without_representatives) if name)
        if spec and any(e.kind == "eli_complete" for e in spec.evidence):
            letters += ("eli-schedule",)
        out.append(StepEvidence(
            step=step_id, title=step.title, status=step.status.value, label=state_label(step),
            needs=needs, letters=letters, detail=step.evidence_detail or (
                f"recorded: {step.evidence}" if step.evidence else None),
            missing=step.evidence_missing, override_reason=step.override_reason,
            overridden_by=step.overridden_by, reopened_reason=step.reopened_reason,
            documents=tuple(documents.get(step_id, ()))))
    return out
