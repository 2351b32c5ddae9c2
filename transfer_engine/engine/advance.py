"""Advancing a transfer: fire a trigger through its guards.

One database transaction holding the transfer's lock: guards, state change, step updates and
the audit entry are written together or not at all. ``transitions`` drives the ``state`` column
through one machine per workflow version; no trigger methods are bound onto the row (pydantic
would refuse them), events are fired as ``machine.events[name].trigger(row)``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session
from transitions import Machine

from transfer_engine.dates.clock import utcnow
from transfer_engine.domain import StepStatus
from transfer_engine.engine.children import ChildrenReport, apply_to_children
from transfer_engine.engine.evidence import record_completion
from transfer_engine.engine.limits import NOTE, OVERRIDE_REASON, text_problems
from transfer_engine.engine.owed_letters import record_pending
from transfer_engine.errors import (
    ConflictError,
    GuardFailure,
    GuardKind,
    GuardRefusedError,
    InvalidTriggerError,
    TransitionError,
    ValidationError,
)
from transfer_engine.rules.guards import GuardContext, evaluate
from transfer_engine.rules.happened import (
    already_done,
    future_problems,
    not_yet,
    prerequisites,
    too_early,
)
from transfer_engine.store.database import write_connection
from transfer_engine.store.messages import PendingLetter
from transfer_engine.store.queries import definition_of, get_transfer, steps_of
from transfer_engine.store.transfers import AuditEntry, StepInstance, Transfer
from transfer_engine.workflow.definition import Trigger, WorkflowDefinition

# ---------------------------------------------------------------------------------------------
# Advancing


# One machine per definition, by the SHA-256 of its content: a transfer still on an older
# version of its workflow gets the machine of that version.
_MACHINES: dict[str, Machine] = {}


def _machine(definition: WorkflowDefinition) -> Machine:
    machine = _MACHINES.get(definition.sha256)
    if machine is None:
        machine = _MACHINES[definition.sha256] = _new_machine(definition)
    return machine


def _new_machine(definition: WorkflowDefinition) -> Machine:
    transitions = []
    for trigger in definition.triggers.values():
        for source in trigger.sources:
            transitions.append({"trigger": trigger.name, "source": source, "dest": trigger.dest})
    return Machine(model=None, states=list(definition.states), transitions=transitions,
                   initial=definition.initial, auto_transitions=False,
                   model_attribute="state", send_event=True)


@dataclass
class AdvanceResult:
    ref: str
    trigger: str
    from_state: str
    to_state: str
    version: int
    completed_steps: list[str]
    overridden: list[GuardFailure] = field(default_factory=list)
    letters: list[str] = field(default_factory=list)  # owed: issue with state_letters
    transfer_id: int = 0
    occurred_on: date | None = None  # the day it happened, as stated (default today)
    # Steps recorded but not done: their evidence is not all there yet (engine.evidence).
    awaiting: dict[str, str] = field(default_factory=dict)
    # A programme's trigger that cascades: what it did to each child transfer (engine.children).
    cascade: ChildrenReport | None = None


def _check_version(transfer: Any, expected: int | None) -> None:
    if expected is not None and transfer.version != expected:
        raise ConflictError(
            transfer.ref,
            f"{transfer.ref} was changed by someone else (now in state {transfer.state!r}, "
            f"version {transfer.version}; you had version {expected}). Nothing was written: "
            "look at the transfer as it is now and try again if still needed."
        )


def _bump(session: Session, transfer: Transfer, expected: int) -> None:
    """Write the row only if nobody else did since ``expected`` (belt and braces with the lock)."""
    _bump_row(session.connection(), transfer, expected, transfer.state)
    # Tell the ORM this is what the row now holds, so it does not write it again.
    set_committed_value(transfer, "version", expected + 1)


def _bump_row(connection: Connection, transfer: Any, expected: int, new_state: str) -> None:
    result = connection.execute(_BUMP, {
        "tid": transfer.id, "expected": expected, "new_version": expected + 1, "now": utcnow(),
        "new_state": new_state})
    if result.rowcount != 1:
        raise ConflictError(transfer.ref,
                            f"{transfer.ref} was changed by someone else; nothing was written")


def guard_context(session: Session, transfer: Any, definition: WorkflowDefinition, *,
                  today: date, note: str | None = None,
                  completing: frozenset[str] = frozenset(),
                  steps: Mapping[str, Any] | None = None,
                  occurred_on: date | None = None) -> GuardContext:
    return GuardContext(session.connection(), transfer, definition,
                        steps if steps is not None else steps_of(session, transfer),
                        today=today, note=note, completing=completing, occurred_on=occurred_on)


def _failures(ctx: GuardContext, trigger: Trigger) -> list[GuardFailure]:
    # A trigger with nothing left to do is refused whatever its guards say: firing it again
    # would record nothing new (see rules.happened).
    done = already_done(ctx, trigger)
    if done is not None:
        return [done]
    found = (evaluate(ctx, g.name, g.argument, overridable=g.overridable) for g in trigger.guards)
    failures = [f for f in found if f is not None]
    # A step it completes that cannot happen before a key date still to come: unless a
    # date_reached guard already says so of that date.
    waiting = {f.key_date for f in failures if f.kind == GuardKind.date_not_reached}
    return failures + [f for f in not_yet(ctx, trigger.completes) if f.key_date not in waiting]


def check_guards(session: Session, transfer: Transfer, trigger_name: str, *, today: date,
                 note: str | None = None,
                 steps: Mapping[str, Any] | None = None) -> list[GuardFailure]:
    """The guard failures firing ``trigger_name`` now would meet (empty: it would pass).

    Pass ``steps`` (from :func:`steps_of`) when checking several triggers of one transfer, so
    that they are read once rather than once per trigger.
    """
    definition = definition_of(transfer, session)
    trigger = definition.triggers[trigger_name]
    ctx = guard_context(session, transfer, definition, today=today, note=note,
                        completing=frozenset(trigger.completes), steps=steps)
    return _failures(ctx, trigger)


def valid_triggers(transfer: Any) -> list[str]:
    return [t.name for t in definition_of(transfer).triggers_from(transfer.state)]


# The hot path reads and writes through SQLAlchemy Core: one query loads the transfer with its
# steps, then at most three statements write. ORM objects would cost several times more per
# committed transition (see bench/engine_bench.py).
_TRANSFER = Transfer.__table__  # type: ignore[attr-defined]
_STEP = StepInstance.__table__  # type: ignore[attr-defined]
_AUDIT = AuditEntry.__table__  # type: ignore[attr-defined]
# Labelled so that a row serves as the transfer (``transfer_id``...) and as a step (``id``,
# ``step_id``, ``status``...: what guards read, see guards.StepView).
_LOAD = (
    select(_TRANSFER.c.id.label("transfer_id"), _TRANSFER.c.ref, _TRANSFER.c.state,
           _TRANSFER.c.version, _TRANSFER.c.regime, _TRANSFER.c.regime_reason,
           _TRANSFER.c.workflow_id, _TRANSFER.c.workflow_version, _STEP.c.id,
           _STEP.c.step_id, _STEP.c.status,
           _STEP.c.due_date, _STEP.c.done_on, _STEP.c.done_by, _STEP.c.legal_basis)
    .select_from(_TRANSFER.outerjoin(_STEP, _STEP.c.transfer_id == _TRANSFER.c.id))
    .where(_TRANSFER.c.ref == bindparam("ref"))
)
# PostgreSQL: the transfer's row lock, taken before _LOAD reads (see _load_for_update).
_LOCK = select(_TRANSFER.c.id).where(_TRANSFER.c.ref == bindparam("ref")).with_for_update()
# Statements built once: building a statement costs more than running it on SQLite.
_BUMP = (
    update(_TRANSFER)
    .where(_TRANSFER.c.id == bindparam("tid"), _TRANSFER.c.version == bindparam("expected"))
    .values(version=bindparam("new_version"), updated_at=bindparam("now"),
            state=bindparam("new_state"))
)
_AUDIT_INSERT = insert(_AUDIT)
_PENDING = PendingLetter.__table__  # type: ignore[attr-defined]
_OWED_ELSE = (
    select(_PENDING.c.id, _PENDING.c.letter)
    .where(_PENDING.c.transfer_id == bindparam("tid"),
           _PENDING.c.letter.not_in(bindparam("keep", expanding=True)))
)
_DROP_OWED = delete(_PENDING).where(_PENDING.c.id.in_(bindparam("ids", expanding=True)))


def _drop_owed(connection: Connection, transfer_id: int, keep: list[str]) -> list[str]:
    """Delete the letters owed for this transfer other than ``keep``; their names, one per row."""
    rows = connection.execute(_OWED_ELSE, {"tid": transfer_id, "keep": keep}).all()
    if rows:
        connection.execute(_DROP_OWED, {"ids": [r.id for r in rows]})
    return [r.letter for r in rows]


@dataclass
class TransferRow:
    """The columns of a transfer the engine needs to fire a trigger; ``transitions`` sets
    ``state`` on it like on any model."""

    id: int
    ref: str
    state: str
    version: int
    regime: Any
    regime_reason: str
    workflow_id: str
    workflow_version: int


def _load_for_update(connection: Connection, ref: str) -> tuple[TransferRow, dict[str, Any]]:
    """The transfer, locked, and its steps (rows with the attributes guards read)."""
    if connection.dialect.name == "postgresql":
        # Under READ COMMITTED a locking read that waited for another transaction re-reads
        # only the rows it locks: steps joined to the transfer would be read as they were
        # before that transaction committed (a step it completed would still look open, and
        # the same trigger would be recorded twice). So the lock is taken first, and the steps
        # read by a statement of their own, which sees all that was committed before it.
        # (SQLite's writers hold the database's write lock from BEGIN IMMEDIATE.)
        connection.execute(_LOCK, {"ref": ref})
    rows = connection.execute(_LOAD, {"ref": ref}).all()
    if not rows:
        with Session(bind=connection) as session:
            get_transfer(session, ref)  # raises NotFoundError naming the known transfers
    first = rows[0]
    transfer = TransferRow(first.transfer_id, first.ref, first.state, first.version,
                           first.regime, first.regime_reason, first.workflow_id,
                           first.workflow_version)
    return transfer, {r.step_id: r for r in rows if r.id is not None}


def advance(ref: str, trigger_name: str, *, actor: str, note: str | None = None,
            override_reason: str | None = None, expected_version: int | None = None,
            today: date | None = None, occurred_on: date | None = None,
            engine: Engine | None = None) -> AdvanceResult:
    """Fire ``trigger_name`` on transfer ``ref`` in one transaction.

    ``occurred_on`` is the day it happened (default ``today``, the day deadlines are judged
    against): the steps it completes are done on that day, and judged on it. It is refused in
    the future, before a step it completes could happen, or before the steps it needs were
    done (see :mod:`transfer_engine.rules.happened`).

    ``expected_version`` is the version the user was looking at (a web form carries it, the CLI
    takes ``--expect-version``): if someone else changed the transfer since, nothing is written
    and :class:`ConflictError` says so. Without it, concurrent triggers are serialised by the
    transfer's lock and each is judged against the state the previous one left.

    The letters of the state entered are owed, not issued: issue them after this returns with
    :func:`transfer_engine.letters.owed.issue_pending` (the scheduler does it otherwise).
    """
    today = today or date.today()
    occurred_on = occurred_on or today
    problems = text_problems((NOTE, note)) + future_problems(occurred_on, today)
    if override_reason is not None:
        problems += text_problems((OVERRIDE_REASON, override_reason))
    if problems:
        raise ValidationError(field_problems=problems)
    with write_connection(engine) as connection:
        transfer, steps = _load_for_update(connection, ref)
        _check_version(transfer, expected_version)
        definition = definition_of(transfer, connection)
        trigger = definition.triggers.get(trigger_name)
        if trigger is None or transfer.state not in trigger.sources:
            raise InvalidTriggerError(ref, trigger_name, transfer.state,
                                      [t.name for t in definition.triggers_from(transfer.state)])
        ctx = GuardContext(connection, transfer, definition, steps, today=today, note=note,
                           completing=frozenset(trigger.completes), occurred_on=occurred_on)
        failures = _failures(ctx, trigger)
        completed = [s for s in trigger.completes
                     if s in steps and steps[s].status == StepStatus.open]
        if not failures or failures[0].kind != GuardKind.already_done:
            problems = too_early(ctx, completed, prerequisites(trigger))
            if problems:
                raise ValidationError(field_problems=problems)
        if failures and (override_reason is None or not all(f.overridable for f in failures)):
            raise GuardRefusedError(ref, trigger_name, failures)
        from_state, version = transfer.state, transfer.version
        machine = _machine(definition)
        if not machine.events[trigger_name].trigger(transfer):
            raise TransitionError(f"{ref}: {trigger_name!r} did not fire")  # pragma: no cover
        to_state = transfer.state
        now = utcnow()
        # Done only with its evidence: a step whose evidence is not all there yet (the reg 13
        # letters, issued after this commit) stays open, recorded, until it is.
        completed, awaiting = record_completion(
            connection, transfer.id, definition, steps, completed, actor=actor, note=note,
            occurred_on=occurred_on, now=now, facts=ctx.evidence_read)
        _bump_row(connection, transfer, version, to_state)
        # The state's letters are owed from this commit and issued after it (see
        # transfer_engine.letters.owed): rendering them here would hold the lock for seconds.
        letters = list(definition.states[to_state].letters) if to_state != from_state else []
        letters += [name for name in trigger.letters if name not in letters]  # e.g. the ELI
        # An end state (cancelled, closed) owes nothing more: the letters earlier states left
        # owed and not yet issued are dropped with the state change, whoever fired it.
        dropped = (_drop_owed(connection, transfer.id, letters)
                   if definition.states[to_state].final else [])
        record_pending(connection, transfer_id=transfer.id, transfer_ref=transfer.ref,
                       letters=letters, day=today, actor=actor)
        entries: list[dict[str, Any]] = []
        if failures:
            entries.append({"action": "override", "data": {
                "trigger": trigger_name, "reason": override_reason,
                "overridden": [str(f) for f in failures]}})
        entries.append({"action": "advance", "data": {
            "trigger": trigger_name, "note": note, "completed_steps": completed,
            "awaiting_evidence": awaiting,
            "letters_due": letters, "as_of": today.isoformat(),
            # The day it happened, as stated; the entry's ``at`` is when it was recorded.
            "occurred_on": occurred_on.isoformat()}})
        if dropped:
            entries.append({"action": "owed-letters-dropped", "data": {
                "letters": sorted(set(dropped)), "count": len(dropped),
                "reason": f"the transfer entered the end state {to_state!r}"}})
        connection.execute(_AUDIT_INSERT, [
            {"transfer_id": transfer.id, "actor": actor, "at": now,
             "from_state": from_state, "to_state": to_state, **entry} for entry in entries])
        result = AdvanceResult(ref, trigger_name, from_state, to_state, version + 1,
                               completed, failures, letters, transfer.id, occurred_on,
                               awaiting)
    if trigger.cascade is not None:
        # Committed: a programme's decision that is each child's too (the workflow's
        # ``cascade``) is now fired on each child, in a transaction of its own (engine.children).
        child_trigger = trigger.cascade
        result.cascade = apply_to_children(
            ref, transfer.id, child_trigger, lambda child: advance(
                child, child_trigger, actor=actor, note=note, today=today,
                occurred_on=occurred_on, engine=engine),
            actor=actor, cause=trigger_name, engine=engine)
    return result
