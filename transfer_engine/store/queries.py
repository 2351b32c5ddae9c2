"""The lookups every layer needs: a transfer or organisation by its reference, a transfer's
workflow definition, key dates and steps, and writing an audit entry.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any, Protocol

from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import object_session
from sqlmodel import Session, col, select

from transfer_engine.errors import (
    Action,
    NextStep,
    NotFoundError,
)
from transfer_engine.store.database import get_engine
from transfer_engine.store.definitions import definition_for
from transfer_engine.store.organisations import Organisation
from transfer_engine.store.transfers import AuditEntry, KeyDate, StepInstance, Transfer
from transfer_engine.workflow.definition import WorkflowDefinition

# ---------------------------------------------------------------------------------------------
# Lookups


def get_transfer(session: Session, ref: str, *, lock: bool = False) -> Transfer:
    query = select(Transfer).where(Transfer.ref == ref)
    if lock:
        query = query.with_for_update()
    transfer = session.exec(query).first()
    if transfer is None:
        known = session.exec(select(Transfer.ref).order_by(Transfer.ref).limit(20)).all()
        if known:
            raise NotFoundError(f"no transfer {ref!r}. Known transfers: {', '.join(known)}.")
        raise NotFoundError(f"no transfer {ref!r}: there are none yet.",
                            next_step=NextStep(Action.create_transfer))
    return transfer


def get_organisation(session: Session, slug: str) -> Organisation:
    organisation = session.exec(select(Organisation).where(Organisation.slug == slug)).first()
    if organisation is None:
        raise NotFoundError(f"no organisation {slug!r}; it must be recorded first",
                            next_step=NextStep(Action.add_organisation))
    return organisation


class _OnWorkflow(Protocol):
    """A transfer as a model or as a row read with SQLAlchemy Core."""

    ref: str
    workflow_id: str
    workflow_version: int


def definition_of(transfer: _OnWorkflow,
                  bind: Session | Connection | Engine | None = None) -> WorkflowDefinition:
    """The definition a transfer runs on: the version of its workflow it started with (or was
    moved to by ``workflows migrate``), as stored then, whatever its file says now.

    A model's own session is used; pass ``bind`` for a row read with SQLAlchemy Core, or for a
    model read in a session that has since closed (otherwise the configured database is used).
    """
    source: OrmSession | Connection | Engine | None = bind
    if source is None and isinstance(transfer, Transfer):
        source = object_session(transfer)
    if source is None or isinstance(source, Engine):
        with (source or get_engine()).connect() as connection:
            return definition_for(connection, transfer.workflow_id, transfer.workflow_version,
                                  ref=transfer.ref)
    return definition_for(source, transfer.workflow_id, transfer.workflow_version,
                          ref=transfer.ref)


def key_dates_of(session: Session, transfer: Transfer) -> dict[str, date]:
    rows = session.exec(select(KeyDate).where(KeyDate.transfer_id == transfer.id)).all()
    return {row.name: row.value for row in rows}


def steps_of(session: Session, transfer: Transfer) -> dict[str, StepInstance]:
    rows = session.exec(
        select(StepInstance).where(StepInstance.transfer_id == transfer.id)
        .order_by(col(StepInstance.position))
    ).all()
    return {row.step_id: row for row in rows}


def steps_of_each(session: Session,
                  transfers: Sequence[Transfer]) -> dict[int, dict[str, StepInstance]]:
    """:func:`steps_of` for many transfers (by id), one query per few thousand transfers: a
    programme's page reads every school's steps, and a query each would grow with the schools.
    """
    found: dict[int, dict[str, StepInstance]] = {t.id: {} for t in transfers if t.id is not None}
    ids = list(found)
    for start in range(0, len(ids), 5_000):
        rows = session.exec(
            select(StepInstance).where(col(StepInstance.transfer_id).in_(ids[start:start + 5_000]))
            .order_by(col(StepInstance.transfer_id), col(StepInstance.position))
        ).all()
        for row in rows:
            found[row.transfer_id][row.step_id] = row
    return found


def audit(session: Session, transfer: Transfer | None, actor: str, action: str, *,
          from_state: str | None = None, to_state: str | None = None,
          data: Mapping[str, Any] | None = None) -> AuditEntry:
    entry = AuditEntry(transfer_id=transfer.id if transfer else None, actor=actor, action=action,
                       from_state=from_state, to_state=to_state, data=dict(data or {}))
    session.add(entry)
    return entry
