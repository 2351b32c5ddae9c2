"""The registry of guard conditions a workflow may name on a trigger.

A workflow says *which* conditions hold a trigger back (``steps_done: [eli]``); this module says
what each condition means, why it fails and what would satisfy it. Every guard returns ``None``
when satisfied, or a :class:`~transfer_engine.errors.GuardFailure` that HR can act on: its kind,
the steps, key date or child transfers concerned, the law, and the action that would satisfy
it, as data. The front ends word it for their readers (the CLI as commands, the web as buttons).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date
from functools import cached_property
from typing import Any, Protocol

from sqlalchemy import bindparam, func
from sqlalchemy.engine import Connection
from sqlmodel import col, select

from transfer_engine.domain import Regime, StepStatus
from transfer_engine.errors import (
    Action,
    ChildRef,
    GuardFailure,
    GuardKind,
    StepRef,
    TriggerRef,
)
from transfer_engine.rules.evidence import EvidenceFacts, checkable, judge, load_steps
from transfer_engine.store.people import Employee, Representative
from transfer_engine.store.transfers import KeyDate, StepInstance, Transfer
from transfer_engine.workflow.definition import WorkflowDefinition
from transfer_engine.workflow.guard_names import GUARDS


class StepView(Protocol):
    """What guards read of a step: a StepInstance row, or the lighter row the engine loads."""

    step_id: str
    status: StepStatus
    due_date: date | None
    done_on: date | None
    done_by: str | None
    legal_basis: str


class TransferView(Protocol):
    # Read-only, so that both a Transfer (no id until saved) and the engine's row fit.
    @property
    def id(self) -> int | None: ...
    ref: str
    state: str
    regime: Regime
    regime_reason: str


# Built once: a statement costs more to build than to run on SQLite, and guards run on every
# committed transition.
_KEY_DATES = select(col(KeyDate.name), col(KeyDate.value)).where(
    KeyDate.transfer_id == bindparam("transfer_id"))
_IN_SCOPE = select(func.count()).select_from(Employee).where(
    Employee.transfer_id == bindparam("transfer_id"), col(Employee.in_scope).is_(True))
_REPRESENTATIVES = select(func.count()).select_from(Representative).where(
    Representative.transfer_id == bindparam("transfer_id"))


class GuardContext:
    """What a guard may look at: the transfer as it stands, inside the trigger's transaction.

    Counts and key dates are read only when a guard asks for them: most triggers need none,
    and every query saved is time saved on each committed transition.

    ``today`` is the day the transfer is looked at (a demo's day); ``occurred_on`` the day the
    action being recorded happened (today unless the person says otherwise). Whether something
    was on time, or a key date had come, is judged on the day it happened: a decision minuted on
    7 September and recorded on the 20th was taken on the 7th.
    """

    def __init__(self, connection: Connection, transfer: TransferView,
                 definition: WorkflowDefinition, steps: Mapping[str, StepView], today: date,
                 note: str | None = None, completing: frozenset[str] = frozenset(),
                 occurred_on: date | None = None) -> None:
        self.connection = connection
        self.transfer = transfer
        self.definition = definition
        self.steps = steps
        self.today = today
        self.occurred_on = occurred_on or today
        self.note = note
        self.completing = completing

    @cached_property
    def key_dates(self) -> dict[str, date]:
        rows = self.connection.execute(_KEY_DATES, {"transfer_id": self.transfer.id})
        return {name: value for name, value in rows}

    @cached_property
    def employees_in_scope(self) -> int:
        return self.connection.execute(_IN_SCOPE, {"transfer_id": self.transfer.id}).scalar_one()

    @cached_property
    def representatives(self) -> int:
        return self.connection.execute(_REPRESENTATIVES,
                                       {"transfer_id": self.transfer.id}).scalar_one()

    @cached_property
    def evidence(self) -> EvidenceFacts:
        """The records step evidence is judged on (read only if a guard needs them). The steps
        are read again with every column: most triggers need no evidence, so the engine's
        one read of the transfer carries only what guards read of a step."""
        assert self.transfer.id is not None
        return EvidenceFacts(self.connection, self.transfer.id,
                             load_steps(self.connection, self.transfer.id))

    @property
    def evidence_read(self) -> EvidenceFacts | None:
        """:attr:`evidence` if a guard has read it (so that recording the completion in the
        same transaction judges on the same records without reading them again), else None."""
        found = self.__dict__.get("evidence")
        return found if isinstance(found, EvidenceFacts) else None

    def lacks_evidence(self, step_id: str) -> str:
        """What a step recorded as done lacks of its evidence now (empty: nothing, or it was
        overridden with a written reason): guards read evidence, not only a done flag."""
        spec = self.definition.steps.get(step_id)
        row = self.evidence.steps.get(step_id)
        if spec is None or row is None or not checkable(spec) or row.override_reason:
            return ""
        judgement = judge(self.evidence, spec, row)
        return "" if judgement.holds else judgement.missing

    def step_ref(self, step_id: str, missing: str = "") -> StepRef:
        """The step as a guard failure names it: title, deadline and what completes it."""
        spec = self.definition.steps.get(step_id)
        step = self.steps.get(step_id)
        rule = spec.rule_for(self.key_dates.get("transfer")) if spec else None
        return StepRef(
            id=step_id, title=spec.title if spec else "",
            due=step.due_date if step else None, done_on=step.done_on if step else None,
            due_rule=rule.due.text if rule else "",
            completed_by=tuple(TriggerRef(t.name, t.label)
                               for t in self.definition.triggers_completing(step_id)),
            missing=missing)


# The guard itself: None when it holds, else a failure whose guard name and overridability
# evaluate() fills in from the workflow.
GuardFunction = Callable[[GuardContext, Any], GuardFailure | None]


@dataclass(frozen=True)
class GuardSpec:
    """A guard the engine knows: its signature (from the workflow vocabulary) and its check."""

    name: str
    argument: str
    summary: str
    check: GuardFunction


REGISTRY: dict[str, GuardSpec] = {}


def guard(name: str) -> Callable[[GuardFunction], GuardFunction]:
    """Implement the guard ``name`` of :data:`GUARDS`; the check returns None when it holds."""
    signature = GUARDS[name]

    def register(function: GuardFunction) -> GuardFunction:
        REGISTRY[name] = GuardSpec(name, signature.argument, signature.summary, function)
        return function

    return register


def _failure(kind: GuardKind, satisfied_by: Action, **data: Any) -> GuardFailure:
    return GuardFailure(guard="", kind=kind, satisfied_by=satisfied_by, **data)


def _key_date_missing(ctx: GuardContext, key: str) -> GuardFailure:
    spec = ctx.definition.key_dates.get(key)
    return _failure(GuardKind.key_date_missing, Action.record_key_date, key_date=key,
                    key_date_label=spec.label if spec else key)


@guard("key_date_set")
def _key_date_set(ctx: GuardContext, key: str) -> GuardFailure | None:
    return None if key in ctx.key_dates else _key_date_missing(ctx, key)


@guard("date_reached")
def _date_reached(ctx: GuardContext, key: str) -> GuardFailure | None:
    when = ctx.key_dates.get(key)
    if when is None:
        return _key_date_missing(ctx, key)
    if ctx.occurred_on >= when:
        return None
    spec = ctx.definition.key_dates.get(key)
    return _failure(GuardKind.date_not_reached, Action.wait_for_date, key_date=key,
                    key_date_label=spec.label if spec else key, key_date_value=when,
                    days_to_go=(when - ctx.occurred_on).days,
                    judged_on=ctx.occurred_on if ctx.occurred_on != ctx.today else None)


def _open_steps(ctx: GuardContext, step_ids: Iterable[str]) -> dict[str, str]:
    """The steps not done, each with what its evidence lacks when that is known: one still
    open, or one recorded as done whose evidence no longer holds."""
    missing: dict[str, str] = {}
    for step_id in step_ids:
        step = ctx.steps.get(step_id)
        if step is None or step.status == StepStatus.not_applicable:
            continue
        if step.status != StepStatus.done and step_id not in ctx.completing:
            spec = ctx.definition.steps.get(step_id)
            row = ctx.evidence.steps.get(step_id) if spec and checkable(spec) else None
            missing[step_id] = (row.evidence_missing or "") if row is not None else ""
        elif step.status == StepStatus.done:
            lacking = ctx.lacks_evidence(step_id)
            if lacking:
                missing[step_id] = lacking
    return missing


def _basis(ctx: GuardContext, step_ids: Iterable[str]) -> str:
    return "; ".join(dict.fromkeys(ctx.steps[s].legal_basis for s in step_ids if s in ctx.steps))


def _steps_open(ctx: GuardContext, missing: Mapping[str, str]) -> GuardFailure:
    return _failure(GuardKind.steps_open, Action.complete_steps,
                    steps=tuple(ctx.step_ref(s, why) for s, why in missing.items()),
                    legal_basis=_basis(ctx, missing))


@guard("steps_done")
def _steps_done(ctx: GuardContext, step_ids: list[str]) -> GuardFailure | None:
    missing = _open_steps(ctx, step_ids)
    return _steps_open(ctx, missing) if missing else None


@guard("steps_due_done")
def _steps_due_done(ctx: GuardContext, key: str) -> GuardFailure | None:
    cutoff = ctx.key_dates.get(key)
    if cutoff is None:
        return _key_date_missing(ctx, key)
    due = [s.step_id for s in ctx.steps.values() if s.due_date and s.due_date <= cutoff]
    missing = _open_steps(ctx, due)
    return _steps_open(ctx, missing) if missing else None


@guard("on_time")
def _on_time(ctx: GuardContext, step_id: str) -> GuardFailure | None:
    step = ctx.steps.get(step_id)
    if step is None or step.status == StepStatus.not_applicable or step.due_date is None:
        return None
    if step.status == StepStatus.done:
        done_on = step.done_on
    elif step_id in ctx.completing:
        done_on = ctx.occurred_on
    else:
        done_on = None
    if done_on is not None and done_on <= step.due_date:
        return None
    late = replace(ctx.step_ref(step_id), done_on=done_on)
    # Late is late: only the special circumstances that made it impracticable excuse it.
    return _failure(GuardKind.step_late, Action.give_special_circumstances, steps=(late,),
                    legal_basis=step.legal_basis)


@guard("representatives_recorded")
def _representatives_recorded(ctx: GuardContext, _: None) -> GuardFailure | None:
    # Without representatives, the employees are informed directly: under reg 13A (no election
    # invited, thresholds met) or reg 13(11) (invited, none elected in a reasonable time). That
    # only lets the trigger fire: informing is done when the information reached each of them
    # (rules.evidence), never because this guard passed.
    if ctx.representatives or ctx.evidence.direct_path:
        return None
    return _failure(GuardKind.no_representatives, Action.record_representatives,
                    legal_basis="TUPE reg 13(3), reg 14")


@guard("representations_answered")
def _representations_answered(ctx: GuardContext, _: None) -> GuardFailure | None:
    # Reg 13(7): the consultation is not over while a representation waits for the reply.
    waiting = ctx.evidence.unanswered
    if not waiting:
        return None
    return _failure(GuardKind.representations_unanswered, Action.reply_to_representations,
                    unanswered=len(waiting), reply_due=min(due for _, due in waiting),
                    legal_basis="TUPE reg 13(7)")


@guard("employees_recorded")
def _employees_recorded(ctx: GuardContext, _: None) -> GuardFailure | None:
    if ctx.employees_in_scope:
        return None
    return _failure(GuardKind.no_employees, Action.import_employees,
                    legal_basis="TUPE reg 11(2)")


@guard("regime_is")
def _regime_is(ctx: GuardContext, regimes: list[str]) -> GuardFailure | None:
    if ctx.transfer.regime.value in regimes:
        return None
    return _failure(GuardKind.wrong_regime, Action.use_another_trigger,
                    regime=ctx.transfer.regime.value, regime_reason=ctx.transfer.regime_reason,
                    regimes=tuple(regimes), legal_basis="TUPE reg 3")


@guard("note_given")
def _note_given(ctx: GuardContext, _: None) -> GuardFailure | None:
    if ctx.note and ctx.note.strip():
        return None
    return _failure(GuardKind.note_missing, Action.give_note)


@guard("children_in")
def _children_in(ctx: GuardContext, states: list[str]) -> GuardFailure | None:
    children = ctx.connection.execute(
        select(Transfer.ref, Transfer.state).where(Transfer.parent_id == ctx.transfer.id)
        .order_by(Transfer.ref)
    ).all()
    waiting = tuple(ChildRef(ref, state) for ref, state in children if state not in states)
    if not waiting:
        return None
    return _failure(GuardKind.children_not_ready, Action.advance_children, children=waiting,
                    child_states=tuple(states))


@guard("children_steps_done")
def _children_steps_done(ctx: GuardContext, step_ids: list[str]) -> GuardFailure | None:
    rows = ctx.connection.execute(
        select(Transfer.ref, Transfer.state, StepInstance.step_id)
        .join(StepInstance, col(StepInstance.transfer_id) == Transfer.id)
        .where(Transfer.parent_id == ctx.transfer.id, col(StepInstance.step_id).in_(step_ids),
               StepInstance.status == StepStatus.open)
        .order_by(col(Transfer.ref), col(StepInstance.position))
    ).all()
    if not rows:
        return None
    open_steps: dict[tuple[str, str], list[str]] = {}
    for ref, state, step_id in rows:
        open_steps.setdefault((ref, state), []).append(step_id)
    return _failure(GuardKind.children_not_ready, Action.advance_children,
                    children=tuple(ChildRef(ref, state, tuple(steps))
                                   for (ref, state), steps in open_steps.items()))


def evaluate(
    ctx: GuardContext, name: str, argument: Any, *, overridable: bool
) -> GuardFailure | None:
    """Run one guard; a failure says what failed, why, and what would satisfy it."""
    failure = REGISTRY[name].check(ctx, argument)
    if failure is None:
        return None
    return replace(failure, guard=name, overridable=overridable)


_UNIMPLEMENTED = set(GUARDS) - set(REGISTRY)
if _UNIMPLEMENTED:  # a name added to the vocabulary without its check
    raise ImportError(f"guards named in workflow files but not implemented: {_UNIMPLEMENTED}")
