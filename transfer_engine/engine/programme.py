"""Actions an HR officer takes on many schools of a programme at once.

Each school is changed in a transaction of its own and every outcome is collected and audited
(:func:`transfer_engine.engine.children.apply_to_children`): the schools that could take the
action have it, those that could not are listed with why. What a page shows before (whether
the action can apply to each school) is :mod:`transfer_engine.views.programme`'s.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy.engine import Engine

from transfer_engine.engine.advance import advance
from transfer_engine.engine.children import ChildrenReport, apply_to_children
from transfer_engine.engine.steps import complete_step
from transfer_engine.errors import NotFoundError
from transfer_engine.store.database import read_session
from transfer_engine.store.queries import definition_of, get_transfer

__all__ = ["advance_children", "record_step_for_children"]


def _parent_id(ref: str, engine: Engine | None) -> int:
    with read_session(engine) as session:
        parent = get_transfer(session, ref)
        assert parent.id is not None
        return parent.id


def advance_children(parent_ref: str, trigger: str, *, refs: Sequence[str], actor: str,
                     note: str | None = None, occurred_on: date | None = None,
                     today: date | None = None,
                     engine: Engine | None = None) -> ChildrenReport:
    """Fire ``trigger`` on each of the programme's schools in ``refs``."""
    today = today or date.today()
    return apply_to_children(
        parent_ref, _parent_id(parent_ref, engine), trigger,
        lambda child: advance(child, trigger, actor=actor, note=note, today=today,
                              occurred_on=occurred_on, engine=engine),
        actor=actor, refs=refs, engine=engine)


def record_step_for_children(parent_ref: str, step_id: str, *, refs: Sequence[str],
                             actor: str, evidence: str, occurred_on: date | None = None,
                             today: date | None = None,
                             engine: Engine | None = None) -> ChildrenReport:
    """Record ``step_id`` as done on each of the programme's schools in ``refs``, on the day it
    happened: by the action that completes it from the school's state, or, for a step that no
    action completes, directly with ``evidence`` as its note."""
    today = today or date.today()

    def record(child: str) -> Any:
        with read_session(engine) as session:
            transfer = get_transfer(session, child)
            definition = definition_of(transfer, session)
            state = transfer.state
        if step_id not in definition.steps:
            raise NotFoundError(f"{child} has no step {step_id!r}")
        completing = definition.triggers_completing(step_id)
        if completing:
            trigger = next((t for t in completing if state in t.sources), completing[0])
            return advance(child, trigger.name, actor=actor, note=evidence or None,
                           today=today, occurred_on=occurred_on, engine=engine)
        return complete_step(child, step_id, actor=actor, evidence=evidence,
                             occurred_on=occurred_on, today=today, engine=engine)

    return apply_to_children(parent_ref, _parent_id(parent_ref, engine), step_id, record,
                             actor=actor, refs=refs, engine=engine)
