"""What the pages and the JSON API show, worked out once from the engine.

Pages and API must never disagree about what is late or what a trigger needs, so both read
these dataclasses; neither computes deadlines or guards itself.

Red, amber, green: red when any open step is past its statutory date; amber when one falls due
within :data:`~transfer_engine.views.vocabulary.DUE_SOON_DAYS` (counted to its last working
day); green otherwise; grey once the transfer has reached a final state (closed or
cancelled): then nothing is due any more, so it has no next deadline, no overdue step and
nothing on the dashboard's lists. The words for each are
:mod:`transfer_engine.views.vocabulary`'s.
"""

from __future__ import annotations

import threading
from collections import OrderedDict, defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy import func
from sqlmodel import Session, col, select

from transfer_engine.domain import StepStatus
from transfer_engine.engine.advance import valid_triggers
from transfer_engine.errors import GuardFailure, GuardKind
from transfer_engine.rules.exposure import Exposure, exposure, exposures
from transfer_engine.rules.timeline import TimelineEntry, entries
from transfer_engine.store.organisations import Organisation
from transfer_engine.store.queries import definition_of, key_dates_of, steps_of
from transfer_engine.store.transfers import AuditEntry, KeyDate, StepInstance, Transfer
from transfer_engine.views.tasks import Guards, TaskList, task_list
from transfer_engine.views.vocabulary import TRANSFER_STATUS, is_due_soon
from transfer_engine.web.auth import Principal, can_edit, visible_transfer_ids
from transfer_engine.workflow.definition import WorkflowDefinition

RAG_LABELS = {key: status.label for key, status in TRANSFER_STATUS.items()}


@dataclass
class TransferSummary:
    """One row of the dashboard."""

    id: int
    ref: str
    title: str
    state: str
    state_label: str
    final: bool
    regime: str
    transferor: str
    transferee: str
    parent_id: int | None
    transfer_date: date | None
    sample_data: bool
    version: int
    next: TimelineEntry | None
    overdue: list[TimelineEntry]
    due_soon: list[TimelineEntry]
    exposure: Exposure
    rag: str

    @property
    def rag_label(self) -> str:
        return RAG_LABELS[self.rag]

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "ref": self.ref, "title": self.title, "state": self.state,
            "state_label": self.state_label, "regime": self.regime,
            "transferor": self.transferor, "transferee": self.transferee,
            "parent_id": self.parent_id,
            "transfer_date": self.transfer_date.isoformat() if self.transfer_date else None,
            "status": self.rag, "status_label": self.rag_label,
            "next_deadline": self.next.as_json() if self.next else None,
            "overdue_steps": [e.step for e in self.overdue],
            "money_at_risk": self.exposure.as_json(), "sample_data": self.sample_data,
            "version": self.version,
        }


def _rag(final: bool, overdue: list[TimelineEntry], due_soon: list[TimelineEntry]) -> str:
    if final:
        return "grey"
    if overdue:
        return "red"
    return "amber" if due_soon else "green"


def summarise(session: Session, transfer: Transfer, organisations: dict[int, str],
              today: date) -> TransferSummary:
    steps = list(steps_of(session, transfer).values())
    return _summary(transfer, steps, key_dates_of(session, transfer).get("transfer"),
                    exposure(session, transfer.ref, today), organisations, today)


def _summary(transfer: Transfer, steps: list[Any], transfer_date: date | None,
             risk: Exposure, organisations: dict[int, str], today: date) -> TransferSummary:
    definition = definition_of(transfer)
    final = definition.states[transfer.state].final
    # A closed or cancelled transfer owes nothing more: its open steps are no deadlines.
    timeline = [] if final else entries(steps, today)
    open_entries = [e for e in timeline if e.status == StepStatus.open.value and e.due_date]
    overdue = [e for e in open_entries if e.late]
    due_soon = [e for e in open_entries if is_due_soon(e)]
    upcoming = [e for e in open_entries if not e.late]
    return TransferSummary(
        id=transfer.id or 0, ref=transfer.ref, title=transfer.title, state=transfer.state,
        state_label=definition.states[transfer.state].label, final=final,
        regime=transfer.regime.value, transferor=organisations.get(transfer.transferor_id, "?"),
        transferee=organisations.get(transfer.transferee_id, "?"), parent_id=transfer.parent_id,
        transfer_date=transfer_date, sample_data=transfer.sample_data, version=transfer.version,
        next=upcoming[0] if upcoming else (overdue[0] if overdue else None),
        overdue=overdue, due_soon=due_soon, exposure=risk,
        rag=_rag(final, overdue, due_soon),
    )


