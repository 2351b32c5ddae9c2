"""A built workflow definition: states, triggers with their guards, steps with deadlines and law."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from transfer_engine.dates.deadlines import Deadline
from transfer_engine.domain import Regime
from transfer_engine.workflow.evidence_names import NOTE, Evidence
from transfer_engine.workflow.schema import KeyDateSpec, OrganisationSpec, SeedSpec, StateSpec

# ---------------------------------------------------------------------------------------------
# What the engine uses: a resolved definition, every reference checked.


@dataclass(frozen=True)
class Rule:
    effective_from: date | None
    due: Deadline
    legal_basis: str
    applies_when: Mapping[str, Any] | None
    title: str | None = None  # the step's title under this rule, when it differs


@dataclass(frozen=True)
class GuardUse:
    name: str
    argument: Any
    overridable: bool

    def describe(self) -> str:
        arg = "" if self.argument is None else f": {self.argument}"
        return f"{self.name}{arg}{' (overridable)' if self.overridable else ''}"


@dataclass(frozen=True)
class Step:
    id: str
    title: str
    rules: tuple[Rule, ...]
    reminders: tuple[int, ...]
    regimes: frozenset[Regime]
    exposure: str | None
    audience: str
    description: str
    position: int
    not_before: Deadline | None = None  # the earliest it can happen (e.g. on transfer)
    owed_by: str | None = None  # transferor, transferee or each (workflow.schema.OWED_BY)
    # What completes it (workflow.evidence_names): all must hold. A dated note by default.
    evidence: tuple[Evidence, ...] = (NOTE,)
    # Where it falls in the transfer (workflow.schema.PHASES), for the transfer page's task list.
    phase: str = "decide"
    # The steps its rules' conditions name with ``step_applies`` (set by the loader): the
    # engine plans those steps first.
    steps_named: tuple[str, ...] = ()

    def earliest(self, key_dates: Mapping[str, date]) -> date | None:
        """The first day the step can happen; None when any day can (or its key date is not
        recorded yet)."""
        if self.not_before is None or self.not_before.key not in key_dates:
            return None
        return self.not_before.resolve(key_dates[self.not_before.key])

    def rule_for(self, transfer_date: date | None) -> Rule | None:
        """The rule in force on the transfer date (the latest that took effect by then)."""
        in_force = self.rules_for(transfer_date)
        return in_force[0] if in_force else None

    def rules_for(self, transfer_date: date | None) -> tuple[Rule, ...]:
        """Every rule that took effect on the latest date on or before the transfer date, in
        file order: alternatives by condition (``applies_when``), such as TULRCA s.188's 30
        days for 20-99 proposed dismissals and 45 days for 100 or more."""
        candidates = [
            r for r in self.rules
            if r.effective_from is None or transfer_date is None
            or r.effective_from <= transfer_date
        ]
        if not candidates:
            return ()
        latest = max(r.effective_from or date.min for r in candidates)
        return tuple(r for r in candidates if (r.effective_from or date.min) == latest)


@dataclass(frozen=True)
class Trigger:
    name: str
    label: str
    sources: tuple[str, ...]
    dest: str | None
    guards: tuple[GuardUse, ...]
    completes: tuple[str, ...]
    description: str
    letters: tuple[str, ...] = ()  # issued after it fires, as a state's letters are
    # The trigger fired on each child transfer after this one (a programme's decision that
    # holds for its schools), or None.
    cascade: str | None = None


@dataclass(frozen=True)
class WorkflowDefinition:
    id: str
    version: int
    title: str
    description: str
    source: str
    regime: Regime | None
    initial: str
    key_dates: Mapping[str, KeyDateSpec]
    states: Mapping[str, StateSpec]
    triggers: Mapping[str, Trigger]
    steps: Mapping[str, Step]
    organisations: Mapping[str, OrganisationSpec] = field(default_factory=dict)
    seed: SeedSpec | None = None
    extends: str | None = None
    # The resolved definition as data, and its SHA-256 (see workflow.document): what the
    # database keeps for the transfers that run on this version.
    document: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)
    sha256: str = ""

    def triggers_from(self, state: str) -> list[Trigger]:
        return [t for t in self.triggers.values() if state in t.sources]

    def triggers_completing(self, step_id: str) -> list[Trigger]:
        """The triggers that complete the step, in the definition's order. None: the step is
        marked done directly, with its evidence."""
        return [t for t in self.triggers.values() if step_id in t.completes]

    def mermaid(self, current: str | None = None) -> str:
        """The state diagram as Mermaid text (triggers that only complete steps are left out)."""
        lines = ["stateDiagram-v2", f"    [*] --> {self.initial}"]
        for name, state in self.states.items():
            lines.append(f"    {name} : {state.label}")
        for trigger in self.triggers.values():
            if trigger.dest is None:
                continue
            for source in trigger.sources:
                lines.append(f"    {source} --> {trigger.dest} : {trigger.name}")
        for name, state in self.states.items():
            if state.final:
                lines.append(f"    {name} --> [*]")
        if current:
            lines.append("    classDef current fill:#ffdd00,stroke:#0b0c0c,stroke-width:3px")
            lines.append(f"    class {current} current")
        return "\n".join(lines)
