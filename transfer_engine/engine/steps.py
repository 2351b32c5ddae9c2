"""Completing a step with its evidence, in one transaction holding the transfer's lock."""

from __future__ import annotations

from datetime import date

from sqlalchemy.engine import Engine

from transfer_engine.dates.clock import utcnow
from transfer_engine.domain import StepStatus
from transfer_engine.engine.advance import _bump, _check_version
from transfer_engine.engine.limits import EVIDENCE, text_problems
from transfer_engine.errors import (
    Action,
    FieldProblem,
    NextStep,
    NotFoundError,
    ValidationError,
)
from transfer_engine.store.database import write_session
from transfer_engine.store.queries import audit, definition_of, get_transfer, steps_of
from transfer_engine.store.transfers import StepInstance


def step_input_problems(evidence: str | None, done_on: date | None,
                        today: date) -> list[FieldProblem]:
    """What is wrong with the evidence and the date a person gives for a step done."""
    problems = text_problems((EVIDENCE, evidence))
    if done_on is not None and done_on > today:
        problems.append(FieldProblem("done_on", "must be today or in the past",
                                     "date it was done", "in_future"))
    return problems


def complete_step(ref: str, step_id: str, *, actor: str, evidence: str,
                  done_on: date | None = None, expected_version: int | None = None,
                  today: date | None = None, engine: Engine | None = None) -> StepInstance:
    """Mark a step done with evidence, for steps that no trigger completes.

    ``today`` is the day deadlines are judged against (a demo's day); a step cannot be done
    after it.
    """
    today = today or date.today()
    done_on = done_on or today
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
        by_trigger = [t.name for t in definition.triggers.values() if step_id in t.completes]
        if by_trigger:
            raise ValidationError(
                f"{step_id} is completed by the trigger {by_trigger[0]!r}, whose guards must "
                "hold: fire that trigger instead",
                next_step=NextStep(Action.fire_trigger, ref=ref, trigger=by_trigger[0]))
        step = steps[step_id]
        if step.status != StepStatus.open:
            raise ValidationError(f"{step_id} is already {step.status.value}")
        step.status, step.done_at, step.done_on = StepStatus.done, utcnow(), done_on
        step.done_by, step.evidence = actor, evidence
        session.add(step)
        _bump(session, transfer, transfer.version)
        audit(session, transfer, actor, "step-done", from_state=transfer.state,
              to_state=transfer.state,
              data={"step": step_id, "done_on": done_on.isoformat(), "evidence": evidence})
        return step
