"""The workflow file schema: what a YAML file may say, validated strictly by pydantic."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator

from transfer_engine.domain import OrganisationKind, Regime, SchoolType

# ---------------------------------------------------------------------------------------------
# What a file may say (validated with pydantic: unknown keys are errors, so typos are caught).


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class KeyDateSpec(_Strict):
    label: str
    required: bool = False


class StateSpec(_Strict):
    label: str
    description: str = ""
    final: bool = False
    letters: list[str] = []


class RuleSpec(_Strict):
    """One version of a step's rule, in force for transfers on or after ``effective_from``."""

    effective_from: date
    due: str | None = None
    legal_basis: str | None = None
    applies_when: dict[str, Any] | None = None


class StepSpec(_Strict):
    title: str
    legal_basis: str
    due: str | None = None
    rules: list[RuleSpec] = []
    reminders: list[int] | None = None
    regimes: list[Regime] = [Regime.tupe, Regime.cosop]
    applies_when: dict[str, Any] | None = None
    exposure: str | None = None  # "reg12" or "reg15": money at risk while this step is late
    audience: str = "hr"
    description: str = ""

    @field_validator("exposure")
    @classmethod
    def _known_exposure(cls, value: str | None) -> str | None:
        if value not in (None, "reg12", "reg15"):
            raise ValueError("must be reg12 (ELI, reg 12(4)) or reg15 (inform/consult, reg 15(7))")
        return value


class TriggerSpec(_Strict):
    label: str
    source: str | list[str]
    dest: str | None = None
    guards: list[str | dict[str, Any]] = []
    completes: list[str] = []
    description: str = ""


class OrganisationSpec(_Strict):
    name: str
    kind: OrganisationKind
    school_type: SchoolType | None = None
    maintaining_authority: str | None = None
    headcount: int | None = None


class ChildSpec(_Strict):
    ref: str
    transferee: str
    title: str | None = None


class SeedSpec(_Strict):
    """The transfer a seed workflow describes (the council report's parties and dates)."""

    ref: str
    title: str
    regime: Regime
    regime_reason: str
    transferor: str
    transferee: str
    key_dates: dict[str, date]
    source: str
    hr_owner: str | None = None
    escalation_contact: str | None = None
    children_workflow: str | None = None
    children: list[ChildSpec] = []
    staff: list[dict[str, Any]] = []
    representatives: list[dict[str, Any]] = []


class WorkflowFile(_Strict):
    """One file as written. Entries stay raw mappings here: a file that extends another may
    give only the fields it changes, so entries are validated after merging (see _build)."""

    id: str
    version: int
    title: str
    description: str = ""
    extends: str | None = None
    regime: Regime | None = None
    initial: str | None = None
    reminders: list[int] | None = None
    key_dates: dict[str, dict[str, Any] | None] = {}
    states: dict[str, dict[str, Any] | None] = {}
    triggers: dict[str, dict[str, Any] | None] = {}
    steps: dict[str, dict[str, Any] | None] = {}
    organisations: dict[str, OrganisationSpec] = {}
    transfer: SeedSpec | None = None
