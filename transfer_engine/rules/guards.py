"""The registry of guard conditions a workflow may name on a trigger.

A workflow says *which* conditions hold a trigger back (``steps_done: [eli]``); this module says
what each condition means, why it fails and what would satisfy it. Every guard returns ``None``
when satisfied, or a :class:`~transfer_engine.errors.GuardFailure` that HR can act on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import bindparam, func
from sqlalchemy.engine import Connection
from sqlmodel import select

from transfer_engine.domain import Regime, StepStatus
from transfer_engine.errors import GuardFailure
from transfer_engine.store.people import Employee, Representative
from transfer_engine.store.transfers import KeyDate, StepInstance, Transfer
from transfer_engine.workflow.guard_names import GUARDS

if TYPE_CHECKING:
    from transfer_engine.workflow.definition import WorkflowDefinition


class StepView(Protocol):
    """What guards read of a step: a StepInstance row, or the lighter row the engine loads."""

    step_id: str
    status: StepStatus
    due_date: date | None
    done_on: date | None
    legal_basis: str


class TransferView(Protocol):
    id: int | None
    ref: str
    regime: Regime
    regime_reason: str


# Built once: a statement costs more to build than to run on SQLite, and guards run on every
# committed transition.
_KEY_DATES = select(KeyDate.name, KeyDate.value).where(
    KeyDate.transfer_id == bindparam("transfer_id"))
_IN_SCOPE = select(func.count()).select_from(Employee).where(
    Employee.transfer_id == bindparam("transfer_id"), Employee.in_scope.is_(True))
_REPRESENTATIVES = select(func.count()).select_from(Representative).where(
    Representative.transfer_id == bindparam("transfer_id"))


class GuardContext:
    """What a guard may look at: the transfer as it stands, inside the trigger's transaction.

    Counts and key dates are read only when a guard asks for them: most triggers need none,
    and every query saved is time saved on each committed transition.
    """

    def __init__(self, connection: Connection, transfer: TransferView,
                 definition: WorkflowDefinition, steps: Mapping[str, StepView], today: date,
                 note: str | None = None, completing: frozenset[str] = frozenset()) -> None:
        self.connection = connection
        self.transfer = transfer
        self.definition = definition
        self.steps = steps
        self.today = today
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

    def step_title(self, step_id: str) -> str:
        step = self.definition.steps.get(step_id)
        return f"{step_id} ({step.title})" if step else step_id


# (kind of argument, checker of references in the workflow, the guard itself)
GuardFunction = Callable[[GuardContext, Any], "tuple[str, str, str] | None"]


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


def _names(steps: Iterable[str]) -> str:
    return ", ".join(steps)


@guard("key_date_set")
def _key_date_set(ctx: GuardContext, key: str) -> tuple[str, str, str] | None:
    if key in ctx.key_dates:
        return None
    label = ctx.definition.key_dates[key].label
    return (
        f"the {label.lower()} ({key}) is not recorded",
        f"record it with `transfer-engine reschedule {ctx.transfer.ref} {key} YYYY-MM-DD`",
        "",
    )


@guard("date_reached")
def _date_reached(ctx: GuardContext, key: str) -> tuple[str, str, str] | None:
    when = ctx.key_dates.get(key)
    if when is None:
        return (f"the {key} date is not recorded", f"record the {key} date first", "")
    if ctx.today >= when:
        return None
    return (
        f"the {key} date is {when.isoformat()}, {(when - ctx.today).days} day(s) from today",
        f"wait until {when.isoformat()}, or reschedule the {key} date if it has moved",
        "",
    )


def _open_steps(ctx: GuardContext, step_ids: Iterable[str]) -> list[str]:
    missing = []
    for step_id in step_ids:
        step = ctx.steps.get(step_id)
        if step is None or step.status == StepStatus.not_applicable:
            continue
        if step.status != StepStatus.done and step_id not in ctx.completing:
            missing.append(step_id)
    return missing


def _basis(ctx: GuardContext, step_ids: Iterable[str]) -> str:
    return "; ".join(dict.fromkeys(ctx.steps[s].legal_basis for s in step_ids if s in ctx.steps))


@guard("steps_done")
def _steps_done(ctx: GuardContext, step_ids: list[str]) -> tuple[str, str, str] | None:
    missing = _open_steps(ctx, step_ids)
    if not missing:
        return None
    titles = "; ".join(ctx.step_title(s) for s in missing)
    return (
        f"step(s) not done: {titles}",
        f"complete {_names(missing)} (with the trigger that completes it, or "
        f"`transfer-engine done {ctx.transfer.ref} STEP --evidence ...`)",
        _basis(ctx, missing),
    )


@guard("steps_due_done")
def _steps_due_done(ctx: GuardContext, key: str) -> tuple[str, str, str] | None:
    cutoff = ctx.key_dates.get(key)
    if cutoff is None:
        return (f"the {key} date is not recorded", f"record the {key} date first", "")
    due = [s.step_id for s in ctx.steps.values() if s.due_date and s.due_date <= cutoff]
    missing = _open_steps(ctx, due)
    if not missing:
        return None
    titles = "; ".join(ctx.step_title(s) for s in missing)
    return (
        f"step(s) due by the {key} date are not done: {titles}",
        f"complete {_names(missing)} first",
        _basis(ctx, missing),
    )


@guard("on_time")
def _on_time(ctx: GuardContext, step_id: str) -> tuple[str, str, str] | None:
    step = ctx.steps.get(step_id)
    if step is None or step.status == StepStatus.not_applicable or step.due_date is None:
        return None
    if step.status == StepStatus.done:
        done_on = step.done_on
    elif step_id in ctx.completing:
        done_on = ctx.today
    else:
        done_on = None
    if done_on is not None and done_on <= step.due_date:
        return None
    rule = ctx.definition.steps[step_id].rule_for(ctx.key_dates.get("transfer"))
    when = f"done on {done_on.isoformat()}" if done_on else "not done"
    return (
        f"{ctx.step_title(step_id)} was due by {step.due_date.isoformat()} "
        f"({rule.due.text if rule else 'per the workflow'}) and is {when}",
        "give the special circumstances that made it impracticable with --override-reason",
        step.legal_basis,
    )


@guard("representatives_recorded")
def _representatives_recorded(ctx: GuardContext, _: None) -> tuple[str, str, str] | None:
    direct = ctx.steps.get("inform_employees_directly")
    if ctx.representatives or (direct is not None and direct.status != StepStatus.not_applicable):
        return None
    return (
        "no trade union or elected representative is recorded for the affected employees",
        "add the recognised union's representative, or invite an election (reg 14)",
        "TUPE reg 13(3), reg 14",
    )


@guard("employees_recorded")
def _employees_recorded(ctx: GuardContext, _: None) -> tuple[str, str, str] | None:
    if ctx.employees_in_scope:
        return None
    return (
        "no employee in scope is recorded",
        f"import the staff list: `transfer-engine import-employees {ctx.transfer.ref} FILE.csv`",
        "TUPE reg 11(2)",
    )


@guard("regime_is")
def _regime_is(ctx: GuardContext, regimes: list[str]) -> tuple[str, str, str] | None:
    if ctx.transfer.regime.value in regimes:
        return None
    return (
        f"the regime is {ctx.transfer.regime.value} ({ctx.transfer.regime_reason}), "
        f"not {' or '.join(regimes)}",
        "use the trigger for this regime, or correct the regime if it was recorded wrongly",
        "TUPE reg 3",
    )


@guard("note_given")
def _note_given(ctx: GuardContext, _: None) -> tuple[str, str, str] | None:
    if ctx.note and ctx.note.strip():
        return None
    return ("this trigger needs a reason", "give one with --note", "")


@guard("children_in")
def _children_in(ctx: GuardContext, states: list[str]) -> tuple[str, str, str] | None:
    children = ctx.connection.execute(
        select(Transfer.ref, Transfer.state).where(Transfer.parent_id == ctx.transfer.id)
    ).all()
    waiting = [f"{ref} ({state})" for ref, state in children if state not in states]
    if not waiting:
        return None
    return (
        f"{len(waiting)} child transfer(s) not yet {' or '.join(states)}: {', '.join(waiting)}",
        "advance each child transfer first",
        "",
    )


@guard("children_steps_done")
def _children_steps_done(ctx: GuardContext, step_ids: list[str]) -> tuple[str, str, str] | None:
    rows = ctx.connection.execute(
        select(Transfer.ref, StepInstance.step_id)
        .join(StepInstance, StepInstance.transfer_id == Transfer.id)
        .where(Transfer.parent_id == ctx.transfer.id, StepInstance.step_id.in_(step_ids),
               StepInstance.status == StepStatus.open)
    ).all()
    if not rows:
        return None
    waiting = ", ".join(f"{ref}: {step}" for ref, step in rows)
    return (f"not done in {len(rows)} child transfer(s): {waiting}",
            "complete the step in each child transfer first", "")


def evaluate(
    ctx: GuardContext, name: str, argument: Any, *, overridable: bool
) -> GuardFailure | None:
    """Run one guard; a failure says what failed, why, and what would satisfy it."""
    outcome = REGISTRY[name].check(ctx, argument)
    if outcome is None:
        return None
    reason, remedy, basis = outcome
    return GuardFailure(guard=name, reason=reason, remedy=remedy, overridable=overridable,
                        legal_basis=basis)


_UNIMPLEMENTED = set(GUARDS) - set(REGISTRY)
if _UNIMPLEMENTED:  # a name added to the vocabulary without its check
    raise ImportError(f"guards named in workflow files but not implemented: {_UNIMPLEMENTED}")
