"""The history of a transfer (and the whole audit log) as people read it: filtered, a page at a
time, in plain English.

The audit log stores internal names (``step-done``, ``web:officer@example.org``, trigger and
step ids, UTC times); this read model turns each entry into what someone would say: who (the
account's name), what (:data:`~transfer_engine.views.vocabulary.ACTION_LABELS`), when (UK time)
and the details, with the workflow's own titles for its steps, actions and states. Filters are
by transfer, by who, by kind of action and by a range of UK days; the newest entries come first.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from transfer_engine.letters.templates import long_date
from transfer_engine.store.accounts import User
from transfer_engine.store.queries import definition_of
from transfer_engine.store.transfers import AuditEntry, Transfer
from transfer_engine.views.audit_privacy import (
    KnownEmployees,
    known_employees,
    without_personal_data,
)
from transfer_engine.views.times import day_bounds, time_text
from transfer_engine.views.vocabulary import action_label, regime_words
from transfer_engine.workflow.definition import WorkflowDefinition

__all__ = ["PAGE_SIZE", "HistoryFilter", "HistoryPage", "HistoryRow", "describe",
           "display_names", "history", "who"]

PAGE_SIZE = 50


@dataclass(frozen=True)
class HistoryFilter:
    """What to show: ``None`` for any."""

    transfer_id: int | None = None
    actor: str | None = None
    action: str | None = None
    since: date | None = None
    until: date | None = None

    @property
    def active(self) -> bool:
        return any(v is not None for v in (self.actor, self.action, self.since, self.until))


@dataclass(frozen=True)
class HistoryRow:
    id: int
    when: str
    who: str
    what: str
    state: str
    details: str
    transfer_id: int | None
    transfer_ref: str | None


@dataclass(frozen=True)
class HistoryPage:
    rows: list[HistoryRow]
    page: int
    pages: int
    total: int
    #: The choices of the filters: (value, words), from what this history holds (transfers:
    #: only when asked for, for the whole log's filter by transfer).
    people: list[tuple[str, str]]
    actions: list[tuple[str, str]]
    transfers: list[tuple[int, str]]


def _long_date(text: Any) -> str:
    try:
        day = date.fromisoformat(str(text))
    except ValueError:
        return str(text)
    return long_date(day)


def who(actor: str, names: Mapping[str, str]) -> str:
    """An audit entry's actor as a person reads it: the account's name for someone signed in
    (``web:jo@example.org`` is "Jo Bloggs"), "name (command line)" for the CLI."""
    kind, _, name = actor.partition(":")
    if kind == "web" and name:
        return names.get(name.casefold(), name)
    if kind == "cli" and name:
        return f"{name} (command line)"
    if kind == "test" and name:
        return name
    return actor


def _step(definition: WorkflowDefinition | None, step_id: Any) -> str:
    if definition is not None and step_id in definition.steps:
        return definition.steps[step_id].title
    return str(step_id).replace("_", " ")


def _trigger(definition: WorkflowDefinition | None, name: Any) -> str:
    if definition is not None and name in definition.triggers:
        return definition.triggers[name].label
    return str(name).replace("_", " ")


def _state(definition: WorkflowDefinition | None, name: str | None) -> str:
    if not name:
        return ""
    if definition is not None and name in definition.states:
        return definition.states[name].label
    return name.replace("_", " ")


def _key_date(definition: WorkflowDefinition | None, name: Any) -> str:
    if definition is not None and name in definition.key_dates:
        return definition.key_dates[name].label
    return str(name).replace("_", " ")


def describe(entry: AuditEntry, personal: bool,
             definition: WorkflowDefinition | None = None,
             known: KnownEmployees | None = None) -> str:
    """One line of what changed, from the entry's data, in the workflow's words (without
    personal data: the employees in ``known`` counted, never named)."""
    d: dict[str, Any] = dict(entry.data or {})
    if not personal:
        d = without_personal_data(d, known)
    if entry.action == "advance":
        steps = [_step(definition, s) for s in d.get("completed_steps") or []]
        done = f"; done: {'; '.join(steps)}" if steps else ""
        note = f" ({d['note']})" if d.get("note") else ""
        # The day it happened, as stated (the entry's time is when it was recorded); entries
        # from before it was asked for have none.
        on = f"; happened on {_long_date(d['occurred_on'])}" if d.get("occurred_on") else ""
        return f"{_trigger(definition, d.get('trigger', ''))}{done}{on}{note}"
    if entry.action == "override":
        return f"{_trigger(definition, d.get('trigger'))}: {d.get('reason')}"
    if entry.action == "rescheduled":
        return (f"{_key_date(definition, d.get('key_date'))} {_long_date(d.get('old'))} → "
                f"{_long_date(d.get('new'))}: {d.get('reason')}")
    if entry.action == "workflow-migrated":
        moved = [f"{_step(definition, m['step'])} {_long_date(m['old_due'] or 'none')} → "
                 f"{_long_date(m['new_due'] or 'none')}"
                 for m in (d.get("report") or {}).get("deadlines", [])]
        return (f"{d.get('workflow')} version {d.get('from_version')} → {d.get('to_version')}"
                + (f"; deadlines: {', '.join(moved)}" if moved else ""))
    if entry.action in ("step-done", "step-reopened", "step-overridden") and "step" in d:
        rest = {k: v for k, v in d.items() if k != "step" and not isinstance(v, (list, dict))}
        text = _step(definition, d["step"])
        if d.get("done_on"):
            text += f" on {_long_date(rest.pop('done_on'))}"
        extra = ", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in rest.items() if v)
        return f"{text}: {extra}" if extra else text
    if entry.action == "employees-imported":
        return (f"{d.get('rows')} row(s) from {d.get('source')}, {d.get('in_scope')} in scope"
                + (f", replacing {d.get('replaced')}" if d.get("replaced") else ""))
    if entry.action == "access-denied":
        return f"{d.get('method')} {d.get('path')} (role {d.get('role')})"
    # Anything else: its facts, leaving out what says nothing to a reader (empty values, file
    # digests, internal ids of rows).
    return ", ".join(f"{k.replace('_', ' ')}: {regime_words(v) if k == 'regime' else v}"
                     for k, v in d.items()
                     if not isinstance(v, (list, dict)) and v is not None and v != ""
                     and "sha256" not in k and not k.endswith("_id"))


def _where(query: Any, wanted: HistoryFilter) -> Any:
    if wanted.transfer_id is not None:
        query = query.where(AuditEntry.transfer_id == wanted.transfer_id)
    if wanted.actor:
        query = query.where(AuditEntry.actor == wanted.actor)
    if wanted.action:
        query = query.where(AuditEntry.action == wanted.action)
    start, end = day_bounds(wanted.since, wanted.until)
    if start is not None:
        query = query.where(col(AuditEntry.at) >= start)
    if end is not None:
        query = query.where(col(AuditEntry.at) < end)
    return query


def display_names(session: Session, actors: Iterable[str]) -> dict[str, str]:
    """The display names of the accounts among ``actors`` (``web:<username>``), by username."""
    usernames = {name for kind, _, name in (a.partition(":") for a in actors)
                 if kind == "web" and name}
    usernames |= {u.casefold() for u in usernames}
    if not usernames:
        return {}
    return {u.username.casefold(): u.display_name for u in session.exec(
        select(User).where(col(User.username).in_(sorted(usernames)))).all()}


def history(session: Session, wanted: HistoryFilter, *, page: int = 1, personal: bool,
            size: int = PAGE_SIZE, transfer_choices: bool = False) -> HistoryPage:
    """One page of the entries ``wanted`` asks for, newest first (past the last page: the
    last page); with ``transfer_choices``, every transfer for the filter by transfer."""
    total = session.exec(_where(select(func.count()).select_from(AuditEntry), wanted)).one()
    pages = max(1, -(-total // size))
    page = min(max(page, 1), pages)
    entries = session.exec(_where(select(AuditEntry), wanted)
                           .order_by(col(AuditEntry.id).desc())
                           .offset((page - 1) * size).limit(size)).all()
    # Only the accounts and transfers this page names (the tables can be large).
    scope = HistoryFilter(transfer_id=wanted.transfer_id)
    actors = session.exec(_where(select(AuditEntry.actor).distinct(), scope)).all()
    names = display_names(session, [*actors, *(e.actor for e in entries)])
    wanted_ids = sorted({e.transfer_id for e in entries if e.transfer_id is not None})
    transfers = {t.id: t for t in session.exec(
        select(Transfer).where(col(Transfer.id).in_(wanted_ids))).all()
        if t.id is not None} if wanted_ids else {}
    definitions: dict[int, WorkflowDefinition] = {}

    def definition(transfer_id: int | None) -> WorkflowDefinition | None:
        if transfer_id is None or transfer_id not in transfers:
            return None
        if transfer_id not in definitions:
            definitions[transfer_id] = definition_of(transfers[transfer_id], session)
        return definitions[transfer_id]

    # Texts in the log (what a reopened step lacked) may name employees of these transfers.
    known = None if personal else known_employees(session.connection(),
                                                  [e.transfer_id for e in entries])
    rows = []
    for e in entries:
        flow = definition(e.transfer_id)
        if e.from_state and e.from_state != e.to_state:
            state = f"{_state(flow, e.from_state)} → {_state(flow, e.to_state)}"
        else:
            state = _state(flow, e.to_state)
        transfer = transfers.get(e.transfer_id) if e.transfer_id is not None else None
        rows.append(HistoryRow(
            id=e.id or 0, when=time_text(e.at), who=who(e.actor, names),
            what=action_label(e.action), state=state,
            details=describe(e, personal, flow, known), transfer_id=e.transfer_id,
            transfer_ref=transfer.ref if transfer else None))
    # The filters offer what this history (of one transfer, or all) holds.
    actions = session.exec(_where(select(AuditEntry.action).distinct(), scope)).all()
    choices = session.exec(select(Transfer.id, Transfer.ref)).all() if transfer_choices else []
    return HistoryPage(
        rows=rows, page=page, pages=pages, total=total,
        people=sorted(((a, who(a, names)) for a in actors), key=lambda p: p[1].casefold()),
        actions=sorted(((a, action_label(a)) for a in actions), key=lambda p: p[1]),
        transfers=sorted(((i, ref) for i, ref in choices if i is not None), key=lambda p: p[1]))
