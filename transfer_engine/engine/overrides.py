"""Recording a step as done without its evidence: an override, with a written reason.

A step is done only when its evidence exists (:mod:`transfer_engine.engine.evidence`). When it
cannot exist (nobody was informed in time, and the transfer must still go ahead), a person may
record the step as done anyway, saying why. The override is audited with what the evidence
lacked, kept on the step and shown as "overridden" on the timeline and with the letters; it does
not make the step on time, nor take away the money at risk while the law was not met.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.engine import Engine

from transfer_engine.dates.plausible import implausibly_early
from transfer_engine.domain import StepStatus
from transfer_engine.engine.advance import _bump, _check_version
from transfer_engine.engine.evidence import judge_step, record_override
from transfer_engine.engine.limits import OVERRIDE_REASON, text_problems
from transfer_engine.errors import NotFoundError, ValidationError
from transfer_engine.rules.happened import OCCURRED_ON, future_problems
from transfer_engine.store.database import write_session
from transfer_engine.store.queries import definition_of, get_transfer, key_dates_of, steps_of
from transfer_engine.store.transfers import StepInstance

__all__ = ["override_step"]


def override_step(ref: str, step_id: str, *, actor: str, reason: str,
                  occurred_on: date | None = None, expected_version: int | None = None,
                  today: date | None = None, engine: Engine | None = None) -> StepInstance:
    """Record ``step_id`` of ``ref`` as done without its evidence, for ``reason`` (audited)."""
    today = today or date.today()
    occurred_on = occurred_on or today
    problems = text_problems((OVERRIDE_REASON, reason)) + future_problems(occurred_on, today)
    if problems:
        raise ValidationError(field_problems=problems)
    with write_session(engine) as session:
        transfer = get_transfer(session, ref, lock=True)
        _check_version(transfer, expected_version)
        mistyped = implausibly_early(OCCURRED_ON, "date it happened", occurred_on,
                                     key_dates_of(session, transfer).get("transfer"))
        if mistyped is not None:
            raise ValidationError(field_problems=[mistyped])
        definition = definition_of(transfer)
        steps = steps_of(session, transfer)
        step = steps.get(step_id)
        if step is None or step_id not in definition.steps:
            raise NotFoundError(f"{ref} has no step {step_id!r}; steps: {', '.join(steps)}")
        if step.status == StepStatus.done:
            how = f"overridden ({step.override_reason})" if step.override_reason else \
                "done with its evidence"
            raise ValidationError(f"{step_id} is already {how} on {step.done_on}; nothing was "
                                  "recorded")
        if step.status == StepStatus.not_applicable:
            raise ValidationError(f"{step_id} does not apply to {ref} "
                                  f"({step.not_applicable_reason}); nothing to override")
        assert transfer.id is not None
        connection = session.connection()
        missing = judge_step(connection, transfer.id, definition, step_id,
                             without_note=True).missing
        record_override(connection, transfer, step, actor=actor, reason=reason.strip(),
                        occurred_on=occurred_on, missing=missing)
        session.expire(step)
        _bump(session, transfer, transfer.version)
        session.refresh(step)
        return step
