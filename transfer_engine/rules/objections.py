"""Objections to transferring (reg 4(7)-(8)), and so who transfers, as of a date.

An affected employee who informs the transferor or the transferee that they object to becoming
employed by the transferee does not transfer: their contract ends at the transfer, without a
dismissal. Only an objection made *before* the transfer is one under reg 4(7). An objection
counts from its own date: until then the employee is still transferring, is owed in the ELI
(reg 11) and counts in the reg 12 figures and the reg 13A threshold.

Every count of transferring employees in the engine is made here, so that each reads the same
date the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import ColumnElement, and_, func, or_
from sqlmodel import Session, col, select

from transfer_engine.dates.plausible import YEARS_BEFORE_TRANSFER, earliest_plausible
from transfer_engine.store.people import Employee

LEGAL_BASIS = "TUPE reg 4(7)-(8)"


def objection_problem(objected_on: date | None, transfer_date: date | None) -> str | None:
    """Why an objection cannot be recorded with this date, or None when it can.

    Reg 4(7) speaks of an employee who objects to *becoming* employed by the transferee: an
    objection on or after the transfer date comes too late (the employee has transferred; they
    may resign, but that is not an objection under reg 4(7)). One dated years before the
    transfer date is taken for a mistyped year.
    """
    if objected_on is None or transfer_date is None:
        return None
    if objected_on < earliest_plausible(transfer_date):  # a mistyped year (dates/plausible.py)
        return (f"{objected_on.isoformat()} is more than {YEARS_BEFORE_TRANSFER} years before "
                f"the transfer date ({transfer_date.isoformat()}): check the year")
    if objected_on < transfer_date:
        return None
    return (f"{objected_on.isoformat()} is on or after the transfer date "
            f"({transfer_date.isoformat()}); an objection under {LEGAL_BASIS} must be made "
            "before the transfer. Check the date, or leave the column empty for an employee "
            "who did not object before the transfer")


AsOf = date | ColumnElement[date]
"""A date, or a bound parameter standing for one in a statement built once."""


def not_objected_by(as_of: AsOf) -> ColumnElement[bool]:
    """Employees who have not objected by ``as_of`` (an objection dated later does not count
    yet)."""
    return or_(col(Employee.objected_on).is_(None), col(Employee.objected_on) > as_of)


def transfers_on(in_scope: bool, objected_on: date | None, as_of: date) -> bool:
    """:func:`transferring_clause` for one employee already read: in scope and not objecting
    as of ``as_of``."""
    return in_scope and (objected_on is None or objected_on > as_of)


def transferring_clause(as_of: AsOf) -> ColumnElement[bool]:
    """In scope and not objecting as of ``as_of``: who transfers, as seen on that date."""
    return and_(col(Employee.in_scope).is_(True), not_objected_by(as_of))


def transferring_employees(session: Session, transfer_id: int, as_of: date) -> Sequence[Employee]:
    """The employees transferring as of ``as_of``, by employee reference.

    The ELI (reg 11(2)), the transferring headcount and the reg 12 figures are all about them:
    an objector is left out from the date of their objection.
    """
    return session.exec(select(Employee).where(Employee.transfer_id == transfer_id,
                                               transferring_clause(as_of))
                        .order_by(col(Employee.employee_ref))).all()


def transferring_count(session: Session, transfer_id: int, as_of: date) -> int:
    """How many employees transfer as of ``as_of``."""
    return session.exec(select(func.count()).select_from(Employee).where(
        Employee.transfer_id == transfer_id, transferring_clause(as_of))).one()
