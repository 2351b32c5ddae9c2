"""A programme's schools by milestone, and what an action for many of them would do to each.

A programme (``acsws-to-schools``) is a parent transfer whose receiving schools are child
transfers on one workflow. Its page shows a grid: one row per school, one column per
milestone of the children's workflow (its phases: decide, inform and consult, the ELI, go
live...), each cell where that milestone stands (the service's step statuses, in words and
colour) and its date. Filters narrow the rows by the school's status, its type or regime, or a
milestone late or due soon.

Before an action is applied to many schools, :func:`check_trigger` and :func:`check_step` say
for each school whether it can apply and, if not, why, as data (guard failures, the states it
needs, the step's own status): the web layer words them. The engine applies the action
(:mod:`transfer_engine.engine.programme`), each school in its own transaction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlmodel import Session, col, select

from transfer_engine.domain import StepStatus
from transfer_engine.engine.advance import check_guards
from transfer_engine.engine.evidence import judge_step
from transfer_engine.errors import GuardFailure, GuardKind, NotFoundError
from transfer_engine.rules.guards import GuardContext
from transfer_engine.rules.happened import not_yet
from transfer_engine.rules.timeline import TimelineEntry, entries
from transfer_engine.store.organisations import Organisation
from transfer_engine.store.queries import definition_of, steps_of, steps_of_each
from transfer_engine.store.transfers import Transfer
from transfer_engine.views.vocabulary import (
    STEP_STATUS,
    Status,
    is_due_soon,
    regime_words,
    step_status,
    transfer_status,
)
from transfer_engine.workflow.definition import WorkflowDefinition
from transfer_engine.workflow.loader import library
from transfer_engine.workflow.schema import PHASES

__all__ = ["TIMINGS", "Cell", "ChildCheck", "Grid", "GridFilter", "Milestone", "SchoolRow",
           "check_step", "check_trigger", "children_workflow", "programme_grid",
           "school_types"]

#: "Late or due soon" filters on a milestone, in words.
TIMINGS = {"late": "Late", "due-soon": "Due soon", "late-or-due-soon": "Late or due soon"}

#: How a page says a school's type.
SCHOOL_TYPE_WORDS = {"community": "Community", "voluntary-controlled": "Voluntary controlled",
                     "foundation": "Foundation", "voluntary-aided": "Voluntary aided",
                     "academy": "Academy"}


@dataclass(frozen=True)
class Milestone:
    """A column: one phase of the children's workflow."""

    key: str
    label: str


@dataclass(frozen=True)
class Cell:
    """Where one school stands on one milestone: its status and the date that goes with it
    (the next deadline of its open steps; the day its last step was done; none where it does
    not apply), and the steps behind it, for the cell's details."""

    status: Status
    due: date | None = None
    done_on: date | None = None
    steps: tuple[tuple[str, Status], ...] = ()

    @property
    def late(self) -> bool:
        return self.status.key == "late"

    @property
    def due_soon(self) -> bool:
        return self.status.key == "due-soon"


@dataclass(frozen=True)
class SchoolRow:
    id: int
    ref: str
    title: str
    school: str                 # the receiving school's name
    school_type: str | None     # its type's key (SCHOOL_TYPE_WORDS)
    regime: str
    state: str
    state_label: str
    status: Status              # the transfer's status (TRANSFER_STATUS)
    cells: dict[str, Cell]

    @property
    def school_type_words(self) -> str:
        return SCHOOL_TYPE_WORDS.get(self.school_type or "", "Not recorded")

    @property
    def regime_words(self) -> str:
        return regime_words(self.regime)

    def as_json(self) -> dict[str, Any]:
        return {"ref": self.ref, "title": self.title, "school": self.school,
                "school_type": self.school_type, "regime": self.regime, "state": self.state,
                "state_label": self.state_label, "status": self.status.key,
                "status_label": self.status.label,
                "milestones": {k: {"status": c.status.key, "status_label": c.status.label,
                                   "due": c.due.isoformat() if c.due else None,
                                   "done_on": c.done_on.isoformat() if c.done_on else None}
                               for k, c in self.cells.items()}}


@dataclass(frozen=True)
class GridFilter:
    """What narrows the grid: the school's status (TRANSFER_STATUS key), type, regime, and a
    milestone that is late or due soon (TIMINGS key; any milestone when none is named)."""

    status: str = ""
    school_type: str = ""
    regime: str = ""
    milestone: str = ""
    timing: str = ""

    @property
    def active(self) -> bool:
        return any((self.status, self.school_type, self.regime, self.milestone, self.timing))

    def keeps(self, row: SchoolRow) -> bool:
        if self.status and row.status.key != self.status:
            return False
        if self.school_type and row.school_type != self.school_type:
            return False
        if self.regime and row.regime != self.regime:
            return False
        cells = ([row.cells[self.milestone]] if self.milestone in row.cells
                 else list(row.cells.values()))
        if self.timing == "late":
            return any(c.late for c in cells)
        if self.timing == "due-soon":
            return any(c.due_soon for c in cells)
        if self.timing == "late-or-due-soon":
            return any(c.late or c.due_soon for c in cells)
        return True