_STEP_COLUMNS = (col(StepInstance.transfer_id), col(StepInstance.step_id),
                 col(StepInstance.title), col(StepInstance.legal_basis),
                 col(StepInstance.position), col(StepInstance.status), col(StepInstance.due_date),
                 col(StepInstance.working_due_date), col(StepInstance.done_on),
                 col(StepInstance.done_by), col(StepInstance.not_applicable_reason),
                 col(StepInstance.owed_by))


def summaries(session: Session, transfers: list[Transfer], organisations: dict[int, str],
              today: date) -> list[TransferSummary]:
    """Dashboard rows for many transfers in four queries, however many there are.

    Steps, key dates and staff figures are read for all transfers at once (plain rows, not ORM
    objects): the dashboard of a shared service lists a thousand transfers and must still
    answer in well under a tenth of a second.
    """
    ids = [t.id for t in transfers if t.id is not None]
    steps: dict[int, list[Any]] = defaultdict(list)
    dates: dict[int, date] = {}
    connection = session.connection()
    for start in range(0, len(ids), 5_000):
        chunk = ids[start:start + 5_000]
        # SQLAlchemy's select: SQLModel's is typed for at most four columns.
        for row in connection.execute(sa.select(*_STEP_COLUMNS)
                                      .where(col(StepInstance.transfer_id).in_(chunk))):
            steps[row.transfer_id].append(row)
        dates.update(connection.execute(
            select(col(KeyDate.transfer_id), col(KeyDate.value))
            .where(col(KeyDate.transfer_id).in_(chunk), KeyDate.name == "transfer")).all())
    risks = exposures(session, transfers, steps, today)
    return [_summary(t, steps.get(t.id or 0, []), dates.get(t.id or 0), risks[t.id or 0],
                     organisations, today) for t in transfers]


@dataclass
class Attention:
    """A step on one of the dashboard's lists: overdue, or due soon."""

    transfer: TransferSummary
    entry: TimelineEntry


