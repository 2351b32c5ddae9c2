"""Deadlines that respect dependencies: a step may not be due before a step it requires.

A trigger that completes step X and has the guard ``steps_done: [Y]`` cannot fire until Y is
done, so X requires Y. A workflow that makes X due before Y sets a deadline nobody can meet on
time (in ld-to-nct as first written, informing the representatives was due two days before the
transferee's measures that the letter must give, reg 13(2)(d) and 13(4)).

Deadlines count from key dates, so the check needs dates: a file with a seed transfer is checked
against the seed's key dates; any other against sample transfer dates (the first of each month
of one year, each with a decision eight weeks before, the usual HR timetable). A deadline that
counts from a key date the sample does not have is left out of the check.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from transfer_engine.workflow.definition import Rule, Step, WorkflowDefinition

SAMPLE_YEAR = 2025
DECISION_BEFORE_TRANSFER = timedelta(weeks=8)


@dataclass(frozen=True)
class KeyDateSample:
    """Key dates to resolve deadlines against, and how to say where they came from."""

    dates: Mapping[str, date]
    described: str


def key_date_samples(definition: WorkflowDefinition) -> list[KeyDateSample]:
    if definition.seed is not None:
        return [KeyDateSample(dict(definition.seed.key_dates),
                              f"the key dates of the seed transfer {definition.seed.ref}")]
    samples = []
    for month in range(1, 13):
        transfer = date(SAMPLE_YEAR, month, 1)
        decision = transfer - DECISION_BEFORE_TRANSFER
        samples.append(KeyDateSample(
            {"transfer": transfer, "decision": decision},
            f"a sample transfer on {transfer.isoformat()} decided on {decision.isoformat()}"))
    return samples


def requirements(definition: WorkflowDefinition) -> list[tuple[str, str, str]]:
    """Every (step, step it requires, trigger that says so), in the file's order."""
    found: list[tuple[str, str, str]] = []
    for trigger in definition.triggers.values():
        for guard in trigger.guards:
            if guard.name != "steps_done" or not isinstance(guard.argument, list):
                continue
            for step_id in trigger.completes:
                for required in guard.argument:
                    pair = (step_id, required, trigger.name)
                    if required != step_id and pair not in found:
                        found.append(pair)
    return found


def _dues(step: Step, key_dates: Mapping[str, date]) -> list[tuple[date, Rule]]:
    """The step's deadline under each rule in force on the transfer date (several when a step
    has alternatives that depend on the transfer's facts)."""
    out = []
    for rule in step.rules_for(key_dates.get("transfer")):
        anchor = key_dates.get(rule.due.key)
        if anchor is not None:
            out.append((rule.due.resolve(anchor), rule))
    return out


def deadline_order_problems(definition: WorkflowDefinition) -> list[str]:
    """Each step due before a step it requires, with both titles and both dates."""
    problems: list[str] = []
    for step_id, required_id, trigger in requirements(definition):
        step, required = definition.steps.get(step_id), definition.steps.get(required_id)
        if step is None or required is None:
            continue
        for sample in key_date_samples(definition):
            clash = next(((due, rule, needed_due, needed_rule)
                          for due, rule in _dues(step, sample.dates)
                          for needed_due, needed_rule in _dues(required, sample.dates)
                          if due < needed_due), None)
            if clash is None:
                continue
            due, rule, needed_due, needed_rule = clash
            problems.append(
                f"steps.{step_id}: {step.title!r} is due {due.isoformat()} ({rule.due.text}), "
                f"before {required.title!r} ({required_id}), due {needed_due.isoformat()} "
                f"({needed_rule.due.text}), which it requires (trigger {trigger}: steps_done); "
                f"with {sample.described}. Make {required_id} due on or before "
                f"{due.isoformat()}, or {step_id} due later")
            break  # one example per pair is enough to fix it
    return problems
