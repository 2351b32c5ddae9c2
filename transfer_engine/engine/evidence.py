"""Keeping each step's "done" true to its evidence: completing, awaiting and reopening steps.

The rules (:mod:`transfer_engine.rules.evidence`) say whether a step's evidence holds; this
module writes what follows, in the caller's transaction:

* :func:`record_completion`: a trigger (or ``done``) records a step as done on the day it
  happened. It is done at once if its evidence is all there; otherwise it stays open, recorded
  and *awaiting* what it lacks (the reg 13 letters still to be issued, say), and is done as soon
  as that exists.
* :func:`reconcile`: after anything that may change evidence (letters issued, representatives
  or employees added or changed, objections, elections, documents attached), every step whose
  evidence can be judged from the records is judged again. One that now has it all is done, on
  the day the last piece came to be (the letter's date) and by whoever provided it (its
  issuer). One that was done and no longer has it (a representative recorded after informing
  was "done" for nobody; an employee added after the ELI) is **reopened**, with the reason kept
  on the step and in the audit log.
* :func:`override_step`: done without its evidence, by a person who gives a written reason
  (audited, and shown as overridden wherever the step is).

A step overridden stays done whatever the records later say: the override is the decision on
record, and the money at risk is still worked out from the dates.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlmodel import Session

from transfer_engine.dates.clock import utcnow
from transfer_engine.domain import StepStatus
from transfer_engine.rules.evidence import (
    EvidenceFacts,
    Judgement,
    checkable,
    judge,
    letters_read,
    load_steps,
)
from transfer_engine.store.queries import definition_of
from transfer_engine.store.transfers import AuditEntry, StepInstance, Transfer
from transfer_engine.workflow.definition import WorkflowDefinition

__all__ = ["EvidenceChange", "judge_step", "load_steps", "reconcile", "reconcile_in",
           "record_completion", "record_override"]

_STEP = StepInstance.__table__  # type: ignore[attr-defined]
_TRANSFER = Transfer.__table__  # type: ignore[attr-defined]
_AUDIT = AuditEntry.__table__  # type: ignore[attr-defined]

# Statements built once, with parameters (record_completion runs on every committed transition,
# and building a statement costs more than running it on SQLite). Parameter names differ from
# the columns': SQLAlchemy keeps those for itself in SET clauses.
_THIS_STEP = _STEP.c.id == sa.bindparam("sid")
_DONE_VALUES: dict[str, Any] = {
    "status": StepStatus.done, "done_on": sa.bindparam("b_done_on"),
    "done_by": sa.bindparam("b_done_by"), "done_at": sa.bindparam("b_now"),
    "evidence_detail": sa.bindparam("b_detail"), "evidence_missing": None}
_RECORD_VALUES: dict[str, Any] = {
    "recorded_on": sa.bindparam("b_recorded_on"), "recorded_by": sa.bindparam("b_recorded_by"),
    "evidence": sa.bindparam("b_note")}
_COMPLETE = sa.update(_STEP).where(_THIS_STEP).values(**_DONE_VALUES)
# Recorded and done at once (its evidence is all there), or recorded and awaiting the rest.
_RECORD_DONE = sa.update(_STEP).where(_THIS_STEP).values(**_RECORD_VALUES, **_DONE_VALUES)
_RECORD_AWAITING = sa.update(_STEP).where(_THIS_STEP).values(
    **_RECORD_VALUES, evidence_missing=sa.bindparam("b_missing"))
_MISSING = sa.update(_STEP).where(_THIS_STEP).values(evidence_missing=sa.bindparam("b_missing"))
_REOPEN = sa.update(_STEP).where(_THIS_STEP).values(
    status=StepStatus.open, done_on=None, done_by=None, done_at=None, evidence_detail=None,
    evidence_missing=sa.bindparam("b_missing"), reopened_reason=sa.bindparam("b_reason"),
    reopened_at=sa.bindparam("b_now"))
_TRANSFER_OF = (sa.select(_TRANSFER.c.id, _TRANSFER.c.ref, _TRANSFER.c.state,
                          _TRANSFER.c.workflow_id, _TRANSFER.c.workflow_version)
                .where(_TRANSFER.c.id == sa.bindparam("tid")))
_AUDIT_INSERT = sa.insert(_AUDIT)


@dataclass
class _Recorded:
    """An open step as :func:`record_completion` has just recorded it (what its ``note``
    evidence is judged on), without reading the row back."""

    step_id: str
    recorded_on: date | None
    recorded_by: str | None
    evidence: str | None
    status: StepStatus = StepStatus.open
    done_on: date | None = None
    done_by: str | None = None
    override_reason: str | None = None


@dataclass(frozen=True)
class EvidenceChange:
    """What re-judging a step changed: ``done`` (evidence now complete) or ``reopened``."""

    step_id: str
    change: str
    reason: str
    on: date | None = None


def _done_params(judgement: Judgement, *, fallback: date, by: str,
                 now: datetime) -> dict[str, Any]:
    """The values a step done on ``judgement`` is written with (``b_done_on``: the day)."""
    on, who = judgement.completed
    on = on or fallback
    if judgement.on_judging:  # e.g. the reply to the last representation, recorded just now
        on = max(on, fallback)
    return {"b_done_on": on, "b_done_by": who or by, "b_now": now,
            "b_detail": judgement.detail[:2000]}


def _complete(connection: Connection, row: Any, judgement: Judgement, *, fallback: date,
              by: str, now: datetime) -> date:
    params = _done_params(judgement, fallback=fallback, by=by, now=now)
    connection.execute(_COMPLETE, {"sid": row.id, **params})
    on: date = params["b_done_on"]
    return on


def record_completion(connection: Connection, transfer_id: int,
                      definition: WorkflowDefinition, steps: Mapping[str, Any],
                      step_ids: Iterable[str], *, actor: str, note: str | None,
                      occurred_on: date, now: datetime | None = None,
                      facts: EvidenceFacts | None = None,
                      ) -> tuple[list[str], dict[str, str]]:
    """Record ``step_ids`` as done on ``occurred_on`` by ``actor`` (with ``note``).

    ``steps`` are the transfer's step rows as the caller read them (``id``, ``step_id`` and
    ``status`` are enough): they are not read again. Only the records the completed steps'
    evidence names are read (a ``note`` needs none), and each step is written once. ``facts``:
    the records already read in this transaction for the same transfer and steps (the guards'),
    so that they are not read twice.

    Returns the steps done now, and those left open awaiting evidence with what each lacks.
    """
    now = now or utcnow()
    ids = [s for s in step_ids if s in steps and steps[s].status == StepStatus.open]
    if not ids:
        return [], {}
    # Judged before writing: what is written here (the note, on this row) is known, and
    # nothing else evidence reads changes by recording it.
    if facts is None:
        facts = EvidenceFacts(connection, transfer_id, steps)
    recorded = {"b_recorded_on": occurred_on, "b_recorded_by": actor, "b_note": note}
    done: list[str] = []
    awaiting: dict[str, str] = {}
    done_rows: list[dict[str, Any]] = []
    awaiting_rows: list[dict[str, Any]] = []
    for step_id in ids:
        spec = definition.steps.get(step_id)
        if spec is None:  # pragma: no cover  (a step instance always has its definition)
            continue
        row = steps[step_id]
        judgement = judge(facts, spec, _Recorded(step_id, occurred_on, actor, note))
        if judgement.holds:
            done.append(step_id)
            done_rows.append({"sid": row.id, **recorded, **_done_params(
                judgement, fallback=occurred_on, by=actor, now=now)})
        else:
            awaiting[step_id] = judgement.missing
            awaiting_rows.append({"sid": row.id, **recorded,
                                  "b_missing": judgement.missing[:2000]})
    if done_rows:
        connection.execute(_RECORD_DONE, done_rows)
    if awaiting_rows:
        connection.execute(_RECORD_AWAITING, awaiting_rows)
    return done, awaiting


def reconcile(connection: Connection, transfer_id: int, *, actor: str,
              today: date | None = None,
              letters: Collection[str] | None = None) -> list[EvidenceChange]:
    """Judge again every step whose evidence the records show; complete or reopen each one
    whose evidence changed, with an audit entry for each. Call it in the transaction that
    changed the records (or straight after it committed).

    ``letters``: what changed is only that these letters were issued; only the steps whose
    evidence reads one of them are judged (none at all, most of the time: nothing is read)."""
    transfer = connection.execute(_TRANSFER_OF, {"tid": transfer_id}).first()
    if transfer is None:
        return []
    definition = definition_of(transfer, connection)
    judged = None
    if letters is not None:
        issued = set(letters)
        judged = {s.id for s in definition.steps.values()
                  if checkable(s) and letters_read(s.evidence) & issued}
        if not judged:
            return []
    steps = load_steps(connection, transfer_id)
    facts = EvidenceFacts(connection, transfer_id, steps)
    now = utcnow()
    changes: list[EvidenceChange] = []
    for step_id, row in steps.items():
        spec = definition.steps.get(step_id)
        if spec is None or not checkable(spec) or row.status == StepStatus.not_applicable:
            continue
        if judged is not None and step_id not in judged:
            continue
        if row.status == StepStatus.done and row.override_reason:
            continue  # an override stands: it was decided without the evidence
        judgement = judge(facts, spec, row)
        if row.status == StepStatus.open and judgement.holds:
            on = _complete(connection, row, judgement, fallback=today or now.date(),
                           by=actor, now=now)
            changes.append(EvidenceChange(step_id, "done", judgement.detail, on))
        elif row.status == StepStatus.done and not judgement.holds:
            reason = f"its evidence no longer holds: {judgement.missing}"
            connection.execute(_REOPEN, {"sid": row.id, "b_missing": judgement.missing[:2000],
                                         "b_reason": reason[:2000], "b_now": now})
            changes.append(EvidenceChange(step_id, "reopened", reason, row.done_on))
        elif row.status == StepStatus.open and row.evidence_missing != judgement.missing:
            connection.execute(_MISSING, {"sid": row.id,
                                          "b_missing": judgement.missing[:2000]})
    if changes:
        connection.execute(_AUDIT_INSERT, [_audit_row(transfer, change, actor, now)
                                               for change in changes])
    return changes


def reconcile_in(session: Session, transfer_id: int | None, *, actor: str,
                 today: date | None = None) -> list[EvidenceChange]:
    """:func:`reconcile` in an ORM session: what it holds is written first, so that the
    evidence is judged on the records as they now are."""
    if transfer_id is None:
        return []
    session.flush()
    changes = reconcile(session.connection(), transfer_id, actor=actor, today=today)
    if changes:  # step rows were written underneath the session's objects of them
        for held in list(session.identity_map.values()):
            if isinstance(held, StepInstance):
                session.expire(held)
    return changes


def judge_step(connection: Connection, transfer_id: int, definition: WorkflowDefinition,
               step_id: str, *, without_note: bool = False) -> Judgement:
    """The evidence of one step as the records stand (``without_note``: leave out the dated
    note, which the person recording the step is giving now)."""
    steps = load_steps(connection, transfer_id)
    spec = definition.steps[step_id]
    kinds = [e for e in spec.evidence if not (without_note and e.kind == "note")]
    return judge(EvidenceFacts(connection, transfer_id, steps), spec, steps.get(step_id), kinds)


def _audit_row(transfer: Any, change: EvidenceChange, actor: str,
               now: datetime) -> dict[str, Any]:
    if change.change == "done":
        data: dict[str, Any] = {"step": change.step_id, "done_on": change.on.isoformat()
                                if change.on else None, "evidence": change.reason,
                                "by_evidence": True}
        action = "step-done"
    else:
        data = {"step": change.step_id, "reason": change.reason,
                "was_done_on": change.on.isoformat() if change.on else None}
        action = "step-reopened"
    return {"transfer_id": transfer.id, "actor": actor, "at": now, "action": action,
            "from_state": transfer.state, "to_state": transfer.state, "data": data}


def record_override(connection: Connection, transfer: Any, step_row: Any, *, actor: str,
                  reason: str, occurred_on: date, missing: str) -> None:
    """Mark a step done without its evidence, with the written reason (audited)."""
    now = utcnow()
    connection.execute(sa.update(_STEP).where(_STEP.c.id == step_row.id).values(
        status=StepStatus.done, done_on=occurred_on, done_by=actor, done_at=now,
        recorded_on=occurred_on, recorded_by=actor, override_reason=reason,
        overridden_by=actor, overridden_at=now, evidence_missing=missing[:2000] or None,
        evidence_detail=None))
    connection.execute(sa.insert(_AUDIT).values(
        transfer_id=transfer.id, actor=actor, at=now, action="step-overridden",
        from_state=transfer.state, to_state=transfer.state,
        data={"step": step_row.step_id, "reason": reason, "done_on": occurred_on.isoformat(),
              "evidence_missing": missing}))