@dataclass
class Dashboard:
    """What the dashboard shows. Its figures are the lengths of its lists (never counted
    separately), so a figure always matches the list under it."""

    rows: list[TransferSummary]
    children: dict[int, list[TransferSummary]]
    overdue: list[Attention]
    due_soon: list[Attention]
    money_at_risk: Decimal

    @property
    def all_rows(self) -> list[TransferSummary]:
        return self.rows + [c for group in self.children.values() for c in group]

    @property
    def attention(self) -> list[Attention]:
        """Every step overdue or due soon, soonest first."""
        return self.overdue + self.due_soon

    @property
    def on_track(self) -> list[TransferSummary]:
        """Transfers still running with nothing overdue or due soon."""
        return [s for s in self.all_rows if s.rag == "green"]

    @property
    def live(self) -> list[TransferSummary]:
        """Transfers not yet closed or cancelled."""
        return [s for s in self.all_rows if not s.final]

    def pages(self) -> int:
        return max(1, -(-len(self.rows) // PAGE_SIZE))

    def page(self, number: int) -> list[TransferSummary]:
        """One page of the "All transfers" table (GOV.UK pagination, 50 a page)."""
        return self.rows[(number - 1) * PAGE_SIZE:number * PAGE_SIZE]


def organisation_names(session: Session) -> dict[int, str]:
    return {o.id: o.name for o in session.exec(select(Organisation)).all() if o.id is not None}


def visible_transfers(session: Session, principal: Principal) -> list[Transfer]:
    visible = visible_transfer_ids(session, principal)
    query = select(Transfer).order_by(Transfer.ref)
    if visible is not None:
        query = query.where(col(Transfer.id).in_(visible or {-1}))
    return list(session.exec(query).all())


PAGE_SIZE = 50
_BOARDS: OrderedDict[tuple[Any, ...], Dashboard] = OrderedDict()
_BOARDS_LOCK = threading.Lock()


def change_token(session: Session) -> Any:
    """Changes whenever anything a page shows does.

    Every change to a transfer, its staff, dates, steps or assignments is audited (the audit
    log is append-only), so the newest audit entry's id is a change counter; reading it is one
    step down an index, however many transfers there are.
    """
    return session.connection().execute(_NEWEST_AUDIT_ENTRY).scalar_one()


_NEWEST_AUDIT_ENTRY = select(func.max(AuditEntry.id))


def dashboard_key(session: Session, principal: Principal, today: date) -> tuple[Any, ...]:
    """What the dashboard shows depends on: the data, the day, and which transfers one sees."""
    visible = visible_transfer_ids(session, principal)
    return (str(session.get_bind().engine.url), change_token(session), today,
            None if visible is None else frozenset(visible))


def dashboard(session: Session, principal: Principal, today: date) -> Dashboard:
    """The dashboard, worked out once per change of the data and reused until the next one.

    Twenty officers opening the dashboard at nine o'clock see the same figures; working them
    out for each request would cost a full read of every transfer each time.
    """
    key = dashboard_key(session, principal, today)
    with _BOARDS_LOCK:
        cached = _BOARDS.get(key)
        if cached is not None:
            _BOARDS.move_to_end(key)
            return cached
    board = _build_dashboard(session, principal, today)
    with _BOARDS_LOCK:
        _BOARDS[key] = board
        while len(_BOARDS) > 32:
            _BOARDS.popitem(last=False)
    return board


def _build_dashboard(session: Session, principal: Principal, today: date) -> Dashboard:
    organisations = organisation_names(session)
    transfers = visible_transfers(session, principal)
    ids = {t.id for t in transfers}
    every = summaries(session, transfers, organisations, today)
    # A child transfer is listed under its programme when the programme is visible too.
    rows = [s for s in every if s.parent_id is None or s.parent_id not in ids]
    children: dict[int, list[TransferSummary]] = defaultdict(list)
    for summary in every:
        if summary.parent_id is not None and summary.parent_id in ids:
            children[summary.parent_id].append(summary)
    def soonest(items: list[Attention]) -> list[Attention]:
        return sorted(items, key=lambda a: (a.entry.working_due_date or date.max,
                                            a.transfer.ref, a.entry.title))

    overdue = soonest([Attention(s, e) for s in every for e in s.overdue])
    due_soon = soonest([Attention(s, e) for s in every for e in s.due_soon])
    # A programme's exposure already adds up its children's.
    money = sum((s.exposure.total for s in rows), Decimal("0"))
    return Dashboard(rows, dict(children), overdue, due_soon, money)


# ---------------------------------------------------------------------------------------------
# One transfer


@dataclass
class TriggerOption:
    """A trigger that can be fired from the current state, and whether its guards hold now."""

    name: str
    label: str
    description: str
    dest: str | None
    dest_label: str | None
    failures: list[GuardFailure]
    completes: list[str]

    @property
    def ready(self) -> bool:
        return not self.failures

    @property
    def overridable(self) -> bool:
        """Every failed guard may be overridden with a recorded reason (special circumstances)."""
        return bool(self.failures) and all(f.overridable for f in self.failures)

    def as_json(self) -> dict[str, Any]:
        return {"trigger": self.name, "label": self.label, "to": self.dest,
                "ready": self.ready, "overridable": self.overridable,
                "completes": self.completes,
                "blocked_by": [f.as_json() for f in self.failures]}


@dataclass
class StepView:
    entry: TimelineEntry
    evidence: str | None
    completed_by: list[tuple[str, str]]   # (trigger name, label) that completes this step

    @property
    def can_mark_done(self) -> bool:
        """Steps no trigger completes are marked done directly, with evidence."""
        return self.entry.status == StepStatus.open.value and not self.completed_by


@dataclass
class TransferPage:
    transfer: Transfer
    summary: TransferSummary
    definition: WorkflowDefinition
    key_dates: dict[str, date]
    timeline: list[TimelineEntry]
    steps: list[StepView]
    triggers: list[TriggerOption]
    children: list[TransferSummary]
    parent: Transfer | None
    editable: bool
    # The steps as a task list by phase, each with its status and action (views.tasks).
    tasks: TaskList | None = None

    @property
    def other_actions(self) -> list[TriggerOption]:
        """Actions that complete no open step (cancelling; moving on once a step was done
        another way, by an override say): the task list cannot show them against a step, so
        the page lists them apart."""
        shown = {task.action.trigger for task in (self.tasks.tasks.values() if self.tasks else ())
                 if task.action is not None and task.action.trigger}
        return [o for o in self.triggers if o.name not in shown]

    @property
    def key_date_labels(self) -> dict[str, str]:
        return {k: v.label for k, v in self.definition.key_dates.items()}


def trigger_options(session: Session, transfer: Transfer, today: date,
                    guards: Guards | None = None) -> list[TriggerOption]:
    """The triggers worth offering now, in the workflow's order (cancelling last); ``guards``:
    checks already made today (shared with the task list).

    A trigger that neither moves the transfer nor completes an open step would change nothing
    (its steps are done already), so it is left out rather than offered as a button.
    """
    definition = definition_of(transfer, session)
    steps = steps_of(session, transfer)
    guards = guards or Guards(session, transfer, today, steps)
    options = []
    for name in valid_triggers(transfer):
        trigger = definition.triggers[name]
        dest = trigger.dest if trigger.dest and trigger.dest != transfer.state else None
        open_steps = [s for s in trigger.completes
                      if s in steps and steps[s].status == StepStatus.open]
        if dest is None and trigger.completes and not open_steps:
            continue
        failures = guards(name)
        if any(f.kind == GuardKind.wrong_regime for f in failures):
            # For another regime (a school whose employer does not change is offered no TUPE
            # action, and the other way round): it can never apply here, so it is not offered.
            continue
        options.append(TriggerOption(
            name=name, label=trigger.label, description=trigger.description, dest=dest,
            dest_label=definition.states[dest].label if dest else None,
            failures=failures, completes=list(trigger.completes)))
    # Ending a transfer is never the obvious next thing to do: it goes last.
    options.sort(key=lambda o: o.dest is not None and definition.states[o.dest].final
                 and o.name != "close")
    return options


def transfer_page_key(session: Session, principal: Principal, transfer: Transfer,
                      today: date) -> tuple[Any, ...]:
    """What a transfer's page shows depends on: the data, the day, and what one may see and do
    (child transfers one can see, whether one can change this one)."""
    visible = visible_transfer_ids(session, principal)
    return (transfer.id, change_token(session), today,
            None if visible is None else frozenset(visible),
            can_edit(session, principal, transfer))


def transfer_page(session: Session, principal: Principal, transfer: Transfer,
                  today: date) -> TransferPage:
    definition = definition_of(transfer, session)
    organisations = organisation_names(session)
    instances: dict[str, StepInstance] = steps_of(session, transfer)
    timeline = entries(list(instances.values()), today)
    completed_by: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for trigger in definition.triggers.values():
        for step_id in trigger.completes:
            completed_by[step_id].append((trigger.name, trigger.label))
    steps = [StepView(e, instances[e.step].evidence, completed_by.get(e.step, []))
             for e in timeline]
    guards = Guards(session, transfer, today, instances)  # the actions' and the tasks' alike
    visible = visible_transfer_ids(session, principal)
    children = summaries(session, [child for child in session.exec(
        select(Transfer).where(Transfer.parent_id == transfer.id).order_by(Transfer.ref)).all()
        if visible is None or child.id in visible], organisations, today)
    parent = session.get(Transfer, transfer.parent_id) if transfer.parent_id else None
    if parent is not None and visible is not None and parent.id not in visible:
        parent = None
    return TransferPage(
        transfer=transfer, summary=summarise(session, transfer, organisations, today),
        definition=definition, key_dates=key_dates_of(session, transfer), timeline=timeline,
        steps=steps, triggers=trigger_options(session, transfer, today, guards),
        children=children, parent=parent, editable=can_edit(session, principal, transfer),
        tasks=task_list(session, transfer, today, guards))