@dataclass
class Grid:
    milestones: list[Milestone]
    rows: list[SchoolRow]               # the rows the filter keeps
    total: int                          # every school (the filter's denominator)
    filter: GridFilter
    school_types: list[str] = field(default_factory=list)   # present among the schools
    regimes: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {"milestones": [{"key": m.key, "label": m.label} for m in self.milestones],
                "total": self.total, "shown": len(self.rows),
                "schools": [r.as_json() for r in self.rows]}


def children_workflow(session: Session, parent: Transfer) -> WorkflowDefinition | None:
    """The workflow of the programme's children (the first child's: they share one)."""
    child = session.exec(select(Transfer).where(Transfer.parent_id == parent.id)
                         .order_by(col(Transfer.ref)).limit(1)).first()
    return definition_of(child, session) if child is not None else None


def _children(session: Session, parent: Transfer,
              refs: Sequence[str] | None = None) -> list[Transfer]:
    query = select(Transfer).where(Transfer.parent_id == parent.id).order_by(col(Transfer.ref))
    if refs is not None:
        query = query.where(col(Transfer.ref).in_(list(refs)))
    return list(session.exec(query).all())


def _seeded_schools(parent: Transfer) -> dict[str, str]:
    """Each child's school (slug) as the programme's seed workflow names it. A school its
    council employs the staff of records that council as the transfer's transferee, so the
    school itself is known from the seed only; elsewhere the transferee is the school."""
    try:
        seed = library().get(parent.workflow_id).seed
    except NotFoundError:
        return {}
    return {c.ref: c.transferee for c in seed.children} if seed else {}


def _cell(timeline: list[TimelineEntry], final: bool) -> Cell:
    """A milestone's cell from its steps' timeline entries."""
    applying = [e for e in timeline if e.status != StepStatus.not_applicable.value]
    shown = tuple((e.title, step_status(e)) for e in applying)
    if not applying:
        return Cell(STEP_STATUS["not-applicable"])
    open_ = [e for e in applying if e.status == StepStatus.open.value]
    if not open_:
        last = max((e.done_on for e in applying if e.done_on), default=None)
        late = any(e.late for e in applying)
        return Cell(STEP_STATUS["done-late" if late else "done"], done_on=last, steps=shown)
    due = min((e.working_due_date for e in open_ if e.working_due_date), default=None)
    if final:  # closed or cancelled: nothing more is due
        return Cell(STEP_STATUS["not-started"], steps=shown)
    if any(e.late for e in open_):
        return Cell(STEP_STATUS["late"], due=due, steps=shown)
    if any(is_due_soon(e) for e in open_):
        return Cell(STEP_STATUS["due-soon"], due=due, steps=shown)
    return Cell(STEP_STATUS["not-started"], due=due, steps=shown)


def _milestones(definition: WorkflowDefinition) -> list[Milestone]:
    used = {s.phase for s in definition.steps.values()}
    return [Milestone(key, label) for key, label in PHASES.items() if key in used]


def programme_grid(session: Session, parent: Transfer, today: date,
                   wanted: GridFilter | None = None,
                   visible: set[int] | None = None) -> Grid:
    """The programme's schools by milestone (only those in ``visible``, when given), with the
    rows ``wanted`` keeps."""
    wanted = wanted or GridFilter()
    definition = children_workflow(session, parent)
    milestones = _milestones(definition) if definition else []
    organisations = list(session.exec(select(Organisation)).all())
    by_id = {o.id: o for o in organisations}
    by_slug = {o.slug: o for o in organisations}
    named = _seeded_schools(parent)
    rows = []
    children = [child for child in _children(session, parent)
                if visible is None or child.id in visible]
    steps = steps_of_each(session, children)  # one query, however many schools
    for child in children:
        child_definition = definition_of(child, session)
        final = child_definition.states[child.state].final
        timeline = entries(list(steps[child.id or 0].values()), today)
        by_phase: dict[str, list[TimelineEntry]] = {}
        for entry in timeline:
            step = child_definition.steps.get(entry.step)
            if step is not None:
                by_phase.setdefault(step.phase, []).append(entry)
        receiving = by_id.get(child.transferee_id)
        school = by_slug.get(named.get(child.ref, "")) or (
            receiving if receiving is not None and receiving.school_type else None)
        rows.append(SchoolRow(
            id=child.id or 0, ref=child.ref, title=child.title,
            school=school.name if school else child.title,
            school_type=school.school_type.value if school and school.school_type else None,
            regime=child.regime.value, state=child.state,
            state_label=child_definition.states[child.state].label,
            status=transfer_status(timeline, final),
            cells={m.key: _cell(by_phase.get(m.key, []), final) for m in milestones}))
    return Grid(milestones, [r for r in rows if wanted.keeps(r)], len(rows), wanted,
                school_types=[t for t in SCHOOL_TYPE_WORDS
                              if any(r.school_type == t for r in rows)],
                regimes=list(dict.fromkeys(r.regime for r in rows)))


