"""Running transfers: create, advance, complete steps, reschedule.

Each operation is one database transaction holding the transfer's lock: guards, state change,
step updates and the audit entry are written together or not at all. ``transitions`` drives the
``state`` column through one machine per workflow; no trigger methods are bound onto the SQLModel
row (pydantic would refuse them), events are fired as ``machine.events[name].trigger(row)``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any

import pydantic
from sqlalchemy import bindparam, func, insert, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, select
from transitions import Machine

from transfer_engine.db import write_connection, write_session
from transfer_engine.errors import (
    ConflictError,
    GuardFailure,
    GuardRefusedError,
    InvalidTriggerError,
    NotFoundError,
    TransitionError,
    ValidationError,
)
from transfer_engine.guards import GuardContext, evaluate
from transfer_engine.models import (
    AuditEntry,
    Employee,
    KeyDate,
    Organisation,
    Representative,
    StepInstance,
    StepStatus,
    Transfer,
    utcnow,
)
from transfer_engine.schemas import TransferCreate
from transfer_engine.state_letters import record_pending
from transfer_engine.workflow import Rule, Step, Trigger, WorkflowDefinition, library
from transfer_engine.working_days import last_working_day_on_or_before

# ---------------------------------------------------------------------------------------------
# Lookups


def get_transfer(session: Session, ref: str, *, lock: bool = False) -> Transfer:
    query = select(Transfer).where(Transfer.ref == ref)
    if lock:
        query = query.with_for_update()
    transfer = session.exec(query).first()
    if transfer is None:
        known = session.exec(select(Transfer.ref).order_by(Transfer.ref).limit(20)).all()
        hint = f" Known transfers: {', '.join(known)}." if known else (
            " There are none yet: run `transfer-engine demo` or `transfer-engine create`."
        )
        raise NotFoundError(f"no transfer {ref!r}.{hint}")
    return transfer


def get_organisation(session: Session, slug: str) -> Organisation:
    organisation = session.exec(select(Organisation).where(Organisation.slug == slug)).first()
    if organisation is None:
        raise NotFoundError(
            f"no organisation {slug!r}; add it with `transfer-engine organisations add`"
        )
    return organisation


def definition_of(transfer: Transfer) -> WorkflowDefinition:
    return library().get(transfer.workflow_id)


def key_dates_of(session: Session, transfer: Transfer) -> dict[str, date]:
    rows = session.exec(select(KeyDate).where(KeyDate.transfer_id == transfer.id)).all()
    return {row.name: row.value for row in rows}


def steps_of(session: Session, transfer: Transfer) -> dict[str, StepInstance]:
    rows = session.exec(
        select(StepInstance).where(StepInstance.transfer_id == transfer.id)
        .order_by(StepInstance.position)
    ).all()
    return {row.step_id: row for row in rows}


def audit(session: Session, transfer: Transfer | None, actor: str, action: str, *,
          from_state: str | None = None, to_state: str | None = None,
          data: Mapping[str, Any] | None = None) -> AuditEntry:
    entry = AuditEntry(transfer_id=transfer.id if transfer else None, actor=actor, action=action,
                       from_state=from_state, to_state=to_state, data=dict(data or {}))
    session.add(entry)
    return entry


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
        .where(Employee.transfer_id == transfer.id, Employee.in_scope.is_(True),
               Employee.objected_on.is_(None))
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


# ---------------------------------------------------------------------------------------------
# Creating transfers


def create_transfer(session: Session, data: TransferCreate, *, actor: str) -> Transfer:
    """Create a transfer in its workflow's initial state, with every step's deadline."""
    definition = library().get(data.workflow_id)
    missing = [k for k, spec in definition.key_dates.items() if spec.required
               and k not in data.key_dates]
    unknown = [k for k in data.key_dates if k not in definition.key_dates]
    if missing or unknown:
        parts = []
        if missing:
            parts.append(f"missing key date(s) {', '.join(missing)}")
        if unknown:
            parts.append(f"unknown key date(s) {', '.join(unknown)} "
                         f"(workflow {definition.id} has {', '.join(definition.key_dates)})")
        raise ValidationError(f"cannot create {data.ref}: {'; '.join(parts)}")
    if session.exec(select(Transfer.id).where(Transfer.ref == data.ref)).first() is not None:
        raise ValidationError(f"a transfer {data.ref!r} already exists; choose another --ref")
    parent_id = get_transfer(session, data.parent).id if data.parent else None
    transfer = Transfer(
        ref=data.ref, title=data.title, workflow_id=definition.id,
        workflow_version=definition.version, regime=data.regime,
        regime_reason=data.regime_reason,
        transferor_id=get_organisation(session, data.transferor).id,
        transferee_id=get_organisation(session, data.transferee).id,
        state=definition.initial, parent_id=parent_id, hr_owner=data.hr_owner,
        escalation_contact=data.escalation_contact, sample_data=data.sample_data,
    )
    session.add(transfer)
    session.flush()
    for name, value in data.key_dates.items():
        session.add(KeyDate(transfer_id=transfer.id, name=name, value=value))
    session.flush()
    refresh_steps(session, transfer, definition)
    audit(session, transfer, actor, "created", to_state=transfer.state, data={
        "workflow": f"{definition.id} v{definition.version}", "regime": data.regime.value,
        "regime_reason": data.regime_reason,
        "key_dates": {k: v.isoformat() for k, v in data.key_dates.items()},
        "sample_data": data.sample_data,
    })
    return transfer


def parse_transfer_create(values: Mapping[str, Any]) -> TransferCreate:
    """Validate user input for a new transfer, naming each bad field."""
    try:
        return TransferCreate.model_validate(values)
    except pydantic.ValidationError as exc:
        raise ValidationError(describe_validation(exc)) from None


def describe_validation(exc: pydantic.ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or 'input'}: {e['msg']}" for e in exc.errors()
    )


# ---------------------------------------------------------------------------------------------
# Advancing


@lru_cache(maxsize=64)
def _machine(workflow_id: str, version: int) -> Machine:
    definition = library().get(workflow_id)
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


def _check_version(transfer: Any, expected: int | None) -> None:
    if expected is not None and transfer.version != expected:
        raise ConflictError(
            f"{transfer.ref} was changed by someone else (now in state {transfer.state!r}, "
            f"version {transfer.version}; you had version {expected}). Nothing was written: "
            f"look at `transfer-engine status {transfer.ref}` and try again if still needed."
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
        raise ConflictError(f"{transfer.ref} was changed by someone else; nothing was written")


def guard_context(session: Session, transfer: Any, definition: WorkflowDefinition, *,
                  today: date, note: str | None = None,
                  completing: frozenset[str] = frozenset(),
                  steps: Mapping[str, Any] | None = None) -> GuardContext:
    return GuardContext(session.connection(), transfer, definition,
                        steps if steps is not None else steps_of(session, transfer),
                        today=today, note=note, completing=completing)


def _failures(ctx: GuardContext, trigger: Trigger) -> list[GuardFailure]:
    found = (evaluate(ctx, g.name, g.argument, overridable=g.overridable) for g in trigger.guards)
    return [f for f in found if f is not None]


def check_guards(session: Session, transfer: Transfer, trigger_name: str, *, today: date,
                 note: str | None = None,
                 steps: Mapping[str, Any] | None = None) -> list[GuardFailure]:
    """The guard failures firing ``trigger_name`` now would meet (empty: it would pass).

    Pass ``steps`` (from :func:`steps_of`) when checking several triggers of one transfer, so
    that they are read once rather than once per trigger.
    """
    definition = definition_of(transfer)
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
           _TRANSFER.c.workflow_id, _STEP.c.id, _STEP.c.step_id, _STEP.c.status,
           _STEP.c.due_date, _STEP.c.done_on, _STEP.c.legal_basis)
    .select_from(_TRANSFER.outerjoin(_STEP, _STEP.c.transfer_id == _TRANSFER.c.id))
    .where(_TRANSFER.c.ref == bindparam("ref"))
)
_LOAD_LOCKED = _LOAD.with_for_update(of=_TRANSFER)
# Statements built once: building a statement costs more than running it on SQLite.
_BUMP = (
    update(_TRANSFER)
    .where(_TRANSFER.c.id == bindparam("tid"), _TRANSFER.c.version == bindparam("expected"))
    .values(version=bindparam("new_version"), updated_at=bindparam("now"),
            state=bindparam("new_state"))
)
_COMPLETE = (
    update(_STEP)
    .where(_STEP.c.id == bindparam("step_pk"), _STEP.c.status == StepStatus.open)
    .values(status=StepStatus.done, done_at=bindparam("now"), done_on=bindparam("today"),
            done_by=bindparam("actor"), evidence=bindparam("note"))
)
_AUDIT_INSERT = insert(_AUDIT)


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


def _load_for_update(connection: Connection, ref: str) -> tuple[TransferRow, dict[str, Any]]:
    """The transfer, locked, and its steps (rows with the attributes guards read)."""
    rows = connection.execute(_LOAD_LOCKED, {"ref": ref}).all()
    if not rows:
        with Session(bind=connection) as session:
            get_transfer(session, ref)  # raises NotFoundError naming the known transfers
    first = rows[0]
    transfer = TransferRow(first.transfer_id, first.ref, first.state, first.version,
                           first.regime, first.regime_reason, first.workflow_id)
    return transfer, {r.step_id: r for r in rows if r.id is not None}


def advance(ref: str, trigger_name: str, *, actor: str, note: str | None = None,
            override_reason: str | None = None, expected_version: int | None = None,
            today: date | None = None, engine: Engine | None = None) -> AdvanceResult:
    """Fire ``trigger_name`` on transfer ``ref`` in one transaction.

    ``expected_version`` is the version the user was looking at (a web form carries it, the CLI
    takes ``--expect-version``): if someone else changed the transfer since, nothing is written
    and :class:`ConflictError` says so. Without it, concurrent triggers are serialised by the
    transfer's lock and each is judged against the state the previous one left.

    The letters of the state entered are owed, not issued: issue them after this returns with
    :func:`transfer_engine.state_letters.issue_pending` (the scheduler does it otherwise).
    """
    today = today or date.today()
    if override_reason is not None and len(override_reason.strip()) < 10:
        raise ValidationError("--override-reason must say what the special circumstances are "
                              "(at least 10 characters); it is kept in the audit log")
    with write_connection(engine) as connection:
        transfer, steps = _load_for_update(connection, ref)
        _check_version(transfer, expected_version)
        definition = definition_of(transfer)
        trigger = definition.triggers.get(trigger_name)
        if trigger is None or transfer.state not in trigger.sources:
            raise InvalidTriggerError(ref, trigger_name, transfer.state, valid_triggers(transfer))
        ctx = GuardContext(connection, transfer, definition, steps, today=today, note=note,
                           completing=frozenset(trigger.completes))
        failures = _failures(ctx, trigger)
        if failures and (override_reason is None or not all(f.overridable for f in failures)):
            raise GuardRefusedError(ref, trigger_name, failures)
        from_state, version = transfer.state, transfer.version
        machine = _machine(definition.id, definition.version)
        if not machine.events[trigger_name].trigger(transfer):
            raise TransitionError(f"{ref}: {trigger_name!r} did not fire")  # pragma: no cover
        to_state = transfer.state
        now = utcnow()
        completed = [s for s in trigger.completes
                     if s in steps and steps[s].status == StepStatus.open]
        if completed:
            connection.execute(_COMPLETE, [
                {"step_pk": steps[s].id, "now": now, "today": today, "actor": actor,
                 "note": note} for s in completed])
        _bump_row(connection, transfer, version, to_state)
        # The state's letters are owed from this commit and issued after it (see
        # transfer_engine.state_letters): rendering them here would hold the lock for seconds.
        letters = list(definition.states[to_state].letters) if to_state != from_state else []
        record_pending(connection, transfer_id=transfer.id, transfer_ref=transfer.ref,
                       letters=letters, day=today, actor=actor)
        entries = []
        if failures:
            entries.append({"action": "override", "data": {
                "trigger": trigger_name, "reason": override_reason,
                "overridden": [str(f) for f in failures]}})
        entries.append({"action": "advance", "data": {
            "trigger": trigger_name, "note": note, "completed_steps": completed,
            "letters_due": letters, "as_of": today.isoformat()}})
        connection.execute(_AUDIT_INSERT, [
            {"transfer_id": transfer.id, "actor": actor, "at": now,
             "from_state": from_state, "to_state": to_state, **entry} for entry in entries])
        return AdvanceResult(ref, trigger_name, from_state, to_state, version + 1,
                             completed, failures, letters, transfer.id)


def complete_step(ref: str, step_id: str, *, actor: str, evidence: str,
                  done_on: date | None = None, expected_version: int | None = None,
                  engine: Engine | None = None) -> StepInstance:
    """Mark a step done with evidence, for steps that no trigger completes."""
    done_on = done_on or date.today()
    if not evidence or len(evidence.strip()) < 5:
        raise ValidationError("--evidence must say what shows the step was done "
                              "(a letter reference, minutes, an email)")
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
                f"hold: run `transfer-engine advance {ref} {by_trigger[0]} --note ...`"
            )
        step = steps[step_id]
        if step.status != StepStatus.open:
            raise ValidationError(f"{step_id} is already {step.status.value}")
        if done_on > date.today():
            raise ValidationError("a step cannot be done in the future")
        step.status, step.done_at, step.done_on = StepStatus.done, utcnow(), done_on
        step.done_by, step.evidence = actor, evidence
        session.add(step)
        _bump(session, transfer, transfer.version)
        audit(session, transfer, actor, "step-done", from_state=transfer.state,
              to_state=transfer.state,
              data={"step": step_id, "done_on": done_on.isoformat(), "evidence": evidence})
        return step


# ---------------------------------------------------------------------------------------------
# Rescheduling


@dataclass
class RescheduleReport:
    ref: str
    key_date: str
    old: date | None
    new: date
    moved: list[StepChange]
    now_late: list[str]        # steps done on time before, late against the new date
    impossible: list[str]      # open steps whose new deadline has already passed


def reschedule(ref: str, key_date: str, new: date, *, actor: str, reason: str,
               today: date | None = None, expected_version: int | None = None,
               engine: Engine | None = None) -> RescheduleReport:
    """Move a key date, recompute every deadline and report what became late or impossible."""
    today = today or date.today()
    if not reason or len(reason.strip()) < 5:
        raise ValidationError("--reason must say why the date moved (it goes in the audit log)")
    with write_session(engine) as session:
        transfer = get_transfer(session, ref, lock=True)
        _check_version(transfer, expected_version)
        definition = definition_of(transfer)
        if key_date not in definition.key_dates:
            raise ValidationError(f"{ref} has no key date {key_date!r}; its key dates are "
                                  f"{', '.join(definition.key_dates)}")
        row = session.exec(select(KeyDate).where(KeyDate.transfer_id == transfer.id,
                                                 KeyDate.name == key_date)).first()
        old = row.value if row else None
        if old == new:
            raise ValidationError(f"{key_date} is already {new.isoformat()}")
        before = {s.step_id: _late(s, today) for s in steps_of(session, transfer).values()}
        if row is None:
            row = KeyDate(transfer_id=transfer.id, name=key_date, value=new)
        row.value = new
        session.add(row)
        session.flush()
        moved = refresh_steps(session, transfer, definition)
        after = steps_of(session, transfer)
        now_late = [s.step_id for s in after.values() if s.status == StepStatus.done
                    and _late(s, today) and not before.get(s.step_id)]
        impossible = [s.step_id for s in after.values() if s.status == StepStatus.open
                      and _late(s, today) and not before.get(s.step_id)]
        _bump(session, transfer, transfer.version)
        audit(session, transfer, actor, "rescheduled", from_state=transfer.state,
              to_state=transfer.state, data={
                  "key_date": key_date, "old": old.isoformat() if old else None,
                  "new": new.isoformat(), "reason": reason,
                  "moved": {c.step_id: [c.old_due.isoformat() if c.old_due else None,
                                        c.new_due.isoformat() if c.new_due else None]
                            for c in moved},
                  "now_late": now_late, "impossible": impossible})
        return RescheduleReport(ref, key_date, old, new, moved, now_late, impossible)


def _late(step: StepInstance, today: date) -> bool:
    if step.due_date is None or step.status == StepStatus.not_applicable:
        return False
    if step.status == StepStatus.done:
        return step.done_on is not None and step.done_on > step.due_date
    return today > step.due_date
