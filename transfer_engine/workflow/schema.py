"""The workflow file schema: what a YAML file may say, validated strictly by pydantic."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

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
    # The step's title under this rule, where alternatives differ in what must be done (e.g.
    # pension protection: an LGPS admission, or continued membership). Default: the step's.
    title: str | None = None


#: Who may owe a step, as a workflow's ``owed_by`` says it.
OWED_BY = {
    "transferor": "the transferor",
    "transferee": "the transferee",
    "each": "each employer, for its own affected employees",
}


#: The phases of a transfer, in order, as the transfer page's task list groups its steps. A
#: step names its phase (``phase:``); one that does not takes the phase of the step before it
#: in the workflow (the first step: ``decide``).
PHASES = {
    "decide": "Decide",
    "representatives": "Representatives and elections",
    "inform-consult": "Inform and consult",
    "eli": "Employee liability information",
    "ready": "Get ready",
    "go-live": "Go live",
    "after": "After the transfer",
}
Phase = Literal["decide", "representatives", "inform-consult", "eli", "ready", "go-live", "after"]


class StepSpec(_Strict):
    title: str
    legal_basis: str
    due: str | None = None
    rules: list[RuleSpec] = []
    reminders: list[int] | None = None
    regimes: list[Regime] = [Regime.tupe, Regime.cosop]
    applies_when: dict[str, Any] | None = None
    exposure: str | None = None  # "reg12", "reg15" or "s189": money at risk while late
    # Which party owes the step (see OWED_BY): the transferor, the transferee, or each
    # employer for its own affected employees (reg 13(2)). None: not stated (own workflows).
    owed_by: Literal["transferor", "transferee", "each"] | None = None
    audience: str = "hr"
    description: str = ""
    # What completes the step (see workflow.evidence_names): one kind, or a list that must all
    # hold, e.g. [representatives, {letter: reg13-information}]. None: a dated note.
    evidence: str | dict[str, Any] | list[str | dict[str, Any]] | None = None
    # The earliest the step can happen, as a date counted from a key date ("on transfer"):
    # a step that follows the transfer cannot be recorded as done on a date before it.
    not_before: str | None = None
    # Where the step falls in the transfer (see PHASES): the transfer page groups steps by it.
    phase: Phase | None = None

    @field_validator("exposure")
    @classmethod
    def _known_exposure(cls, value: str | None) -> str | None:
        if value not in (None, "reg12", "reg15", "s189"):
            raise ValueError("must be reg12 (ELI, reg 12(4)), reg15 (inform/consult, reg 15(7)) "
                             "or s189 (collective redundancy consultation, TULRCA s.189)")
        return value


class CascadeSpec(_Strict):
    """What a programme's trigger does to its child transfers: once it has fired (and been
    committed), ``trigger`` is fired on each child where it can apply, each child in its own
    transaction (engine.children). The child workflow must have that trigger."""

    trigger: str


class TriggerSpec(_Strict):
    label: str
    source: str | list[str]
    dest: str | None = None
    guards: list[str | dict[str, Any]] = []
    completes: list[str] = []
    # Letters issued after the trigger, as a state's letters are (e.g. the ELI by send_eli).
    letters: list[str] = []
    description: str = ""
    # A programme's decision that holds for its schools too (e.g. approval): fired on each
    # child transfer after this one (see CascadeSpec).
    cascade: CascadeSpec | None = None


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
