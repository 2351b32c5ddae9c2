"""One action applied to many child transfers of a programme, each in its own transaction.

A programme (``acsws-to-schools``) is a parent transfer whose schools are child transfers. Two
things apply one action to many of them: a parent trigger whose workflow says it cascades
(``cascade: {trigger: approve}``: the programme's approval is each school's), and a bulk action
an HR officer takes from the programme's page. Both go through :func:`apply_to_children`: each
child is changed in a transaction of its own, so that one school refused (or changed by someone
else meanwhile) leaves the others recorded, and every outcome is collected, worded by its
cause, and kept in the history: on the programme one entry listing every school and what
happened to it, and on each school not changed an entry saying why. Nothing is dropped.

What fires the action on one child is passed in (``fire``): :mod:`transfer_engine.engine.advance`
uses this module for the cascade, so it cannot be imported from here.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.engine import Connection, Engine

from transfer_engine.dates.clock import utcnow
from transfer_engine.errors import (
    GuardKind,
    GuardRefusedError,
    InvalidTriggerError,
    TransferEngineError,
)
from transfer_engine.store.database import write_connection
from transfer_engine.store.transfers import AuditEntry, Transfer

__all__ = ["ChildOutcome", "ChildrenReport", "Outcome", "apply_to_children", "children_of",
           "does_not_apply"]

log = logging.getLogger("transfer_engine.engine.children")

#: What happened to one child: changed; the action does not apply to it (its state, or a
#: regime the action is not for); refused by its guards or its input; stopped by a fault.
Outcome = Literal["applied", "not-applicable", "refused", "fault"]

_TRANSFER = Transfer.__table__  # type: ignore[attr-defined]
_AUDIT = AuditEntry.__table__  # type: ignore[attr-defined]

#: What the history says for a child the action was not applied to.
NOT_APPLIED_ACTION = "programme-action-not-applied"
#: What the history says on the programme, listing every child and its outcome.
APPLIED_ACTION = "programme-action"


@dataclass(frozen=True)
class ChildRow:
    id: int
    ref: str
    title: str
    state: str


@dataclass
class ChildOutcome:
    """One child's outcome. ``error`` is the engine's refusal, kept as data so that each
    interface words it its own way (a page, the command line, the API's JSON); ``reason`` is
    the engine's own text of it, as the history keeps it."""

    ref: str
    title: str
    outcome: Outcome
    reason: str = ""
    error: TransferEngineError | None = None
    to_state: str | None = None
    completed: list[str] = field(default_factory=list)

    @property
    def applied(self) -> bool:
        return self.outcome == "applied"

    def as_json(self) -> dict[str, Any]:
        return {"ref": self.ref, "title": self.title, "outcome": self.outcome,
                "reason": self.reason or None, "to": self.to_state,
                "completed_steps": self.completed}


@dataclass
class ChildrenReport:
    """What one action did to each child of a programme, in the children's order."""

    parent: str
    action: str                  # the trigger fired, or the step recorded
    outcomes: list[ChildOutcome] = field(default_factory=list)
    cause: str | None = None     # the parent's trigger it cascaded from; None for a bulk action

    @property
    def applied(self) -> list[ChildOutcome]:
        return [o for o in self.outcomes if o.applied]

    @property
    def not_applied(self) -> list[ChildOutcome]:
        return [o for o in self.outcomes if not o.applied]

    @property
    def failed(self) -> list[ChildOutcome]:
        """The children it should have changed and did not: refused, or stopped by a fault
        (a child it does not apply to is not one)."""
        return [o for o in self.outcomes if o.outcome in ("refused", "fault")]

    @property
    def complete(self) -> bool:
        """Every child it was tried on was changed (a success, with nothing to report)."""
        return bool(self.outcomes) and not self.not_applied

    def as_json(self) -> dict[str, Any]:
        return {"parent": self.parent, "action": self.action, "cascaded_from": self.cause,
                "applied": len(self.applied), "not_applied": len(self.not_applied),
                "children": [o.as_json() for o in self.outcomes]}


def children_of(connection: Connection, parent_id: int,
                refs: Sequence[str] | None = None) -> list[ChildRow]:
    """The child transfers of a programme, by reference (only ``refs``, when given)."""
    query = (select(_TRANSFER.c.id, _TRANSFER.c.ref, _TRANSFER.c.title, _TRANSFER.c.state)
             .where(_TRANSFER.c.parent_id == parent_id).order_by(_TRANSFER.c.ref))
    if refs is not None:
        query = query.where(_TRANSFER.c.ref.in_(list(refs)))
    return [ChildRow(*row) for row in connection.execute(query).all()]


def does_not_apply(error: TransferEngineError) -> bool:
    """Whether a refusal means the action is not for this child at all, rather than that it
    is not ready: the child is in a state the action does not leave (already past it), or
    under a regime the action is not for (a school where the employer does not change)."""
    if isinstance(error, InvalidTriggerError):
        return True
    return isinstance(error, GuardRefusedError) and any(
        f.kind == GuardKind.wrong_regime for f in error.failures)


def apply_to_children(parent_ref: str, parent_id: int, action: str,
                      fire: Callable[[str], Any], *, actor: str, refs: Sequence[str] | None = None,
                      cause: str | None = None, engine: Engine | None = None) -> ChildrenReport:
    """Apply ``action`` to each child of the programme (or each of ``refs`` among them) by
    calling ``fire(child_ref)``, which changes one child in a transaction of its own and
    returns what it recorded (an object with ``to_state`` and ``completed_steps``, or a
    step), or raises the engine's refusal. Every outcome is collected and audited."""
    with write_connection(engine) as connection:
        children = children_of(connection, parent_id, refs)
    report = ChildrenReport(parent_ref, action, cause=cause)
    for child in children:
        report.outcomes.append(_apply_one(child, fire))
    _audit(report, parent_id, {c.ref: c for c in children}, actor=actor, engine=engine)
    return report


def _apply_one(child: ChildRow, fire: Callable[[str], Any]) -> ChildOutcome:
    try:
        done = fire(child.ref)
    except TransferEngineError as exc:
        outcome: Outcome = "not-applicable" if does_not_apply(exc) else "refused"
        return ChildOutcome(child.ref, child.title, outcome, reason=str(exc), error=exc)
    except Exception:  # a fault (the database went away...): this child only, and said so
        log.exception("%s: the programme's action stopped on this transfer", child.ref)
        return ChildOutcome(child.ref, child.title, "fault",
                            reason="a fault stopped it and nothing was recorded for it; the "
                                   "operator's log has the details")
    to_state = getattr(done, "to_state", None)
    if hasattr(done, "completed_steps"):  # a trigger fired
        completed = list(done.completed_steps)
    else:  # a step recorded
        completed = [done.step_id] if hasattr(done, "step_id") else []
    return ChildOutcome(child.ref, child.title, "applied", to_state=to_state,
                        completed=completed)


def _audit(report: ChildrenReport, parent_id: int, children: dict[str, ChildRow], *,
           actor: str, engine: Engine | None) -> None:
    """The programme's entry (every child and its outcome) and, on each child not changed,
    why; a child changed has its own entry already (written by the action itself)."""
    if not report.outcomes:
        return
    now = utcnow()
    data = {"action": report.action, "cascaded_from": report.cause,
            "applied": [o.ref for o in report.applied],
            "not_applied": [{"ref": o.ref, "outcome": o.outcome, "reason": o.reason}
                            for o in report.not_applied]}
    rows = [{"transfer_id": parent_id, "actor": actor, "at": now, "action": APPLIED_ACTION,
             "from_state": None, "to_state": None, "data": data}]
    for outcome in report.not_applied:
        child = children[outcome.ref]
        rows.append({"transfer_id": child.id, "actor": actor, "at": now,
                     "action": NOT_APPLIED_ACTION, "from_state": child.state,
                     "to_state": child.state,
                     "data": {"action": report.action, "programme": report.parent,
                              "cascaded_from": report.cause, "outcome": outcome.outcome,
                              "reason": outcome.reason}})
    with write_connection(engine) as connection:
        connection.execute(_AUDIT.insert(), rows)
