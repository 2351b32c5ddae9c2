"""A transfer's steps as a task list: grouped by phase, each with where it stands and the one
action that completes it (or why that action cannot be taken yet).

The transfer page (GOV.UK "task list" pattern) and each step's own page read these; neither
works out a status or a guard itself. Words for statuses are here, next to the rule that picks
them, and use the service's vocabulary (:mod:`transfer_engine.views.vocabulary`) where the two
overlap. What blocks an action is kept as data (guard failures, the states the transfer must
reach first, the steps to complete first, the earliest date); the web layer words it and links
each blocker to the page that removes it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlmodel import Session, col, select

from transfer_engine.domain import StepStatus
from transfer_engine.engine.advance import check_guards
from transfer_engine.errors import GuardFailure
from transfer_engine.letters.catalogue import catalogue
from transfer_engine.letters.templates import long_date
from transfer_engine.rules.evidence import EvidenceFacts, Finding, judge, load_steps
from transfer_engine.rules.timeline import TimelineEntry, entries
from transfer_engine.store.queries import definition_of, key_dates_of, steps_of
from transfer_engine.store.register import StepDocument
from transfer_engine.store.transfers import StepInstance, Transfer
from transfer_engine.views.history import display_names, who
from transfer_engine.views.vocabulary import STEP_STATUS, Status, step_status
from transfer_engine.workflow.definition import Step, WorkflowDefinition
from transfer_engine.workflow.evidence_names import Evidence
from transfer_engine.workflow.schema import PHASES

__all__ = ["ELECTION_STAGES", "Blocked", "EvidenceLine", "Guards", "StepAction",
           "StepDetail", "Task", "TaskGroup", "TaskList", "step_detail", "task_list"]

#: The reg 14 election's steps, in order, and the stage of the election each records (the
#: representatives page records them, per employer).
ELECTION_STAGES = {
    "election_invitation": ("invite", "Record the invitation to elect representatives"),
    "election_nominations": ("nominations", "Record the close of nominations"),
    "election_ballot": ("ballot", "Record the ballot"),
    "election_result": ("result", "Record the result of the election"),
}


@dataclass(frozen=True)
class Blocked:
    """Why a step's action cannot be taken now, as data: guard failures; the states the
    transfer must be in (and the steps whose actions move it there); steps to complete first;
    the earliest day it can happen (and the key date that sets it)."""

    failures: tuple[GuardFailure, ...] = ()
    states: tuple[str, ...] = ()           # state labels
    steps: tuple[str, ...] = ()            # step ids to complete first
    earliest: date | None = None
    key_date: str | None = None            # key date name behind ``earliest``
    rule: str | None = None                # how ``earliest`` is counted, when not the key date
    ended: bool = False                    # the transfer is closed or cancelled


@dataclass(frozen=True)
class StepAction:
    """The one thing that completes an open step.

    ``kind``: ``trigger`` (an action of the workflow), ``mark-done`` (a step no action
    completes: recorded with its evidence), ``election`` (a stage of a reg 14 election),
    ``letter`` (recorded, waiting for letters to be issued), ``document`` (waiting for a
    document), ``eli`` (waiting for the employee liability information to be complete),
    ``representatives`` (waiting for representatives to be recorded), ``representations``
    (waiting for the reply to a representation, reg 13(7)).
    """

    kind: str
    label: str
    trigger: str | None = None
    letters: tuple[str, ...] = ()
    stage: str | None = None
    blocked: Blocked | None = None
    overridable: bool = False   # blocked only by guards an override with a reason may pass

    @property
    def ready(self) -> bool:
        return self.blocked is None

    @property
    def can_try(self) -> bool:
        """Offered as a button: ready, or blocked only by what an override can pass."""
        return self.blocked is None or self.overridable


@dataclass(frozen=True)
class Task:
    step: Step
    entry: TimelineEntry
    row: StepInstance
    status: Status
    action: StepAction | None

    @property
    def id(self) -> str:
        return self.step.id


@dataclass(frozen=True)
class TaskGroup:
    key: str
    label: str
    tasks: list[Task]

    @property
    def done(self) -> int:
        return sum(1 for t in self.tasks if t.row.status != StepStatus.open)


@dataclass(frozen=True)
class TaskList:
    groups: list[TaskGroup]
    tasks: dict[str, Task] = field(default_factory=dict)

    @property
    def open_count(self) -> int:
        return sum(1 for t in self.tasks.values() if t.row.status == StepStatus.open)


def _moves_into(definition: WorkflowDefinition, state: str,
                states: tuple[str, ...]) -> list[str]:
    """The steps whose actions take a transfer in ``state`` towards one of ``states``: those
    leaving ``state`` for one of them, else any that lead into one of them."""
    into = [t for t in definition.triggers.values() if t.dest in states and t.completes]
    here = [t for t in into if state in t.sources] or into
    return list(dict.fromkeys(t.completes[0] for t in here))


class Guards:
    """Guard failures of each trigger, worked out once per page (the transfer's page shares
    one between its task list and its actions)."""

    def __init__(self, session: Session, transfer: Transfer, today: date,
                 steps: Mapping[str, Any]) -> None:
        self.session, self.transfer, self.today, self.steps = session, transfer, today, steps
        self._found: dict[str, list[GuardFailure]] = {}

    def __call__(self, trigger: str) -> list[GuardFailure]:
        if trigger not in self._found:
            self._found[trigger] = check_guards(self.session, self.transfer, trigger,
                                                today=self.today, steps=self.steps)
        return self._found[trigger]


def _lacking(step: Step, row: StepInstance, facts: EvidenceFacts | None) -> list[Evidence]:
    """The kinds of evidence a recorded step still lacks (all but its note, unjudged)."""
    kinds = [e for e in step.evidence if e.kind != "note"]
    if facts is None:
        return kinds
    return [e for e in kinds if not judge(facts, step, row, (e,)).holds]


def _waiting_action(step: Step, lacking: list[Evidence]) -> StepAction | None:
    """A step recorded as done, waiting for its evidence: what would provide it."""
    for evidence in lacking:
        if evidence.kind == "letter" and evidence.letter:
            names = tuple(n for n in (evidence.letter, evidence.without_representatives) if n)
            return StepAction("letter", "Issue the letters", letters=names)
        if evidence.kind == "eli_complete":
            return StepAction("eli", "Complete the employee liability information",
                              letters=("eli-cover", "eli-schedule"))
        if evidence.kind == "document":
            return StepAction("document", "Attach a document")
        if evidence.kind == "representatives":
            return StepAction("representatives", "Record the representatives")
        if evidence.kind == "representations_answered":
            return StepAction("representations", "Reply to the representations")
    return None


def _action(definition: WorkflowDefinition, transfer: Transfer, step: Step, row: StepInstance,
            rows: Mapping[str, StepInstance], guards: Guards, key_dates: Mapping[str, date],
            today: date, facts: EvidenceFacts | None = None) -> StepAction | None:
    if row.status != StepStatus.open:
        return None
    if definition.states[transfer.state].final:
        return StepAction("none", "", blocked=Blocked(ended=True))
    if step.id in ELECTION_STAGES:
        stage, label = ELECTION_STAGES[step.id]
        order = list(ELECTION_STAGES)
        earlier = [s for s in order[:order.index(step.id)]
                   if s in rows and rows[s].status == StepStatus.open]
        return StepAction("election", label, stage=stage,
                          blocked=Blocked(steps=(earlier[-1],)) if earlier else None)
    if row.recorded_on is not None:
        waiting = _waiting_action(step, _lacking(step, row, facts))
        if waiting is not None:
            return waiting
    triggers = definition.triggers_completing(step.id)
    if triggers:
        now = [t for t in triggers if transfer.state in t.sources]
        if now:
            trigger = now[0]
            failures = guards(trigger.name)
            blocked = Blocked(failures=tuple(failures)) if failures else None
            return StepAction("trigger", trigger.label, trigger=trigger.name, blocked=blocked,
                              overridable=bool(failures) and all(f.overridable
                                                                 for f in failures))
        trigger = triggers[0]
        states = tuple(s for s in trigger.sources if s in definition.states)
        return StepAction("trigger", trigger.label, trigger=trigger.name, blocked=Blocked(
            states=tuple(definition.states[s].label for s in states),
            steps=tuple(_moves_into(definition, transfer.state, states))))
    earliest = step.earliest(key_dates)
    if earliest is not None and earliest > today and step.not_before is not None:
        rule = step.not_before.text
        return StepAction("mark-done", "Mark as done", blocked=Blocked(
            earliest=earliest, key_date=step.not_before.key,
            rule=None if rule == f"on {step.not_before.key}" else rule))
    return StepAction("mark-done", "Mark as done")


def _status(entry: TimelineEntry, action: StepAction | None) -> Status:
    """Where one task stands, as the task list shows it (GOV.UK task list statuses).

    The service's one vocabulary (:func:`step_status`), plus what only the task list knows: a
    step of an ended transfer was not done, and one whose action cannot be taken yet cannot
    start. "Done" and "Does not apply" are plain text there (the pattern's "Completed" and
    "Cannot start yet" styles); the others are tags.
    """
    status = step_status(entry)
    if entry.status in (StepStatus.done.value, StepStatus.not_applicable.value):
        return status
    if action is not None and action.blocked is not None and action.blocked.ended:
        return STEP_STATUS["not-done"]
    if status.key == "not-started" and action is not None and not action.can_try:
        return STEP_STATUS["cannot-start"]
    return status


def task_list(session: Session, transfer: Transfer, today: date,
              guards: Guards | None = None) -> TaskList:
    """Every step of ``transfer``, by phase in the workflow's order of phases, each phase's
    steps by due date (as the timeline orders them); ``guards``: checks already made today."""
    definition = definition_of(transfer, session)
    rows = steps_of(session, transfer)
    key_dates = key_dates_of(session, transfer)
    guards = guards or Guards(session, transfer, today, rows)
    tasks: dict[str, Task] = {}
    for entry in entries(list(rows.values()), today):
        step = definition.steps.get(entry.step)
        if step is None:  # a step the stored definition no longer names: not offered
            continue
        row = rows[entry.step]
        action = _action(definition, transfer, step, row, rows, guards, key_dates, today)
        tasks[entry.step] = Task(step, entry, row, _status(entry, action), action)
    groups = []
    for key, label in PHASES.items():
        members = [t for t in tasks.values() if t.step.phase == key]
        if members:
            groups.append(TaskGroup(key, label, members))
    return TaskList(groups, tasks)


# ---------------------------------------------------------------------------------------------
# One step's page


@dataclass(frozen=True)
class EvidenceLine:
    """One kind of evidence: what the law needs, and whether it is there (what shows it, or
    what it lacks), in words."""

    needed: str
    held: bool
    text: str


@dataclass(frozen=True)
class StepDetail:
    task: Task
    description: str
    evidence: list[EvidenceLine]
    done_by: str | None             # who recorded it, by name
    recorded_on: date | None        # when it was recorded (awaiting its evidence)
    recorded_by: str | None
    overridden_by: str | None
    note: str | None
    documents: list[StepDocument]
    transfer_date: date | None


_ISO = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")

def plain_evidence(text: str, letter_titles: Mapping[str, str]) -> str:
    """Evidence text with the letters' titles for their names and dates written out."""
    def date_words(match: re.Match[str]) -> str:
        try:
            return long_date(date(int(match[1]), int(match[2]), int(match[3])))
        except ValueError:
            return match[0]

    text = _ISO.sub(date_words, text)
    for name in sorted(letter_titles, key=len, reverse=True):
        text = re.sub(rf"(?<![\w-]){re.escape(name)}(?![\w-])", f"“{letter_titles[name]}”", text)
    return text[:1].upper() + text[1:]


