"""The lookups every layer needs: a transfer or organisation by its reference, a transfer's
workflow definition, key dates and steps, and writing an audit entry.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlmodel import Session, select

from transfer_engine.errors import (
    NotFoundError,
)
from transfer_engine.store.organisations import Organisation
from transfer_engine.store.transfers import AuditEntry, KeyDate, StepInstance, Transfer
from transfer_engine.workflow.definition import WorkflowDefinition
from transfer_engine.workflow.loader import library

# ---------------------------------------------------------------------------------------------
# Lookups


def get_transfer(session: Session, ref: str, *, lock: bool = False) -> Transfer:
    query = select(Transfer).where(Transfer.ref == ref)
    if lock:
        query = query.with_for_update()
    transfer = session.exec(query).first()
    if transfer is None:
        known = session.exec(select(Transfer.ref).order_by(Transfer.ref).limit(20)).all()
        hint = f" Known transfers: {', '.join(known)}." if known else (
            " There are none yet: run `transfer-engine demo` or `transfer-engine create`."
        )
        raise NotFoundError(f"no transfer {ref!r}.{hint}")
    return transfer


def get_organisation(session: Session, slug: str) -> Organisation:
    organisation = session.exec(select(Organisation).where(Organisation.slug == slug)).first()
    if organisation is None:
        raise NotFoundError(
            f"no organisation {slug!r}; add it with `transfer-engine organisations add`"
        )
    return organisation


def definition_of(transfer: Transfer) -> WorkflowDefinition:
    return library().get(transfer.workflow_id)


def key_dates_of(session: Session, transfer: Transfer) -> dict[str, date]:
    rows = session.exec(select(KeyDate).where(KeyDate.transfer_id == transfer.id)).all()
    return {row.name: row.value for row in rows}


def steps_of(session: Session, transfer: Transfer) -> dict[str, StepInstance]:
    rows = session.exec(
        select(StepInstance).where(StepInstance.transfer_id == transfer.id)
        .order_by(StepInstance.position)
    ).all()
    return {row.step_id: row for row in rows}


def audit(session: Session, transfer: Transfer | None, actor: str, action: str, *,
          from_state: str | None = None, to_state: str | None = None,
          data: Mapping[str, Any] | None = None) -> AuditEntry:
    entry = AuditEntry(transfer_id=transfer.id if transfer else None, actor=actor, action=action,
                       from_state=from_state, to_state=to_state, data=dict(data or {}))
    session.add(entry)
    return entry
