"""Employee liability information (TUPE reg 11): what it holds, and whether it is complete.

Reg 11(2) lists what the transferor gives the transferee for *each employee who transfers*:

(a) the employee's identity and age;
(b) the particulars of employment that s.1 of the Employment Rights Act 1996 requires in a
    written statement (as amended from 6 April 2020: hours and the days of work, other paid
    leave, other benefits, probation and training were added);
(c) disciplinary action taken against, and grievances raised by, the employee in the previous
    two years, where the ACAS Code of Practice applies;
(d) claims the employee has brought against the transferor in the previous two years, or that
    the transferor has reasonable grounds to believe may be brought;
(e) the collective agreements that will have effect after the transfer (reg 5).

:data:`ELI_ITEMS` names each item by the staff-list column that holds it, in the order an
export and a schedule give them. Every item must be stated for the ELI to be complete; "none"
is a statement (no grievances, no probation), an empty cell is not. :func:`eli_gaps` names each
gap of each transferring employee; the CLI (``eli check``), the API and the step evidence of the
ELI use it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Protocol

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlmodel import Session

from transfer_engine.rules import objections
from transfer_engine.store.people import Employee
from transfer_engine.store.transfers import Transfer

__all__ = [
    "ELI_COLUMNS",
    "ELI_ITEMS",
    "EliCompleteness",
    "EliItem",
    "EmployeeGaps",
    "age_on",
    "eli_gaps",
    "eli_gaps_on",
    "employee_gaps",
    "gaps_of",
]


@dataclass(frozen=True)
class EliItem:
    """One item of the ELI: the staff-list column that holds it, and the law that asks for it."""

    column: str
    label: str
    regulation: str   # the paragraph of reg 11(2) (and of ERA 1996 s.1)
    part: str         # "a" to "e": the paragraph of reg 11(2), for grouping


def _item(column: str, label: str, part: str, s1: str = "") -> EliItem:
    regulation = f"reg 11(2)({part})" + (f", ERA 1996 s.1{s1}" if s1 else "")
    return EliItem(column, label, regulation, part)


ELI_ITEMS: tuple[EliItem, ...] = (
    _item("employee_ref", "employee number", "a"),
    _item("full_name", "name", "a", "(3)(a)"),
    _item("role", "job title", "b", "(4)(f)"),
    _item("date_of_birth", "date of birth (for the employee's age)", "a"),
    _item("start_date", "date employment began", "b", "(3)(b)"),
    _item("continuous_start", "date continuous employment began", "b", "(3)(c)"),
    _item("pay_scale", "pay scale or rate", "b", "(4)(a)"),
    _item("weekly_pay", "gross weekly pay", "b", "(4)(a)"),
    _item("pay_interval", "pay interval", "b", "(4)(b)"),
    _item("weekly_hours", "hours a week", "b", "(4)(c)"),
    _item("normal_working_hours", "normal working hours and days", "b", "(4)(c)"),
    _item("holiday_entitlement", "holiday entitlement", "b", "(4)(d)(i)"),
    _item("holiday_pay", "holiday pay", "b", "(4)(d)(i)"),
    _item("sick_pay", "sick leave and sick pay", "b", "(4)(d)(ii)"),
    _item("other_paid_leave", "other paid leave", "b", "(4)(d)(iia)"),
    _item("pension", "pension", "b", "(4)(d)(iii)"),
    _item("other_benefits", "other benefits", "b", "(4)(da)"),
    _item("notice_by_employer", "notice the employee is entitled to receive", "b", "(4)(e)"),
    _item("notice_by_employee", "notice the employee must give", "b", "(4)(e)"),
    _item("contract_term", "permanent, or expected end of employment", "b", "(4)(g)"),
    _item("probation", "probationary period", "b", "(4)(ga)"),
    _item("place_of_work", "place of work", "b", "(4)(h)"),
    _item("work_outside_uk", "work outside the UK for more than a month", "b", "(4)(k)"),
    _item("training_entitlement", "training entitlement", "b", "(4)(l)"),
    _item("required_training", "training the employee must complete", "b", "(4)(m)-(n)"),
    _item("disciplinary", "disciplinary action in the last two years", "c"),
    _item("grievances", "grievances in the last two years", "c"),
    _item("claims", "claims brought or expected in the last two years", "d"),
    _item("collective_agreements", "collective agreements that will apply", "e", "(4)(j)"),
)
"""Every item, in the order an export and a schedule give them."""

ELI_COLUMNS: tuple[str, ...] = tuple(item.column for item in ELI_ITEMS)


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


class Particulars(Protocol):
    """An employee's ELI as recorded: an :class:`Employee`, or a row of its table read on a
    Core connection (the evidence rules judge on one). Every item is read by its column."""

    @property
    def employee_ref(self) -> str: ...


def employee_gaps(employee: Particulars) -> tuple[EliItem, ...]:
    """The items not stated for this employee (empty: their ELI is complete)."""
    return tuple(item for item in ELI_ITEMS if _blank(getattr(employee, item.column)))


def age_on(born: date | None, when: date) -> int | None:
    """Age in whole years on ``when`` (reg 11(2)(a) asks for age, not only the birth date)."""
    if born is None:
        return None
    return when.year - born.year - ((when.month, when.day) < (born.month, born.day))


@dataclass(frozen=True)
class EmployeeGaps:
    """What one transferring employee's ELI lacks."""

    employee_ref: str
    missing: tuple[EliItem, ...]

    def as_json(self) -> dict[str, object]:
        return {"employee_ref": self.employee_ref,
                "missing": [{"column": i.column, "label": i.label, "regulation": i.regulation}
                            for i in self.missing]}