#: Whom a letter that is evidence must reach, in words.
_TO = {
    "representatives": "every appropriate representative",
    "affected-employees": "every affected employee",
    "transferring-employees": "every transferring employee",
    "objecting-employees": "every employee who objected",
    "eli": "the new employer, about every transferring employee",
    "transferee": "the new employer",
}


def needed_words(evidence: Evidence, letter_titles: Mapping[str, str]) -> str:
    """What one kind of evidence asks for, in words."""
    if evidence.kind == "letter" and evidence.letter:
        title = letter_titles.get(evidence.letter, evidence.letter)
        words = f"“{title}” issued to {_TO.get(evidence.to or '', 'its recipients')}"
        if evidence.without_representatives:
            direct = letter_titles.get(evidence.without_representatives,
                                       evidence.without_representatives)
            words += (f" (or, where there are no representatives and reg 13A or reg 13(11) "
                      f"applies, “{direct}” to every affected employee)")
        return words
    return {
        "note": "A dated record that it was done (a note, such as the minute or letter "
                "reference)",
        "document": "A document attached to the step",
        "eli_complete": "The employee liability information, every reg 11(2) item, given "
                        "for every transferring employee",
        "representatives": "Representatives in place: a recognised union, representatives "
                           "elected under reg 14, or informing each employee under reg 13A "
                           "or reg 13(11)",
        "representations_answered": "A reply to every representation the representatives "
                                    "made, with reasons for rejecting any of it (reg 13(7))",
    }.get(evidence.kind, evidence.kind)


