"""A built workflow definition: states, triggers with their guards, steps with deadlines and law."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from transfer_engine.dates.deadlines import Deadline
from transfer_engine.domain import Regime
from transfer_engine.workflow.schema import KeyDateSpec, OrganisationSpec, SeedSpec, StateSpec

# ---------------------------------------------------------------------------------------------
# What the engine uses: a resolved definition, every reference checked.


@dataclass(frozen=True)
class Rule:
    effective_from: date | None
    due: Deadline
    legal_basis: str
    applies_when: Mapping[str, Any] | None


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

    def rule_for(self, transfer_date: date | None) -> Rule | None:
        """The rule in force on the transfer date (the latest that took effect by then)."""
        candidates = [
            r for r in self.rules
            if r.effective_from is None or transfer_date is None
            or r.effective_from <= transfer_date
        ]
        return max(candidates, key=lambda r: r.effective_from or date.min, default=None)


@dataclass(frozen=True)
class Trigger:
    name: str
    label: str
    sources: tuple[str, ...]
    dest: str | None
    guards: tuple[GuardUse, ...]
    completes: tuple[str, ...]
    description: str


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
