"""Moving a running transfer to another version of its workflow, on purpose.

A transfer runs on the version of its workflow it started with (see
:mod:`transfer_engine.store.definitions`). When HR decides that a transfer should follow a newer
version, :func:`migration_report` says what that would change for this transfer: steps,
deadlines (worked out from its own key dates), triggers and their guards, the letters states
issue. :func:`migrate` applies it in one transaction: the transfer's version, every step
re-planned, and an audit entry with both versions and the report.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from transfer_engine.dates.deadlines import Deadline
from transfer_engine.domain import StepStatus
from transfer_engine.engine.advance import _bump, _check_version
from transfer_engine.engine.evidence import reconcile_in
from transfer_engine.engine.planning import _facts, plan_step, refresh_steps
from transfer_engine.errors import NotFoundError, ValidationError
from transfer_engine.store.database import write_session
from transfer_engine.store.definitions import (
    record_definition,
    stored_definition,
    stored_versions,
)
from transfer_engine.store.queries import (
    audit,
    definition_of,
    get_transfer,
    key_dates_of,
    steps_of,
)
from transfer_engine.store.transfers import StepInstance, Transfer
from transfer_engine.workflow.definition import Step, Trigger, WorkflowDefinition
from transfer_engine.workflow.loader import library


@dataclass(frozen=True)
class Change:
    """One thing of the workflow (a step, trigger, state or key date) that differs."""

    name: str
    label: str
    change: str                 # "added", "removed" or "changed"
    details: tuple[str, ...] = ()

    def describe(self) -> str:
        what = f"{self.name} ({self.label})" if self.label else self.name
        return f"{what} {self.change}" + (f": {'; '.join(self.details)}" if self.details else "")


@dataclass(frozen=True)
class DeadlineChange:
    """A step of this transfer whose deadline moves (None: no deadline, e.g. removed)."""

    step: str
    title: str
    old_due: date | None
    new_due: date | None
    status: str                 # the step's status now ("new" for a step the version adds)


@dataclass
class MigrationReport:
    """What moving one transfer to another version of its workflow changes."""

    ref: str
    workflow_id: str
    from_version: int
    to_version: int
    from_sha256: str
    to_sha256: str
    state: str
    transfer_version: int       # the transfer's row version the report was made from
    steps: list[Change] = field(default_factory=list)
    deadlines: list[DeadlineChange] = field(default_factory=list)
    triggers: list[Change] = field(default_factory=list)   # their guards, sources, steps
    letters: list[Change] = field(default_factory=list)    # by the state that issues them
    states: list[Change] = field(default_factory=list)
    key_dates: list[Change] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)      # reasons it cannot be applied

    @property
    def changes_anything(self) -> bool:
        return any((self.steps, self.deadlines, self.triggers, self.letters, self.states,
                    self.key_dates))

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        for entry in data["deadlines"]:
            for key in ("old_due", "new_due"):
                entry[key] = entry[key].isoformat() if entry[key] else None
        for section in ("steps", "triggers", "letters", "states", "key_dates"):
            for entry in data[section]:
                entry["details"] = list(entry["details"])
        return data


# ---------------------------------------------------------------------------------------------
# Comparing two versions


def _rules_text(step: Step) -> str:
    return "; ".join(r.due.text + (f" (from {r.effective_from.isoformat()})"
                                   if r.effective_from else "") for r in step.rules)


def _step_details(old: Step, new: Step) -> tuple[str, ...]:
    details = []
    if old.title != new.title:
        details.append(f"title {old.title!r} becomes {new.title!r}")
    if _rules_text(old) != _rules_text(new):
        details.append(f"due {_rules_text(old)!r} becomes {_rules_text(new)!r}")
    old_basis = [r.legal_basis for r in old.rules]
    new_basis = [r.legal_basis for r in new.rules]
    if old_basis != new_basis:
        details.append(f"legal basis {'; '.join(old_basis)!r} becomes {'; '.join(new_basis)!r}")
    if [r.applies_when for r in old.rules] != [r.applies_when for r in new.rules]:
        details.append("the conditions for when it applies change")
    if old.regimes != new.regimes:
        details.append(f"applies to {_names(new.regimes)} (was {_names(old.regimes)})")
    if old.reminders != new.reminders:
        details.append(f"reminders {_days(new.reminders)} days before (was "
                       f"{_days(old.reminders)})")
    if old.exposure != new.exposure:
        details.append(f"money at risk {new.exposure or 'none'} (was {old.exposure or 'none'})")
    if old.audience != new.audience:
        details.append(f"audience {new.audience} (was {old.audience})")
    # What completes the step: a step done without what the new version asks reopens on moving.
    if old.evidence != new.evidence:
        details.append(f"done when there is {_evidence(new)} (was {_evidence(old)})")
    if old.owed_by != new.owed_by:
        details.append(f"owed by {new.owed_by or 'not stated'} (was "
                       f"{old.owed_by or 'not stated'})")
    if old.not_before != new.not_before:
        details.append(f"not before {_deadline(new.not_before)} (was "
                       f"{_deadline(old.not_before)})")
    return tuple(details)


def _evidence(step: Step) -> str:
    return " and ".join(e.describe() for e in step.evidence) or "a dated note"


def _deadline(deadline: Deadline | None) -> str:
    return repr(deadline.text) if deadline is not None else "any date"


def _names(regimes: Any) -> str:
    return ", ".join(sorted(r.value for r in regimes)) or "none"


def _days(offsets: tuple[int, ...]) -> str:
    return ", ".join(map(str, offsets)) or "none"


def _trigger_details(old: Trigger, new: Trigger) -> tuple[str, ...]:
    details = []
    old_guards = [g.describe() for g in old.guards]
    new_guards = [g.describe() for g in new.guards]
    added = [g for g in new_guards if g not in old_guards]
    removed = [g for g in old_guards if g not in new_guards]
    if added:
        details.append(f"new guard(s): {'; '.join(added)}")
    if removed:
        details.append(f"guard(s) no longer checked: {'; '.join(removed)}")
    if old.label != new.label:
        details.append(f"label {old.label!r} becomes {new.label!r}")
    if set(old.sources) != set(new.sources):
        details.append(f"from {', '.join(new.sources)} (was {', '.join(old.sources)})")
    if old.dest != new.dest:
        details.append(f"moves to {new.dest or '(same state)'} (was {old.dest or '(same state)'})")
    if old.completes != new.completes:
        details.append(f"completes {', '.join(new.completes) or 'no step'} (was "
                       f"{', '.join(old.completes) or 'no step'})")
    return tuple(details)


def _compare(old: Mapping[str, Any], new: Mapping[str, Any], label: Any,
             details: Any) -> list[Change]:
    """Changes between two mappings of named things, in the new version's order."""
    out = []
    for name, item in new.items():
        if name not in old:
            out.append(Change(name, label(item), "added"))
        elif found := details(old[name], item):
            out.append(Change(name, label(item), "changed", found))
    out.extend(Change(name, label(item), "removed") for name, item in old.items()
               if name not in new)
    return out


