"""Which steps apply to a transfer and when each is due: the plan is worked out from the
workflow's steps, the key dates and the facts that ``applies_when`` conditions read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from transfer_engine.dates.working_days import last_working_day_on_or_before
from transfer_engine.domain import StepStatus
from transfer_engine.store.organisations import Organisation
from transfer_engine.store.people import Employee, Representative
from transfer_engine.store.queries import definition_of, key_dates_of, steps_of
from transfer_engine.store.transfers import StepInstance, Transfer
from transfer_engine.workflow.definition import Rule, Step, WorkflowDefinition

# ---------------------------------------------------------------------------------------------
# Steps and their deadlines


@dataclass(frozen=True)
class Facts:
    """What step applicability conditions look at."""

    regime: str
    representatives: int
    transferor_headcount: int | None
    transferring: int


def _condition_holds(condition: Mapping[str, Any], facts: Facts) -> bool:
    for key, value in condition.items():
        if key == "all_of":
            ok = all(_condition_holds(c, facts) for c in value)
        elif key == "any_of":
            ok = any(_condition_holds(c, facts) for c in value)
        elif key == "not":
            ok = not _condition_holds(value, facts)
        elif key == "regime_in":
            ok = facts.regime in value
        elif key == "no_representatives":
            ok = (facts.representatives == 0) == bool(value)
        elif key == "transferor_headcount_below":
            ok = facts.transferor_headcount is not None and facts.transferor_headcount < value
        elif key == "transferring_below":
            ok = facts.transferring < value
        else:  # the loader rejects unknown conditions; this is a programming error
            raise AssertionError(key)
        if not ok:
            return False
    return True


def _facts(session: Session, transfer: Transfer) -> Facts:
    representatives = session.exec(
        select(func.count()).select_from(Representative)
        .where(Representative.transfer_id == transfer.id,
               Representative.organisation_id == transfer.transferor_id)
    ).one()
    transferring = session.exec(
        select(func.count()).select_from(Employee)
        .where(Employee.transfer_id == transfer.id, col(Employee.in_scope).is_(True),
               col(Employee.objected_on).is_(None))
    ).one()
    transferor = session.get(Organisation, transfer.transferor_id)
    return Facts(regime=transfer.regime.value, representatives=representatives,
                 transferor_headcount=transferor.headcount if transferor else None,
                 transferring=transferring)


@dataclass(frozen=True)
class StepPlan:
    """Where a step stands under the rules in force for this transfer."""

    rule: Rule | None
    due: date | None
    not_applicable: str | None


def plan_step(step: Step, key_dates: Mapping[str, date], facts: Facts) -> StepPlan:
    transfer_date = key_dates.get("transfer")
    if facts.regime not in {r.value for r in step.regimes}:
        return StepPlan(None, None, f"does not apply to a {facts.regime} move")
    rule = step.rule_for(transfer_date)
    if rule is None:
        return StepPlan(None, None, "no rule was in force on the transfer date")
    if rule.applies_when and not _condition_holds(rule.applies_when, facts):
        return StepPlan(rule, None, "its conditions are not met for this transfer")
    anchor = key_dates.get(rule.due.key)
    return StepPlan(rule, rule.due.resolve(anchor) if anchor else None, None)


@dataclass(frozen=True)
class StepChange:
    step_id: str
    title: str
    old_due: date | None
    new_due: date | None
    status: str


def refresh_steps(session: Session, transfer: Transfer,
                  definition: WorkflowDefinition | None = None) -> list[StepChange]:
    """Bring every step instance in line with the workflow, the key dates and the facts.

    Done steps keep their completion; their deadline is still recomputed, because whether the
    ELI was given in time is judged against the date the transfer actually happens.
    """
    definition = definition or definition_of(transfer)
    key_dates = key_dates_of(session, transfer)
    existing = steps_of(session, transfer)
    facts = _facts(session, transfer)
    changes = []
    assert transfer.id is not None  # saved: it has key dates
    for step in definition.steps.values():
        plan = plan_step(step, key_dates, facts)
        instance = existing.get(step.id)
        if instance is None:
            instance = StepInstance(transfer_id=transfer.id, step_id=step.id, title=step.title,
                                    legal_basis="")
        old_due = instance.due_date
        instance.title = step.title
        instance.position = step.position
        instance.legal_basis = plan.rule.legal_basis if plan.rule else step.rules[-1].legal_basis
        instance.rule_effective_from = plan.rule.effective_from if plan.rule else None
        instance.due_date = plan.due
        instance.working_due_date = last_working_day_on_or_before(plan.due) if plan.due else None
        if plan.not_applicable:
            if instance.status != StepStatus.done:
                instance.status = StepStatus.not_applicable
            instance.not_applicable_reason = plan.not_applicable
        else:
            instance.not_applicable_reason = None
            if instance.status == StepStatus.not_applicable:
                instance.status = StepStatus.open
        session.add(instance)
        if old_due != instance.due_date:
            changes.append(StepChange(step.id, step.title, old_due, instance.due_date,
                                      instance.status.value))
    return changes