def school_types() -> Mapping[str, str]:
    return SCHOOL_TYPE_WORDS


# ---------------------------------------------------------------------------------------------
# What an action for many schools would do to each (nothing is written)


@dataclass(frozen=True)
class ChildCheck:
    """Whether an action can apply to one school now, and if not, why (as data).

    ``applies`` False: the action is not for this school at all (its state is past it, its
    regime is not the action's, the step does not apply or is done): it is left alone.
    ``failures``: guard failures that hold it back; ``states``: the states (labels) the school
    must be in; ``done_on``: the step was done that day; ``missing``: the evidence the step
    still lacks."""

    ref: str
    title: str
    state_label: str
    applies: bool = True
    failures: tuple[GuardFailure, ...] = ()
    states: tuple[str, ...] = ()
    not_applicable: bool = False
    done_on: date | None = None
    done_by: str | None = None
    missing: str | None = None
    overridable: bool = False

    @property
    def ready(self) -> bool:
        return self.applies and not self.failures and not self.missing


def check_trigger(session: Session, parent: Transfer, trigger: str, today: date, *,
                  refs: Sequence[str] | None = None) -> list[ChildCheck]:
    """For each school (or each of ``refs``), whether firing ``trigger`` now would apply."""
    checks = []
    for child in _children(session, parent, refs):
        definition = definition_of(child, session)
        label = definition.states[child.state].label
        spec = definition.triggers.get(trigger)
        if spec is None or child.state not in spec.sources:
            states = tuple(definition.states[s].label for s in spec.sources) if spec else ()
            checks.append(ChildCheck(child.ref, child.title, label, applies=False,
                                     states=states))
            continue
        failures = check_guards(session, child, trigger, today=today)
        wrong_regime = any(f.kind == GuardKind.wrong_regime for f in failures)
        checks.append(ChildCheck(child.ref, child.title, label, applies=not wrong_regime,
                                 failures=tuple(failures)))
    return checks


def check_step(session: Session, parent: Transfer, step_id: str, today: date, *,
               refs: Sequence[str] | None = None) -> list[ChildCheck]:
    """For each school (or each of ``refs``), whether recording ``step_id`` as done now would
    apply: by the action that completes it in the school's state, or, for a step no action
    completes, directly with its evidence."""
    checks = []
    for child in _children(session, parent, refs):
        definition = definition_of(child, session)
        label = definition.states[child.state].label
        steps = steps_of(session, child)
        row = steps.get(step_id)
        if row is None or row.status == StepStatus.not_applicable:
            checks.append(ChildCheck(child.ref, child.title, label, applies=False,
                                     not_applicable=True))
            continue
        if row.status == StepStatus.done:
            checks.append(ChildCheck(child.ref, child.title, label, applies=False,
                                     done_on=row.done_on, done_by=row.done_by))
            continue
        completing = definition.triggers_completing(step_id)
        if completing:
            now = [t for t in completing if child.state in t.sources]
            if not now:
                states = tuple(definition.states[s].label for t in completing
                               for s in t.sources)
                checks.append(ChildCheck(child.ref, child.title, label,
                                         states=tuple(dict.fromkeys(states))))
                continue
            failures = check_guards(session, child, now[0].name, today=today, steps=steps)
            checks.append(ChildCheck(
                child.ref, child.title, label, failures=tuple(failures),
                overridable=bool(failures) and all(f.overridable for f in failures)))
            continue
        ctx = GuardContext(session.connection(), child, definition, steps, today=today)
        waiting = tuple(not_yet(ctx, [step_id]))
        judgement = judge_step(session.connection(), child.id or 0, definition, step_id,
                               without_note=True)
        checks.append(ChildCheck(child.ref, child.title, label, failures=waiting,
                                 missing=None if judgement.holds else judgement.missing))
    return checks