def _letters(old: WorkflowDefinition, new: WorkflowDefinition) -> list[Change]:
    out = []
    for name in [*new.states, *(s for s in old.states if s not in new.states)]:
        before = list(old.states[name].letters) if name in old.states else []
        after = list(new.states[name].letters) if name in new.states else []
        added = [letter for letter in after if letter not in before]
        removed = [letter for letter in before if letter not in after]
        if added or removed:
            label = (new.states.get(name) or old.states[name]).label
            details = ([f"issues {', '.join(added)}"] if added else []) + (
                [f"no longer issues {', '.join(removed)}"] if removed else [])
            out.append(Change(name, label, "changed", tuple(details)))
    return out


def _state_details(old: Any, new: Any) -> tuple[str, ...]:
    details = []
    if old.label != new.label:
        details.append(f"label {old.label!r} becomes {new.label!r}")
    if old.final != new.final:
        details.append("becomes an end state" if new.final else "is no longer an end state")
    return tuple(details)


def _key_date_details(old: Any, new: Any) -> tuple[str, ...]:
    details = []
    if old.label != new.label:
        details.append(f"label {old.label!r} becomes {new.label!r}")
    if old.required != new.required:
        details.append("becomes required" if new.required else "is no longer required")
    return tuple(details)


def _deadlines(session: Session, transfer: Transfer, target: WorkflowDefinition,
               instances: Mapping[str, StepInstance]) -> list[DeadlineChange]:
    """Each of this transfer's deadlines that the target version moves, adds or drops."""
    key_dates = key_dates_of(session, transfer)
    facts = _facts(session, transfer)
    out = []
    for step in target.steps.values():
        new_due = plan_step(step, key_dates, facts).due
        instance = instances.get(step.id)
        old_due = instance.due_date if instance else None
        if instance is None or old_due != new_due:
            out.append(DeadlineChange(step.id, step.title, old_due, new_due,
                                      instance.status.value if instance else "new"))
    for step_id, instance in instances.items():
        if step_id not in target.steps and instance.due_date is not None:
            out.append(DeadlineChange(step_id, instance.title, instance.due_date, None,
                                      instance.status.value))
    return out


