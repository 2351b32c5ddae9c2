"""Which steps apply to a transfer and when each is due: the plan is worked out from the
workflow's steps, the key dates and the facts that ``applies_when`` conditions read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from transfer_engine.dates.working_days import last_working_day_on_or_before
from transfer_engine.domain import RepresentativeKind, StepStatus
from transfer_engine.rules.objections import transferring_count
from transfer_engine.rules.representation import ElectionStage, election_stage, latest_election
from transfer_engine.store.organisations import Organisation
from transfer_engine.store.people import Representative
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
    # Dismissals as redundant proposed at one establishment within 90 days (TULRCA s.188).
    proposed_dismissals: int | None = None
    # The transferor's representatives by kind (reg 13(3)) and its reg 14 election, if any.
    recognised_unions: int = 0
    existing_representatives: int = 0   # reg 13(3)(b)(i): elected or appointed with authority
    election_invited: bool = False      # reg 13A is then no longer available
    election_failed: bool = False       # none elected in a reasonable time: reg 13(11)
    # Steps whose own conditions hold (for ``step_applies``; see plan_steps).
    applicable_steps: frozenset[str] = frozenset()
    # The sectors of the two employers (OrganisationKind values): which pension protection
    # applies depends on who transfers staff to whom.
    transferor_kind: str | None = None
    transferee_kind: str | None = None


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
        elif key == "no_recognised_union":
            ok = (facts.recognised_unions == 0) == bool(value)
        elif key == "no_existing_representatives":
            ok = (facts.existing_representatives == 0) == bool(value)
        elif key == "election_invited":
            ok = facts.election_invited == bool(value)
        elif key == "election_failed":
            ok = facts.election_failed == bool(value)
        elif key == "step_applies":
            ok = value in facts.applicable_steps
        elif key == "proposed_dismissals_at_least":
            ok = facts.proposed_dismissals is not None and facts.proposed_dismissals >= value
        elif key == "transferor_kind_in":
            ok = facts.transferor_kind in value
        elif key == "transferee_kind_in":
            ok = facts.transferee_kind in value
        else:  # the loader rejects unknown conditions; this is a programming error
            raise AssertionError(key)
        if not ok:
            return False
    return True


def _facts(session: Session, transfer: Transfer, as_of: date | None = None) -> Facts:
    """The facts as they stand on ``as_of`` (today by default): an objection counts from its
    date (reg 4(7)), so one dated later does not yet change who transfers."""
    as_of = as_of or date.today()
    by_kind = {RepresentativeKind(kind): n for kind, n in session.exec(
        select(Representative.kind, func.count())
        .where(Representative.transfer_id == transfer.id,
               Representative.organisation_id == transfer.transferor_id)
        .group_by(col(Representative.kind))
    ).all()}
    assert transfer.id is not None  # read from the database
    transferring = transferring_count(session, transfer.id, as_of)
    # The transferor's latest election (reg 14) decides: a new invitation after a failed one
    # is the election under way.
    stage = election_stage(latest_election(session, transfer.id, transfer.transferor_id), as_of)
    transferor = session.get(Organisation, transfer.transferor_id)
    transferee = session.get(Organisation, transfer.transferee_id)
    return Facts(regime=transfer.regime.value, representatives=sum(by_kind.values()),
                 transferor_kind=transferor.kind.value if transferor else None,
                 transferee_kind=transferee.kind.value if transferee else None,
                 transferor_headcount=transferor.headcount if transferor else None,
                 transferring=transferring, proposed_dismissals=transfer.proposed_dismissals,
                 recognised_unions=by_kind.get(RepresentativeKind.recognised_union, 0),
                 existing_representatives=by_kind.get(RepresentativeKind.existing, 0),
                 election_invited=stage != ElectionStage.none,
                 election_failed=stage == ElectionStage.none_elected)


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
    in_force = step.rules_for(transfer_date)
    if not in_force:
        return StepPlan(None, None, "no rule was in force on the transfer date")
    # Rules that took effect on the same date are alternatives: the first whose condition
    # holds applies (e.g. TULRCA s.188: 45 days for 100 or more dismissals, else 30).
    rule = next((r for r in in_force
                 if not r.applies_when or _condition_holds(r.applies_when, facts)), None)
    if rule is None:
        return StepPlan(in_force[0], None, "its conditions are not met for this transfer")
    anchor = key_dates.get(rule.due.key)
    return StepPlan(rule, rule.due.resolve(anchor) if anchor else None, None)


def plan_steps(definition: WorkflowDefinition, key_dates: Mapping[str, date],
               facts: Facts) -> dict[str, StepPlan]:
    """Every step's plan. A condition ``step_applies: X`` reads whether step X applies, so the
    steps that name no other step are planned first (the loader refuses a step named by
    ``step_applies`` that names another itself)."""
    first = {s.id: plan_step(s, key_dates, facts) for s in definition.steps.values()
             if not s.steps_named}
    facts = replace(facts, applicable_steps=frozenset(
        step_id for step_id, plan in first.items() if plan.not_applicable is None))
    return {s.id: first[s.id] if s.id in first else plan_step(s, key_dates, facts)
            for s in definition.steps.values()}


@dataclass(frozen=True)
class StepChange:
    step_id: str
    title: str
    old_due: date | None
    new_due: date | None
    status: str


def refresh_steps(session: Session, transfer: Transfer,
                  definition: WorkflowDefinition | None = None,
                  as_of: date | None = None) -> list[StepChange]:
    """Bring every step instance in line with the workflow, the key dates and the facts as
    they stand on ``as_of`` (today by default).

    Done steps keep their completion; their deadline is still recomputed, because whether the
    ELI was given in time is judged against the date the transfer actually happens.
    """
    definition = definition or definition_of(transfer)
    key_dates = key_dates_of(session, transfer)
    existing = steps_of(session, transfer)
    plans = plan_steps(definition, key_dates, _facts(session, transfer, as_of))
    changes = []
    assert transfer.id is not None  # saved: it has key dates
    for step in definition.steps.values():
        plan = plans[step.id]
        instance = existing.get(step.id)
        if instance is None:
            instance = StepInstance(transfer_id=transfer.id, step_id=step.id, title=step.title,
                                    legal_basis="")
        old_due = instance.due_date
        instance.title = plan.rule.title if plan.rule and plan.rule.title else step.title
        instance.owed_by = step.owed_by
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
