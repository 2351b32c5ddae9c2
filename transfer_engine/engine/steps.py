"""Completing a step with its evidence, in one transaction holding the transfer's lock."""

from __future__ import annotations

from datetime import date

from sqlalchemy.engine import Engine

from transfer_engine.dates.clock import utcnow
from transfer_engine.domain import StepStatus
from transfer_engine.engine.advance import _bump, _check_version, guard_context
from transfer_engine.engine.evidence import judge_step
from transfer_engine.engine.limits import EVIDENCE, text_problems
from transfer_engine.errors import (
    Action,
    FieldProblem,
    GuardRefusedError,
    NextStep,
    NotFoundError,
    ValidationError,
)
from transfer_engine.rules.happened import future_problems, not_yet, too_early
from transfer_engine.store.database import write_session
from transfer_engine.store.queries import audit, definition_of, get_transfer, steps_of
from transfer_engine.store.transfers import StepInstance


def step_input_problems(evidence: str | None, occurred_on: date | None,
                        today: date) -> list[FieldProblem]:
    """What is wrong with the evidence and the date a person gives for a step done."""
    return text_problems((EVIDENCE, evidence)) + future_problems(occurred_on, today)


def complete_step(ref: str, step_id: str, *, actor: str, evidence: str,
                  occurred_on: date | None = None, expected_version: int | None = None,
                  today: date | None = None, engine: Engine | None = None) -> StepInstance:
    """Mark a step done with evidence, for steps that no trigger completes.

    ``today`` is the day deadlines are judged against (a demo's day); ``occurred_on`` the day
    it was done (default today), which cannot be after today nor before the step could happen
    (see :mod:`transfer_engine.rules.happened`).
    """
    today = today or date.today()
    done_on = occurred_on or today
    problems = step_input_problems(evidence, done_on, today)
    if problems:
        raise ValidationError(field_problems=problems)
    evidence = evidence.strip()
    with write_session(engine) as session:
        transfer = get_transfer(session, ref, lock=True)
        _check_version(transfer, expected_version)
        definition = definition_of(transfer)
        steps = steps_of(session, transfer)
        if step_id not in steps:
            raise NotFoundError(f"{ref} has no step {step_id!r}; steps: {', '.join(steps)}")
        by_trigger = [t.name for t in definition.triggers_completing(step_id)]
        if by_trigger:
            raise ValidationError(
                f"{step_id} is completed by the trigger {by_trigger[0]!r}, whose guards must "
                "hold: fire that trigger instead",
                next_step=NextStep(Action.fire_trigger, ref=ref, trigger=by_trigger[0]))
        step = steps[step_id]
        if step.status == StepStatus.done:
            raise ValidationError(f"{step_id} is already done (on {step.done_on} by "
                                  f"{step.done_by}); nothing was recorded")
        if step.status != StepStatus.open:
            raise ValidationError(f"{step_id} is already {step.status.value}")
        ctx = guard_context(session, transfer, definition, today=today, steps=steps,
                            occurred_on=done_on)
        waiting = not_yet(ctx, [step_id])
        if waiting:
            raise GuardRefusedError(ref, step_id, waiting)
        problems = too_early(ctx, [step_id])
        if problems:
            raise ValidationError(field_problems=problems)
        # Done only with its evidence (the evidence given here is its dated note).
        assert transfer.id is not None
        judgement = judge_step(session.connection(), transfer.id, definition, step_id,
                               without_note=True)
        if not judgement.holds:
            raise ValidationError(
                f"{step_id} is done only with its evidence, and it lacks: {judgement.missing}. "
                "Provide what is missing, or record an override with a written reason; "
                "nothing was recorded")
        step.evidence_detail = judgement.detail or None
        step.recorded_on, step.recorded_by = done_on, actor
        step.status, step.done_at, step.done_on = StepStatus.done, utcnow(), done_on
        step.done_by, step.evidence = actor, evidence
        session.add(step)
        _bump(session, transfer, transfer.version)
        audit(session, transfer, actor, "step-done", from_state=transfer.state,
              to_state=transfer.state,
              data={"step": step_id, "done_on": done_on.isoformat(), "evidence": evidence})
        return step