def _report(session: Session, transfer: Transfer, current: WorkflowDefinition,
            target: WorkflowDefinition) -> MigrationReport:
    instances = steps_of(session, transfer)
    report = MigrationReport(
        ref=transfer.ref, workflow_id=current.id, from_version=current.version,
        to_version=target.version, from_sha256=current.sha256, to_sha256=target.sha256,
        state=transfer.state, transfer_version=transfer.version,
        steps=_compare(current.steps, target.steps, lambda s: s.title, _step_details),
        deadlines=_deadlines(session, transfer, target, instances),
        triggers=_compare(current.triggers, target.triggers, lambda t: t.label,
                          _trigger_details),
        letters=_letters(current, target),
        states=_compare(current.states, target.states, lambda s: s.label, _state_details),
        key_dates=_compare(current.key_dates, target.key_dates, lambda k: k.label,
                           _key_date_details),
    )
    if transfer.state not in target.states:
        report.problems.append(
            f"{transfer.ref} is {transfer.state!r}, a state version {target.version} of "
            f"{target.id} does not have ({', '.join(target.states)}). Move the transfer to a "
            "state both versions have first, or add the state to the new version")
    return report


# ---------------------------------------------------------------------------------------------
# Reporting and applying


def target_definition(session: Session, workflow_id: str, version: int) -> WorkflowDefinition:
    """Version ``version`` of a workflow: its file when the file has that version, otherwise
    the version kept in the database for other transfers."""
    current = library().get(workflow_id)
    if current.version == version:
        return current
    stored = stored_definition(session, workflow_id, version)
    if stored is not None:
        return stored
    known = sorted({current.version, *stored_versions(session, workflow_id)})
    raise NotFoundError(
        f"workflow {workflow_id!r} has no version {version}: its file ({current.source}) is "
        f"version {current.version}, and the versions kept for transfers are "
        f"{', '.join(map(str, known))}. Raise `version:` in the file to {version} after "
        "editing it, or choose one of those")


def _prepare(session: Session, transfer: Transfer,
             to_version: int) -> tuple[MigrationReport, WorkflowDefinition]:
    if to_version == transfer.workflow_version:
        raise ValidationError(f"{transfer.ref} already runs on version {to_version} of workflow "
                              f"{transfer.workflow_id}; nothing to do")
    current = definition_of(transfer, session)
    target = target_definition(session, transfer.workflow_id, to_version)
    return _report(session, transfer, current, target), target


def migration_report(session: Session, ref: str, to_version: int) -> MigrationReport:
    """What moving transfer ``ref`` to ``to_version`` of its workflow would change (read only)."""
    transfer = get_transfer(session, ref)
    return _prepare(session, transfer, to_version)[0]


def migrate(ref: str, to_version: int, *, actor: str, expected_version: int | None = None,
            engine: Engine | None = None) -> MigrationReport:
    """Move transfer ``ref`` to ``to_version`` of its workflow, in one transaction.

    ``expected_version`` is the transfer's version when its report was shown: if someone has
    changed the transfer since, nothing is written and :class:`ConflictError` says so, since
    the report seen may no longer be what happens.
    """
    with write_session(engine) as session:
        transfer = get_transfer(session, ref, lock=True)
        _check_version(transfer, expected_version)
        report, target = _prepare(session, transfer, to_version)
        if report.problems:
            raise ValidationError(f"{ref} cannot move to version {to_version}: "
                                  + "; ".join(report.problems))
        # Kept before the transfer points at it, so the transfer is never without its version.
        record_definition(session, target, actor=actor)
        transfer.workflow_version = target.version
        session.add(transfer)
        refresh_steps(session, transfer, target)
        for step_id, instance in steps_of(session, transfer).items():
            # Steps the new version drops stay in the record; done ones keep their evidence.
            if step_id not in target.steps and instance.status == StepStatus.open:
                instance.status = StepStatus.not_applicable
                instance.not_applicable_reason = (
                    f"not in version {target.version} of the workflow")
                session.add(instance)
        _bump(session, transfer, transfer.version)
        audit(session, transfer, actor, "workflow-migrated", from_state=transfer.state,
              to_state=transfer.state, data={
                  "workflow": report.workflow_id, "from_version": report.from_version,
                  "to_version": report.to_version, "from_sha256": report.from_sha256,
                  "to_sha256": report.to_sha256, "report": report.as_json()})
        # The new version may ask other evidence of a step (a letter where a note did):
        # every step is judged by it now, so one done without it reopens and says why.
        reconcile_in(session, transfer.id, actor=actor)
        return report
