"""Declarative workflow definitions: load, merge, validate.

A workflow file (YAML, in ``workflows/``) declares a transfer's states, its triggers with their
guard conditions, its steps with deadlines relative to named key dates and the law each one comes
from, reminder offsets, and the letters to issue on entering a state. A file may ``extend``
another, overriding or adding states, triggers and steps by name (``null`` removes one).

Rules that changed in law are kept with the date they took effect (``rules:`` on a step); the
rule in force on the transfer date applies (e.g. the ELI period: 14 days before 1 May 2014,
28 days from then, reg 11(6)).

Every problem is reported with the file, the key and what is wrong, all at once.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pydantic
import yaml
from pydantic import BaseModel

from transfer_engine.config import get_settings
from transfer_engine.dates.deadlines import Deadline, DeadlineSyntaxError
from transfer_engine.domain import OrganisationKind, Regime
from transfer_engine.errors import NotFoundError, WorkflowError
from transfer_engine.validation import field_problems
from transfer_engine.workflow import strict_yaml
from transfer_engine.workflow.definition import GuardUse, Rule, Step, Trigger, WorkflowDefinition
from transfer_engine.workflow.document import content_sha256, resolved_document
from transfer_engine.workflow.evidence_names import parse_evidence
from transfer_engine.workflow.guard_names import GUARDS
from transfer_engine.workflow.schema import (
    KeyDateSpec,
    OrganisationSpec,
    RuleSpec,
    StateSpec,
    StepSpec,
    TriggerSpec,
    WorkflowFile,
)

# ---------------------------------------------------------------------------------------------
# Loading.

# Conditions on the sectors of the two employers (OrganisationKind values), e.g. for pensions.
_KIND_CONDITIONS = {"transferor_kind_in", "transferee_kind_in"}
_CONDITIONS = {*_KIND_CONDITIONS, "all_of", "any_of", "not", "regime_in", "no_representatives",
               "transferor_headcount_below", "transferring_below",
               "proposed_dismissals_at_least",
               # reg 13(3) and reg 14: who represents the transferor's affected employees
               "no_recognised_union", "no_existing_representatives", "election_invited",
               "election_failed", "step_applies"}
#: Every condition a step's ``applies_when`` may use (workflows/README.md documents each one).
CONDITIONS: frozenset[str] = frozenset(_CONDITIONS)
# What each condition's value must be: a count compared with the facts, or yes/no.
_COUNT_CONDITIONS = {"proposed_dismissals_at_least", "transferring_below",
                     "transferor_headcount_below"}
_YES_NO_CONDITIONS = {"no_representatives", "no_recognised_union",
                      "no_existing_representatives", "election_invited", "election_failed",
                      "transferee_in_lgps"}


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        data = strict_yaml.load(path.read_text(encoding="utf-8"))
    except strict_yaml.YamlProblem as exc:
        raise WorkflowError(str(path), [f"line {exc.line}: {exc.problem}"]) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "unknown position"
        raise WorkflowError(str(path), [f"{where}: not valid YAML ({exc.problem})"]) from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise WorkflowError(str(path), [f"cannot be read: {exc}"]) from None
    if not isinstance(data, dict):
        raise WorkflowError(str(path), ["the file must be a mapping with id, version, title, ..."])
    return data


def _parse(path: Path, data: dict[str, Any]) -> WorkflowFile:
    try:
        return WorkflowFile.model_validate(data)
    except pydantic.ValidationError as exc:
        raise WorkflowError(str(path), _messages(exc)) from None


def _messages(exc: pydantic.ValidationError, prefix: tuple[Any, ...] = ()) -> list[str]:
    return [str(p) for p in field_problems(
        exc, prefix=prefix, whole="(top level)", missing="required key missing",
        unknown="unknown key (check the spelling against workflows/README.md)")]


def _merge(base: Mapping[str, Any], overrides: Mapping[str, Any], *,
           exclusive: tuple[str, ...] = ()) -> dict[str, Any]:
    """Child entries replace the parent's field by field; a ``null`` entry removes it.

    Keys in ``exclusive`` are alternatives: setting one drops the others inherited (a step's
    deadline is either one ``due`` or dated ``rules``).
    """
    merged: dict[str, Any] = dict(base)
    for key, value in overrides.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(merged.get(key), dict) and isinstance(value, dict):
            inherited = dict(merged[key])
            if any(k in value for k in exclusive):
                for k in exclusive:
                    inherited.pop(k, None)
            merged[key] = {**inherited, **value}
        else:
            merged[key] = value
    return merged


def _validated(model: type[BaseModel], section: str, entries: Mapping[str, Any],
               problems: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, raw in entries.items():
        try:
            out[name] = model.model_validate(raw)
        except pydantic.ValidationError as exc:
            problems.extend(_messages(exc, prefix=(section, name)))
    return out


class WorkflowLibrary:
    """Every workflow in one or more folders, loaded and validated once.

    A later folder (an organisation's own) adds workflows, and replaces one of an earlier
    folder (those shipped with the engine) that has the same id; two files with one id in the
    same folder are an error.
    """

    def __init__(self, folder: Path, *more: Path) -> None:
        self.folder = folder
        self.folders = (folder, *more)
        self._files: dict[str, tuple[Path, WorkflowFile]] = {}
        self._resolved: dict[str, WorkflowDefinition] = {}
        errors: list[WorkflowError] = []
        for each in self.folders:
            if not each.is_dir():
                raise WorkflowError(str(each), ["no such folder of workflow files"])
            here: dict[str, Path] = {}
            for path in sorted(each.glob("*.y*ml")):
                try:
                    parsed = _parse(path, _read_yaml(path))
                except WorkflowError as exc:
                    errors.append(exc)
                    continue
                if parsed.id in here:
                    errors.append(WorkflowError(
                        str(path), [f"id: {parsed.id!r} is also used by {here[parsed.id].name}"]))
                    continue
                here[parsed.id] = path
                self._files[parsed.id] = (path, parsed)
        if errors:
            raise _combine(errors)
        for workflow_id in self._files:
            try:
                self.get(workflow_id)
            except WorkflowError as exc:
                errors.append(exc)
        if errors:
            raise _combine(errors)
        errors = [e for e in map(self._check_cascades, self._files) if e is not None]
        if errors:
            raise _combine(errors)

    def _check_cascades(self, workflow_id: str) -> WorkflowError | None:
        """A trigger that cascades to a programme's child transfers must name a trigger of the
        children's workflow (the seed's ``children_workflow``), and only a programme (a
        workflow whose transfer has children) may cascade."""
        definition = self._resolved[workflow_id]
        cascading = {n: t.cascade for n, t in definition.triggers.items() if t.cascade}
        if not cascading:
            return None
        seed = definition.seed
        children_id = seed.children_workflow if seed else None
        if children_id is None:
            # A workflow for programmes created another way: its children's workflow is known
            # only when they are, so a child without the trigger is reported then.
            return None
        if children_id not in self._files:
            return WorkflowError(definition.source, [
                f"transfer.children_workflow: no workflow {children_id!r}"])
        child = self.get(children_id)
        problems = [f"triggers.{name}.cascade.trigger: {target!r} is not a trigger of the "
                    f"children's workflow {children_id} ({', '.join(child.triggers)})"
                    for name, target in cascading.items() if target not in child.triggers]
        return WorkflowError(definition.source, problems) if problems else None

    def ids(self) -> list[str]:
        return list(self._files)

    def all(self) -> list[WorkflowDefinition]:
        return [self.get(i) for i in self._files]

    def get(self, workflow_id: str) -> WorkflowDefinition:
        if workflow_id in self._resolved:
            return self._resolved[workflow_id]
        if workflow_id not in self._files:
            raise NotFoundError(
                f"no workflow {workflow_id!r}; known workflows: {', '.join(sorted(self._files))}"
            )
        definition = self._resolve(workflow_id, chain=())
        self._resolved[workflow_id] = definition
        return definition

    def _resolve(self, workflow_id: str, chain: tuple[str, ...]) -> WorkflowDefinition:
        path, spec = self._files[workflow_id]
        layers = [spec]
        seen = (*chain, workflow_id)
        parent_id = spec.extends
        while parent_id:
            if parent_id in seen:
                cycle = " -> ".join((*seen, parent_id))
                raise WorkflowError(str(path), [f"extends: cycle {cycle}"])
            if parent_id not in self._files:
                raise WorkflowError(
                    str(path), [f"extends: no workflow {parent_id!r} in {self.folder}"]
                )
            seen = (*seen, parent_id)
            parent = self._files[parent_id][1]
            layers.insert(0, parent)
            parent_id = parent.extends
        return _build(path, layers)


def _combine(errors: list[WorkflowError]) -> WorkflowError:
    if len(errors) == 1:
        return errors[0]
    problems = [f"{e.source}: {p}" for e in errors for p in e.problems]
    return WorkflowError(f"{len(errors)} files", problems)


def _build(path: Path, layers: list[WorkflowFile]) -> WorkflowDefinition:
    spec = layers[-1]
    raw_key_dates: dict[str, Any] = {}
    raw_states: dict[str, Any] = {}
    raw_triggers: dict[str, Any] = {}
    raw_steps: dict[str, Any] = {}
    initial, regime, reminders = None, None, None
    for layer in layers:
        raw_key_dates = _merge(raw_key_dates, layer.key_dates)
        raw_states = _merge(raw_states, layer.states)
        raw_triggers = _merge(raw_triggers, layer.triggers)
        raw_steps = _merge(raw_steps, layer.steps, exclusive=("due", "rules"))
        initial = layer.initial or initial
        regime = layer.regime or regime
        reminders = layer.reminders if layer.reminders is not None else reminders

    problems: list[str] = []
    key_dates: dict[str, KeyDateSpec] = _validated(KeyDateSpec, "key_dates", raw_key_dates,
                                                   problems)
    states: dict[str, StateSpec] = _validated(StateSpec, "states", raw_states, problems)
    triggers: dict[str, TriggerSpec] = _validated(TriggerSpec, "triggers", raw_triggers, problems)
    steps: dict[str, StepSpec] = _validated(StepSpec, "steps", raw_steps, problems)
    if not states:
        problems.append("states: a workflow needs at least one state")
    if initial is None:
        problems.append("initial: missing (name the state a new transfer starts in)")
    elif initial not in states:
        problems.append(f"initial: {initial!r} is not one of the states ({', '.join(states)})")

    built_steps: dict[str, Step] = {}
    phase = "decide"  # a step that names no phase is in the phase of the step before it
    for position, (step_id, step) in enumerate(steps.items()):
        phase = step.phase or phase
        built = _build_step(step_id, step, position, key_dates, reminders or [], problems)
        if built:
            named = dict.fromkeys(n for r in built.rules for n in _steps_named(r.applies_when))
            built_steps[step_id] = replace(built, phase=phase, steps_named=tuple(
                n for n in named if isinstance(n, str)))
    _check_steps_named(built_steps, problems)

    non_final = [name for name, state in states.items() if not state.final]
    built_triggers: dict[str, Trigger] = {}
    for name, trigger in triggers.items():
        where = f"triggers.{name}"
        sources = [trigger.source] if isinstance(trigger.source, str) else list(trigger.source)
        if sources == ["*"]:
            sources = non_final
        for source in sources:
            if source not in states:
                problems.append(f"{where}.source: {source!r} is not a state")
        if trigger.dest is not None and trigger.dest not in states:
            problems.append(f"{where}.dest: {trigger.dest!r} is not a state")
        for step_id in trigger.completes:
            if step_id not in built_steps and step_id not in steps:
                problems.append(f"{where}.completes: {step_id!r} is not a step")
        uses = tuple(_build_guard(f"{where}.guards[{i}]", g, key_dates, steps, states, problems)
                     for i, g in enumerate(trigger.guards))
        built_triggers[name] = Trigger(
            name=name, label=trigger.label, sources=tuple(sources), dest=trigger.dest,
            guards=tuple(u for u in uses if u is not None), completes=tuple(trigger.completes),
            description=trigger.description, letters=tuple(trigger.letters),
            cascade=trigger.cascade.trigger if trigger.cascade else None,
        )

    for name, state in states.items():
        if not state.final and not any(name in t.sources for t in built_triggers.values()):
            problems.append(f"states.{name}: no trigger leaves this state; mark it final: true")

    seed = spec.transfer
    if seed is not None:
        for key in seed.key_dates:
            if key not in key_dates:
                problems.append(f"transfer.key_dates.{key}: not one of the key dates")
        for key, kd in key_dates.items():
            if kd.required and key not in seed.key_dates:
                problems.append(f"transfer.key_dates.{key}: required")
    if problems:
        raise WorkflowError(str(path), problems)
    assert initial is not None
    organisations: dict[str, OrganisationSpec] = {}
    for layer in layers:
        organisations.update(layer.organisations)
    document = resolved_document(
        workflow_id=spec.id, version=spec.version, title=spec.title,
        description=spec.description, regime=regime, initial=initial, reminders=reminders,
        key_dates=key_dates, states=states, triggers=triggers, steps=steps)
    return WorkflowDefinition(
        id=spec.id, version=spec.version, title=spec.title, description=spec.description,
        source=str(path), regime=regime, initial=initial, key_dates=key_dates, states=states,
        triggers=built_triggers, steps=built_steps, organisations=organisations, seed=seed,
        extends=spec.extends, document=document, sha256=content_sha256(document),
    )


def definition_from_document(document: Mapping[str, Any], source: str) -> WorkflowDefinition:
    """Build a definition from a resolved document (as :func:`resolved_document` made it and
    the database keeps it); ``source`` names it in any error."""
    path = Path(source)
    if not isinstance(document, Mapping):
        raise WorkflowError(source, ["the stored definition is not a mapping"])
    return _build(path, [_parse(path, dict(document))])


def _check_condition(where: str, condition: Any, problems: list[str]) -> None:
    if not isinstance(condition, Mapping):
        problems.append(f"{where}: {condition!r} is not a condition; write a mapping such as "
                        "'transferring_below: 20'")
        return
    for key, value in condition.items():
        if key not in _CONDITIONS:
            problems.append(f"{where}.{key}: unknown condition; use one of {sorted(_CONDITIONS)}")
        elif key in ("all_of", "any_of"):
            if not isinstance(value, list):
                problems.append(f"{where}.{key}: must be a list of conditions")
                continue
            for i, item in enumerate(value):
                _check_condition(f"{where}.{key}[{i}]", item, problems)
        elif key == "not":
            _check_condition(f"{where}.not", value, problems)
        elif key in _COUNT_CONDITIONS:
            # bool is an int in Python: "transferring_below: yes" must not read as 1.
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                problems.append(f"{where}.{key}: {value!r} is not a count; write a whole "
                                f"number, 0 or more, e.g. '{key}: 20'")
        elif key in _YES_NO_CONDITIONS:
            if not isinstance(value, bool):
                problems.append(f"{where}.{key}: {value!r} is not yes or no; write "
                                f"'{key}: true' or '{key}: false'")
        elif key in _KIND_CONDITIONS:
            kinds = [k.value for k in OrganisationKind]
            if not isinstance(value, list) or not value:
                problems.append(f"{where}.{key}: needs a list of organisation kinds, e.g. "
                                "[council]")
            else:
                problems.extend(f"{where}.{key}: {item!r} is not an organisation kind; use "
                                f"{', '.join(kinds)}" for item in value if item not in kinds)


def _steps_named(condition: Any) -> list[Any]:
    """The steps a condition names with ``step_applies``, at any depth."""
    if isinstance(condition, Mapping):
        return [v for k, v in condition.items() if k == "step_applies"] + [
            n for k, v in condition.items() if k != "step_applies" for n in _steps_named(v)]
    if isinstance(condition, list):
        return [n for c in condition for n in _steps_named(c)]
    return []


def _check_steps_named(steps: Mapping[str, Step], problems: list[str]) -> None:
    """``step_applies: X`` must name a step of the workflow whose own conditions name no step
    (the engine plans those first, then the steps that depend on them)."""
    for step_id, step in steps.items():
        for named in dict.fromkeys(n for r in step.rules for n in _steps_named(r.applies_when)):
            target = steps.get(named) if isinstance(named, str) else None
            if target is None:
                problems.append(f"steps.{step_id}.applies_when: step_applies names {named!r}, "
                                "which is not a step of this workflow; name one of its steps, "
                                f"or remove {step_id} too")
            elif target.steps_named:
                problems.append(f"steps.{step_id}.applies_when: step_applies names {named!r}, "
                                "whose own conditions name another step; name a step whose "
                                "conditions read only the facts")


def _build_step(step_id: str, step: StepSpec, position: int, key_dates: Mapping[str, Any],
                default_reminders: list[int], problems: list[str]) -> Step | None:
    where = f"steps.{step_id}"
    rule_specs = list(step.rules)
    if step.due and rule_specs:
        problems.append(f"{where}: give either due or rules, not both")
        return None
    if step.due:
        rule_specs = [RuleSpec(effective_from=date.min, due=step.due)]
    if not rule_specs:
        problems.append(f"{where}: needs a due date ('due: 28 days before transfer') or rules")
        return None
    rules = []
    last_due, last_basis = None, step.legal_basis
    for i, rule in enumerate(sorted(rule_specs, key=lambda r: r.effective_from)):
        due_text = rule.due or last_due
        if due_text is None:
            problems.append(f"{where}.rules[{i}].due: missing")
            continue
        try:
            deadline = Deadline.parse(due_text)
        except DeadlineSyntaxError as exc:
            problems.append(f"{where}.{'due' if step.due else f'rules[{i}].due'}: {exc}")
            continue
        if deadline.key not in key_dates:
            problems.append(
                f"{where}: deadline {due_text!r} counts from {deadline.key!r}, which is not a key "
                f"date ({', '.join(key_dates)})"
            )
        if rule.applies_when:
            _check_condition(f"{where}.rules[{i}].applies_when", rule.applies_when, problems)
        last_due, last_basis = due_text, rule.legal_basis or last_basis
        rules.append(Rule(
            effective_from=None if rule.effective_from == date.min else rule.effective_from,
            due=deadline, legal_basis=last_basis,
            applies_when=rule.applies_when or step.applies_when, title=rule.title,
        ))
    if step.applies_when:
        _check_condition(f"{where}.applies_when", step.applies_when, problems)
    reminders = step.reminders if step.reminders is not None else default_reminders
    if any(r < 0 for r in reminders):
        problems.append(f"{where}.reminders: offsets are days before the deadline, 0 or more")
    return Step(
        id=step_id, title=step.title, rules=tuple(rules),
        reminders=tuple(sorted(set(reminders), reverse=True)), regimes=frozenset(step.regimes),
        exposure=step.exposure, audience=step.audience, description=step.description,
        evidence=parse_evidence(f"{where}.evidence", step.evidence, problems),
        owed_by=step.owed_by, position=position,
        not_before=_not_before(where, step.not_before, key_dates, problems),
    )


def _not_before(where: str, text: str | None, key_dates: Mapping[str, Any],
                problems: list[str]) -> Deadline | None:
    """The earliest a step can happen, written like a deadline ('on transfer')."""
    if text is None:
        return None
    try:
        earliest = Deadline.parse(text)
    except DeadlineSyntaxError as exc:
        problems.append(f"{where}.not_before: {exc}")
        return None
    if earliest.key not in key_dates:
        problems.append(f"{where}.not_before: {text!r} counts from {earliest.key!r}, which is "
                        f"not a key date ({', '.join(key_dates)})")
        return None
    return earliest


def _build_guard(where: str, raw: str | dict[str, Any], key_dates: Mapping[str, Any],
                 steps: Mapping[str, Any], states: Mapping[str, Any],
                 problems: list[str]) -> GuardUse | None:
    if isinstance(raw, str):
        name, argument, overridable = raw, None, False
    else:
        options = dict(raw)
        overridable = bool(options.pop("overridable", False))
        if len(options) != 1:
            problems.append(f"{where}: write one guard per item, e.g. '- steps_done: [eli]'")
            return None
        ((name, argument),) = options.items()
    spec = GUARDS.get(name)
    if spec is None:
        problems.append(f"{where}: unknown guard {name!r}; known guards: {sorted(GUARDS)}")
        return None
    kind = spec.argument
    if kind == "none" and argument is not None:
        problems.append(f"{where}.{name}: takes no argument")
    elif kind == "key-date" and argument not in key_dates:
        problems.append(f"{where}.{name}: {argument!r} is not a key date ({', '.join(key_dates)})")
    elif kind == "step" and argument not in steps:
        problems.append(f"{where}.{name}: {argument!r} is not a step")
    elif kind == "name-list" and not (isinstance(argument, list) and argument):
        problems.append(f"{where}.{name}: needs a list of names, e.g. [eli]")
    elif kind in ("step-list", "regime-list", "state-list"):
        known: Iterable[str] = {"step-list": steps, "state-list": states,
                                "regime-list": [r.value for r in Regime]}[kind]
        if not isinstance(argument, list) or not argument:
            problems.append(f"{where}.{name}: needs a list, e.g. [{next(iter(known), 'x')}]")
        else:
            for item in argument:
                if item not in known:
                    problems.append(f"{where}.{name}: {item!r} is not one of {sorted(known)}")
    return GuardUse(name=name, argument=argument, overridable=overridable)


_LIBRARIES: dict[tuple[Path, ...], WorkflowLibrary] = {}
_DEFAULT: dict[str | None, WorkflowLibrary] = {}


def library(*folders: Path) -> WorkflowLibrary:
    """The workflows in ``folders`` (default: the shipped ones and the organisation's own,
    from the settings), loaded once per process."""
    if not folders:
        # The hot path: every trigger asks for its workflow. Key the default on the setting's
        # raw value so that no path has to be resolved on the file system each time.
        setting = os.environ.get("TRANSFER_ENGINE_WORKFLOWS")
        cached = _DEFAULT.get(setting)
        if cached is None:
            cached = _DEFAULT[setting] = library(*get_settings().workflow_folders)
        return cached
    key = tuple(folder.resolve() for folder in folders)
    if key not in _LIBRARIES:
        _LIBRARIES[key] = WorkflowLibrary(*key)
    return _LIBRARIES[key]
