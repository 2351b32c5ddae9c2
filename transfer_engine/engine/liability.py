"""Changes to the employee liability information after it was given (TUPE reg 11(5)).

Reg 11(5): the transferor must notify the transferee in writing of any change to the ELI it has
given. Whatever changes an employee's record (a staff list imported again, scope or an
objection recorded) passes the record before and after through :func:`record_changes`; for an
employee whose ELI schedule has been issued, each item that changed is kept as an
:class:`~transfer_engine.store.liability.EliChange`, dated, until a change notice lists it
(:func:`pending_changes`, :func:`mark_notified`). The items are the columns of
:data:`~transfer_engine.rules.eli.ELI_ITEMS`, and "transferring": an employee who objects or
is taken out of scope no longer transfers, which the transferee must be told as well.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from decimal import Decimal

from sqlmodel import Session, col, select

from transfer_engine.rules.eli import ELI_COLUMNS
from transfer_engine.rules.objections import transfers_on
from transfer_engine.store.liability import EliChange
from transfer_engine.store.people import Employee
from transfer_engine.store.register import Letter, LetterStatus
from transfer_engine.store.transfers import Transfer

__all__ = [
    "ELI_SCHEDULE",
    "TRANSFERRING",
    "Snapshot",
    "given_eli",
    "mark_notified",
    "pending_changes",
    "record_changes",
    "snapshot",
]

#: The letter that gives one employee's ELI (one schedule per employee, to the transferee).
ELI_SCHEDULE = "eli-schedule"
#: The item recorded when an employee stops (or starts again) transferring.
TRANSFERRING = "transferring"

Snapshot = dict[str, str | None]
"""An employee's ELI items as text, by column, and whether they transfer."""


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def snapshot(employee: Employee, *, as_of: date = date.max) -> Snapshot:
    """What the ELI says of ``employee`` now, as text (compared before and after a change).

    Whether they transfer is judged as of ``as_of`` (the transfer date; by default every
    objection recorded counts, since one on or after the transfer date is refused)."""
    values: Snapshot = {column: _text(getattr(employee, column)) for column in ELI_COLUMNS}
    transfers = transfers_on(employee.in_scope, employee.objected_on, as_of)
    values[TRANSFERRING] = "yes" if transfers else "no"
    return values


def given_eli(session: Session, transfer_id: int, refs: Iterable[str]) -> set[str]:
    """Which of these employees have been given to the transferee in an ELI schedule."""
    abouts = [f"employee:{r}" for r in refs]
    found: set[str] = set()
    for start in range(0, len(abouts), 500):
        rows = session.exec(select(Letter.about_ref).where(
            Letter.transfer_id == transfer_id, Letter.letter == ELI_SCHEDULE,
            col(Letter.status).in_([LetterStatus.issued, LetterStatus.superseded]),
            col(Letter.about_ref).in_(abouts[start:start + 500]))).all()
        found.update(a.split(":", 1)[1] for a in rows if a)
    return found


def record_changes(session: Session, transfer: Transfer, before: Mapping[str, Snapshot],
                   after: Mapping[str, Snapshot], *, changed_on: date,
                   actor: str) -> list[EliChange]:
    """Keep each item that changed for an employee already given in the ELI.

    ``before`` and ``after`` map employee refs to :func:`snapshot`; an employee missing from
    ``after`` was removed from the staff list (they no longer transfer). Returns the changes
    recorded (none if nobody concerned had been given yet).
    """
    assert transfer.id is not None  # read from the database
    given = given_eli(session, transfer.id, before)
    changes: list[EliChange] = []
    for ref in sorted(given):
        old = before[ref]
        new = after.get(ref, {**{c: old.get(c) for c in ELI_COLUMNS}, TRANSFERRING: "no"})
        for item in (*ELI_COLUMNS, TRANSFERRING):
            if old.get(item) != new.get(item):
                changes.append(EliChange(
                    transfer_id=transfer.id, employee_ref=ref, item=item,
                    before=old.get(item), after=new.get(item), changed_on=changed_on,
                    recorded_by=actor))
    for change in changes:
        session.add(change)
    session.flush()
    return changes


def pending_changes(session: Session, transfer_id: int) -> Sequence[EliChange]:
    """The changes not yet notified to the transferee, by employee and in the order made."""
    return session.exec(select(EliChange).where(
        EliChange.transfer_id == transfer_id, col(EliChange.notified_in).is_(None))
        .order_by(EliChange.employee_ref, col(EliChange.id))).all()


def mark_notified(session: Session, change_ids: Iterable[int], letter_id: int) -> None:
    """Record that the notice ``letter_id`` told the transferee of these changes."""
    ids = list(change_ids)
    for change in session.exec(select(EliChange).where(col(EliChange.id).in_(ids))).all():
        change.notified_in = letter_id
        session.add(change)
    session.flush()