@dataclass(frozen=True)
class EliCompleteness:
    """Whether the ELI of a transfer is complete on a date, and every gap if it is not."""

    as_of: date
    transferring: int                      # employees who transfer, as of the date
    employees: tuple[EmployeeGaps, ...]    # only those with a gap, by employee_ref

    @property
    def complete(self) -> bool:
        """Every item stated for every transferring employee (and there is at least one)."""
        return self.transferring > 0 and not self.employees

    def summary(self, shown: int = 10) -> str:
        if self.transferring == 0:
            return ("no employee transfers on the staff list as it stands: import the staff "
                    "list (or put employees in scope) before the ELI can be given")
        if not self.employees:
            return (f"the ELI is complete for all {self.transferring} transferring "
                    f"employee{'s' if self.transferring != 1 else ''} (reg 11(2))")
        listed = "; ".join(f"{g.employee_ref} ({', '.join(i.label for i in g.missing)})"
                           for g in self.employees[:shown])
        more = len(self.employees) - shown
        return (f"{len(self.employees)} of {self.transferring} transferring employees lack "
                f"ELI particulars (reg 11(2)): {listed}"
                + (f"; and {more} more" if more > 0 else ""))

    def as_json(self) -> dict[str, object]:
        return {"as_of": self.as_of.isoformat(), "transferring": self.transferring,
                "complete": self.complete, "incomplete": len(self.employees),
                "employees": [g.as_json() for g in self.employees]}


def gaps_of(employees: Iterable[Particulars], as_of: date) -> EliCompleteness:
    """The completeness of these (transferring) employees' ELI."""
    staff = list(employees)
    found = tuple(EmployeeGaps(e.employee_ref, missing) for e in staff
                  if (missing := employee_gaps(e)))
    return EliCompleteness(as_of, len(staff), found)


def eli_gaps(session: Session, transfer: Transfer, *, as_of: date) -> EliCompleteness:
    """Every gap of every employee who transfers, as it stands on ``as_of``."""
    assert transfer.id is not None  # read from the database
    return eli_gaps_on(session.connection(), transfer.id, as_of=as_of)


_EMPLOYEE = Employee.__table__  # type: ignore[attr-defined]
# Built once: the evidence of the ELI step reads it on every committed transition. Who transfers
# is the objections rule's (an objection counts from its date), by employee reference.
_TRANSFERRING = (
    sa.select(_EMPLOYEE)
    .where(_EMPLOYEE.c.transfer_id == sa.bindparam("tid"),
           objections.transferring_clause(sa.bindparam("as_of", type_=sa.Date)))
    .order_by(_EMPLOYEE.c.employee_ref))


def eli_gaps_on(connection: Connection, transfer_id: int, *, as_of: date) -> EliCompleteness:
    """:func:`eli_gaps` read on a Core connection, in the caller's transaction: the employees
    transferring as of ``as_of`` (see :mod:`transfer_engine.rules.objections`), every item."""
    rows = connection.execute(_TRANSFERRING, {"tid": transfer_id, "as_of": as_of}).all()
    return gaps_of(rows, as_of)
