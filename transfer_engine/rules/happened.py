"""When a step happened: the date a person gives for it, and whether it has happened already.

Every action that completes a step says the day it happened (today unless the person says
otherwise): a decision minuted on 7 September and recorded on the 20th happened on the 7th, and
its timeliness is judged on the 7th. The date cannot be:

* in the future (after the day the transfer is looked at);
* before the step could happen: a step that follows the transfer (``not_before: on
  transfer`` in the workflow) cannot have happened before the transfer date. While that date is
  still to come the action is held back like a ``date_reached`` guard (:func:`not_yet`: wait
  for it); once it has come, a stated date before it is a wrong date (:func:`too_early`);
* before the steps it needs were done (those a trigger's ``steps_done`` guards name);
* years before the transfer date: a mistyped year (:mod:`transfer_engine.dates.plausible`).

A trigger that would complete only steps already done, and move the transfer nowhere, records
nothing: it is refused with who did them and when, so that a second click (or ten people
pressing the button at once) leaves one entry in the history, not ten.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import date

from transfer_engine.dates.plausible import implausibly_early
from transfer_engine.domain import StepStatus
from transfer_engine.errors import Action, FieldProblem, GuardFailure, GuardKind
from transfer_engine.rules.guards import GuardContext
from transfer_engine.workflow.definition import Step, Trigger

#: The input field that carries the day an action happened, in every front end.
OCCURRED_ON = "occurred_on"
_LABEL = "date it happened"


def future_problems(occurred_on: date | None, today: date) -> list[FieldProblem]:
    """The stated day is after today (checked before anything is read)."""
    if occurred_on is None or occurred_on <= today:
        return []
    return [FieldProblem(OCCURRED_ON, "must be today or in the past", _LABEL, "in_future")]


def prerequisites(trigger: Trigger) -> list[str]:
    """The steps a trigger needs done first: those its ``steps_done`` guards name."""
    return [s for g in trigger.guards if g.name == "steps_done" for s in g.argument]


def _earliest(ctx: GuardContext, step_ids: Iterable[str]) -> list[tuple[Step, date]]:
    """Each step with a first day it can happen, and that day."""
    found = []
    for step_id in step_ids:
        step = ctx.definition.steps.get(step_id)
        if step is None or step.not_before is None:
            continue  # most steps: any day will do, and no key date needs reading
        first = step.earliest(ctx.key_dates)
        if first is not None:
            found.append((step, first))
    return found


def not_yet(ctx: GuardContext, step_ids: Iterable[str]) -> list[GuardFailure]:
    """Steps that cannot happen before a key date still to come (after today): wait for it.

    Worded as a ``date_reached`` guard would be; not overridable, since no circumstances make a
    step that follows the transfer happen before it.
    """
    failures = []
    for step, first in _earliest(ctx, step_ids):
        row = ctx.steps.get(step.id)
        if first <= ctx.today or row is None or row.status != StepStatus.open:
            continue
        assert step.not_before is not None  # _earliest gives only steps that have one
        key = step.not_before.key
        spec = ctx.definition.key_dates.get(key)
        label = spec.label if spec else key
        if step.not_before.text != f"on {key}":
            label = f"first day for {step.title} ({step.not_before.text})"
        failures.append(GuardFailure(
            guard="not_before", kind=GuardKind.date_not_reached,
            satisfied_by=Action.wait_for_date, steps=(ctx.step_ref(step.id),), key_date=key,
            key_date_label=label, key_date_value=first,
            days_to_go=(first - ctx.occurred_on).days,
            judged_on=ctx.occurred_on if ctx.occurred_on != ctx.today else None))
    return failures


def too_early(ctx: GuardContext, step_ids: Iterable[str],
              needs: Iterable[str] = ()) -> list[FieldProblem]:
    """The day ``ctx.occurred_on`` is before one of ``step_ids`` could happen (a day that has
    come: one still to come is :func:`not_yet`), or before one of the steps in ``needs`` was
    done; the latest of those days is the one named. Else, if it is years before the
    transfer date, that (a mistyped year)."""
    when = ctx.occurred_on
    earliest: date | None = None
    because, code = "", ""
    for step, first in _earliest(ctx, step_ids):
        assert step.not_before is not None  # _earliest gives only steps that have one
        if when < first <= ctx.today and (earliest is None or first > earliest):
            key = step.not_before.key
            spec = ctx.definition.key_dates.get(key)
            label = spec.label.lower() if spec else key
            what = "the " + label if step.not_before.text == f"on {key}" else (
                f"{step.not_before.text} ({label} {ctx.key_dates[key].isoformat()})")
            earliest, code = first, "before_possible"
            because = f"{what}: “{step.title}” cannot happen before it"
    for step_id in needs:
        done = ctx.steps.get(step_id)
        if done is None or done.status != StepStatus.done or done.done_on is None:
            continue
        if done.done_on > when and (earliest is None or done.done_on > earliest):
            needed = ctx.definition.steps.get(step_id)
            earliest, code = done.done_on, "before_prerequisite"
            because = f"when “{needed.title if needed else step_id}”, which it needs, was done"
    if earliest is None:
        mistyped = implausibly_early(OCCURRED_ON, _LABEL, when, ctx.key_dates.get("transfer"))
        return [mistyped] if mistyped is not None else []
    return [FieldProblem(OCCURRED_ON, f"must be on or after {earliest.isoformat()}, {because}",
                         _LABEL, code, earliest=earliest, earliest_because=because)]


def already_done(ctx: GuardContext, trigger: Trigger) -> GuardFailure | None:
    """Firing ``trigger`` would complete only steps already done and leave the state as it is:
    nothing would change, so nothing is recorded."""
    if not trigger.completes or (trigger.dest is not None
                                 and trigger.dest != ctx.transfer.state):
        return None
    done = []
    for step_id in trigger.completes:
        step = ctx.steps.get(step_id)
        if step is None or step.status == StepStatus.not_applicable:
            continue
        if step.status != StepStatus.done:
            return None  # something left to do
        done.append(replace(ctx.step_ref(step_id), done_by=step.done_by or ""))
    if not done:
        return None
    return GuardFailure(guard="completes", kind=GuardKind.already_done,
                        satisfied_by=Action.nothing_to_do, steps=tuple(done))
