"""The particulars recorded for letters: where each is kept, reading them, merging into them.

Particulars (see :mod:`transfer_engine.letters.particulars` for the file HR imports) are kept in
one :class:`~transfer_engine.store.register.LetterParticulars` row per *scope*: the transfer,
each organisation (shared by every transfer it is party to), each employee and each
representative of a transfer. Letters read them here, a transfer's once per batch
(:func:`transfer_particulars`) and employees' a chunk at a time (:func:`employee_particulars`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from transfer_engine.dates.clock import utcnow
from transfer_engine.store.organisations import Organisation
from transfer_engine.store.people import Representative
from transfer_engine.store.register import LetterParticulars
from transfer_engine.store.transfers import Transfer

__all__ = [
    "TransferLevel",
    "employee_particulars",
    "employee_scope",
    "merge_particulars",
    "organisation_scope",
    "read_particulars",
    "representative_scope",
    "transfer_particulars",
    "transfer_scope",
]


def transfer_scope(transfer_id: int) -> str:
    return f"transfer:{transfer_id}"


def employee_scope(transfer_id: int, employee_ref: str) -> str:
    return f"transfer:{transfer_id}/employee:{employee_ref}"


def representative_scope(transfer_id: int, representative_id: int) -> str:
    return f"transfer:{transfer_id}/representative:{representative_id}"


def organisation_scope(slug: str) -> str:
    return f"organisation:{slug}"


def read_particulars(session: Session, scopes: Iterable[str]) -> dict[str, dict[str, Any]]:
    """The recorded particulars of these scopes, by scope (a scope with none is left out)."""
    scopes = list(scopes)
    found: dict[str, dict[str, Any]] = {}
    for start in range(0, len(scopes), 500):
        rows = session.exec(select(LetterParticulars.scope, LetterParticulars.data).where(
            col(LetterParticulars.scope).in_(scopes[start:start + 500]))).all()
        found.update({scope: dict(data) for scope, data in rows})
    return found


@dataclass(frozen=True)
class TransferLevel:
    """The particulars of a transfer, its organisations and its representatives (small)."""

    transfer: dict[str, Any]
    organisations: dict[str, dict[str, Any]]
    representatives: dict[int, dict[str, Any]]


def transfer_particulars(session: Session, transfer: Transfer,
                         organisations: Iterable[Organisation]) -> TransferLevel:
    assert transfer.id is not None
    reps = session.exec(select(Representative.id)
                        .where(Representative.transfer_id == transfer.id)).all()
    slugs = [o.slug for o in organisations]
    scopes = [transfer_scope(transfer.id), *(organisation_scope(s) for s in slugs),
              *(representative_scope(transfer.id, r) for r in reps if r is not None)]
    found = read_particulars(session, scopes)
    return TransferLevel(
        transfer=found.get(transfer_scope(transfer.id), {}),
        organisations={s: found.get(organisation_scope(s), {}) for s in slugs},
        representatives={r: found.get(representative_scope(transfer.id, r), {})
                         for r in reps if r is not None})


def employee_particulars(session: Session, transfer_id: int,
                         refs: Iterable[str]) -> dict[str, dict[str, Any]]:
    """The particulars of these employees, by employee_ref (read per chunk when issuing)."""
    refs = list(refs)
    found = read_particulars(session, [employee_scope(transfer_id, r) for r in refs])
    return {r: found.get(employee_scope(transfer_id, r), {}) for r in refs}


# ---------------------------------------------------------------------------------------------
# Recording


def _merge(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(old)
    for key, value in new.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged


def merge_particulars(session: Session,
                      writes: Mapping[str, tuple[int | None, dict[str, Any]]], *,
                      actor: str) -> None:
    """Merge already validated (and encoded) values into the recorded particulars."""
    existing = {row.scope: row for row in session.exec(
        select(LetterParticulars).where(col(LetterParticulars.scope).in_(list(writes)))).all()}
    for scope, (transfer_id, values) in writes.items():
        row = existing.get(scope) or LetterParticulars(scope=scope, transfer_id=transfer_id,
                                                       data={}, updated_by=actor)
        row.data = _merge(row.data or {}, values)
        row.updated_at, row.updated_by = utcnow(), actor
        session.add(row)
    session.flush()