def _finding_text(finding: Finding, evidence: Evidence, row: StepInstance,
                  names: Mapping[str, str], titles: Mapping[str, str]) -> str:
    if evidence.kind == "note":
        on = row.recorded_on or (row.done_on if row.status == StepStatus.done else None)
        by = row.recorded_by or row.done_by
        if on is None or (row.override_reason and row.recorded_on is None):
            return "Not recorded yet"
        note = f": {row.evidence}" if row.evidence else ""
        return (f"Recorded as done on {long_date(on)} by {who(by or '', names) or 'someone'}"
                f"{note}")
    return plain_evidence(finding.text, titles)


def step_detail(session: Session, transfer: Transfer, step_id: str, today: date) -> StepDetail:
    """Everything a step's page shows. Raises ``KeyError`` for a step the transfer has not."""
    definition = definition_of(transfer, session)
    rows = steps_of(session, transfer)
    row, step = rows[step_id], definition.steps[step_id]
    key_dates = key_dates_of(session, transfer)
    connection = session.connection()
    facts = EvidenceFacts(connection, transfer.id or 0, load_steps(connection, transfer.id))
    entry = next(e for e in entries(list(rows.values()), today) if e.step == step_id)
    guards = Guards(session, transfer, today, rows)
    action = _action(definition, transfer, step, row, rows, guards, key_dates, today, facts)
    task = Task(step, entry, row, _status(entry, action), action)
    titles = {name: spec.title for name, spec in catalogue().letters.items()}
    names = display_names(session, [a for a in (row.done_by, row.recorded_by, row.overridden_by)
                                    if a])
    evidence = []
    if row.status != StepStatus.not_applicable:
        for kind in step.evidence:
            finding = judge(facts, step, row, (kind,)).findings[0]
            evidence.append(EvidenceLine(needed_words(kind, titles), finding.held,
                                         _finding_text(finding, kind, row, names, titles)))
    documents = list(session.exec(
        select(StepDocument).where(StepDocument.transfer_id == transfer.id,
                                   StepDocument.step_id == step_id)
        .order_by(col(StepDocument.id))).all())
    rule = step.rule_for(key_dates.get("transfer"))
    description = step.description or ""
    if rule is not None and rule.title and rule.title != step.title and not description:
        description = rule.title
    return StepDetail(
        task=task, description=description, evidence=evidence,
        done_by=who(row.done_by, names) if row.done_by else None,
        recorded_on=row.recorded_on,
        recorded_by=who(row.recorded_by, names) if row.recorded_by else None,
        overridden_by=who(row.overridden_by, names) if row.overridden_by else None,
        note=row.evidence, documents=documents, transfer_date=key_dates.get("transfer"))
