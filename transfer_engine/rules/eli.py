"""Employee liability information (TUPE reg 11): what it holds, and whether it is complete.

Reg 11(2) lists what the transferor gives the transferee for *each employee who transfers*:

(a) the employee's identity and age;
(b) the particulars of employment that s.1 of the Employment Rights Act 1996 requires in a
    written statement, as in force on the transfer date (from 6 April 2020 it also asks for
    the days of work, other paid leave, other benefits, probation and training);
(c) disciplinary action taken against, and grievances raised by, the employee in the previous
    two years, where the ACAS Code of Practice applies;
(d) claims the employee has brought against the transferor in the previous two years, or that
    the transferor has reasonable grounds to believe may be brought;
(e) the collective agreements that will have effect after the transfer (reg 5).

:data:`ELI_ITEMS` names each item by the staff-list column that holds it, in the order an
export and a schedule give them. Every item the law asks for on the transfer date
(:func:`required_items`) must be stated for the ELI to be complete; "none" is a statement (no
grievances, no probation), an empty cell is not. :func:`eli_gaps` names each gap of each
transferring employee; the CLI (``eli check``), the web page, the API and the step evidence of
the ELI use it, and the schedule letter and the export read :func:`required_items` too.
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
from transfer_engine.store.transfers import KeyDate, Transfer

__all__ = [
    "ELI_COLUMNS",
    "ELI_ITEMS",
    "S1_AMENDED",
    "EliCompleteness",
    "EliItem",
    "EmployeeGaps",
    "age_on",
    "eli_gaps",
    "eli_gaps_on",
    "employee_gaps",
    "gaps_of",
    "not_required_note",
    "required_items",
]

#: Reg 11(2)(b) asks for the particulars s.1 of the Employment Rights Act 1996 requires, so the
#: ELI follows s.1 as in force on the transfer date (the date a workflow's rules are chosen by,
#: too). The Employment Rights (Miscellaneous Amendments) Regulations 2019 (SI 2019/731) added
#: particulars to s.1 from this date: an item they added is not owed for a transfer before it.
S1_AMENDED = date(2020, 4, 6)
_S1_AMENDED_BY = "SI 2019/731"


@dataclass(frozen=True)
class EliItem:
    """One item of the ELI: the staff-list column that holds it, and the law that asks for it."""

    column: str
    label: str
    regulation: str   # the paragraph of reg 11(2) (and of ERA 1996 s.1)
    part: str         # "a" to "e": the paragraph of reg 11(2), for grouping
    # The first transfer date for which the law asks for it (None: every transfer), for the
    # particulars SI 2019/731 added to ERA 1996 s.1 (see S1_AMENDED).
    required_from: date | None = None

    def required_on(self, transfer_date: date | None) -> bool:
        """Whether the ELI of a transfer on ``transfer_date`` must state it. With no transfer
        date recorded yet, the law in force now: every item (as a workflow's rules do)."""
        return (self.required_from is None or transfer_date is None
                or transfer_date >= self.required_from)

    def law_on(self, transfer_date: date | None) -> str:
        """The law that asks for it, or, when it does not on ``transfer_date``, why not."""
        if self.required_on(transfer_date) or self.required_from is None:
            return self.regulation
        return (f"{self.regulation}, not required for a transfer before "
                f"{self.required_from.isoformat()} ({_S1_AMENDED_BY})")


def _item(column: str, label: str, part: str, s1: str = "",
          required_from: date | None = None) -> EliItem:
    regulation = f"reg 11(2)({part})" + (f", ERA 1996 s.1{s1}" if s1 else "")
    return EliItem(column, label, regulation, part, required_from)


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
    # Owed for every transfer: s.1(4)(c) asked for normal working hours before SI 2019/731
    # added the days of work to it.
    _item("normal_working_hours", "normal working hours and days", "b", "(4)(c)"),
    _item("holiday_entitlement", "holiday entitlement", "b", "(4)(d)(i)"),
    _item("holiday_pay", "holiday pay", "b", "(4)(d)(i)"),
    _item("sick_pay", "sick leave and sick pay", "b", "(4)(d)(ii)"),
    _item("other_paid_leave", "other paid leave", "b", "(4)(d)(iia)", S1_AMENDED),
    _item("pension", "pension", "b", "(4)(d)(iii)"),
    _item("other_benefits", "other benefits", "b", "(4)(da)", S1_AMENDED),
    _item("notice_by_employer", "notice the employee is entitled to receive", "b", "(4)(e)"),
    _item("notice_by_employee", "notice the employee must give", "b", "(4)(e)"),
    _item("contract_term", "permanent, or expected end of employment", "b", "(4)(g)"),
    _item("probation", "probationary period", "b", "(4)(ga)", S1_AMENDED),
    _item("place_of_work", "place of work", "b", "(4)(h)"),
    _item("work_outside_uk", "work outside the UK for more than a month", "b", "(4)(k)"),
    _item("training_entitlement", "training entitlement", "b", "(4)(l)", S1_AMENDED),
    _item("required_training", "training the employee must complete", "b", "(4)(m)-(n)",
          S1_AMENDED),
    _item("disciplinary", "disciplinary action in the last two years", "c"),
    _item("grievances", "grievances in the last two years", "c"),
    _item("claims", "claims brought or expected in the last two years", "d"),
    _item("collective_agreements", "collective agreements that will apply", "e", "(4)(j)"),
)
"""Every item, in the order an export and a schedule give them."""

ELI_COLUMNS: tuple[str, ...] = tuple(item.column for item in ELI_ITEMS)


def required_items(transfer_date: date | None) -> tuple[EliItem, ...]:
    """The items the ELI of a transfer on ``transfer_date`` must state, in :data:`ELI_ITEMS`
    order: every item, less the s.1 particulars not yet in force on that date (SI 2019/731,
    from 6 April 2020). The check, the step evidence, the schedule letter and the export all
    read this, so that they never disagree about what is missing."""
    return tuple(item for item in ELI_ITEMS if item.required_on(transfer_date))


def not_required_note(transfer_date: date | None) -> str | None:
    """Which items the law does not ask for on this transfer date, and why; None when it asks
    for every item."""
    spared = [item.label for item in ELI_ITEMS if not item.required_on(transfer_date)]
    if not spared or transfer_date is None:
        return None
    listed = (", ".join(spared[:-1]) + f" and {spared[-1]}") if len(spared) > 1 else spared[0]
    return (f"not required for a transfer on {transfer_date.isoformat()}: {listed} (ERA 1996 "
            f"s.1 asks for them only from {S1_AMENDED.isoformat()}, "
            f"{_S1_AMENDED_BY}); a value recorded for one is still given")


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


class Particulars(Protocol):
    """An employee's ELI as recorded: an :class:`Employee`, or a row of its table read on a
    Core connection (the evidence rules judge on one). Every item is read by its column."""

    @property
    def employee_ref(self) -> str: ...


def employee_gaps(employee: Particulars, *, transfer_date: date | None) -> tuple[EliItem, ...]:
    """The items the law asks for on ``transfer_date`` (:func:`required_items`) not stated for
    this employee (empty: their ELI is complete)."""
    return tuple(item for item in required_items(transfer_date)
                 if _blank(getattr(employee, item.column)))


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
    # The transfer date whose law decided which items are owed (:func:`required_items`).
    transfer_date: date | None = None

    @property
    def not_required(self) -> tuple[EliItem, ...]:
        """The items the law does not ask for on the transfer date (none from 6 April 2020)."""
        return tuple(i for i in ELI_ITEMS if not i.required_on(self.transfer_date))

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
                "employees": [g.as_json() for g in self.employees],
                "transfer_date": (self.transfer_date.isoformat() if self.transfer_date
                                  else None),
                "not_required": [{"column": i.column, "label": i.label,
                                  "regulation": i.regulation} for i in self.not_required]}


def gaps_of(employees: Iterable[Particulars], as_of: date, *,
            transfer_date: date | None) -> EliCompleteness:
    """The completeness of these (transferring) employees' ELI, under the law in force on the
    transfer date."""
    staff = list(employees)
    found = tuple(EmployeeGaps(e.employee_ref, missing) for e in staff
                  if (missing := employee_gaps(e, transfer_date=transfer_date)))
    return EliCompleteness(as_of, len(staff), found, transfer_date)


def eli_gaps(session: Session, transfer: Transfer, *, as_of: date) -> EliCompleteness:
    """Every gap of every employee who transfers, as it stands on ``as_of``, under the law in
    force on the transfer's date (however late ``as_of`` is)."""
    assert transfer.id is not None  # read from the database
    connection = session.connection()
    transfer_date = connection.execute(_TRANSFER_DATE, {"tid": transfer.id}).scalar()
    return eli_gaps_on(connection, transfer.id, as_of=as_of, transfer_date=transfer_date)


_EMPLOYEE = Employee.__table__  # type: ignore[attr-defined]
_KEY_DATE = KeyDate.__table__  # type: ignore[attr-defined]
# Built once: the evidence of the ELI step reads it on every committed transition. Who transfers
# is the objections rule's (an objection counts from its date), by employee reference.
_TRANSFERRING = (
    sa.select(_EMPLOYEE)
    .where(_EMPLOYEE.c.transfer_id == sa.bindparam("tid"),
           objections.transferring_clause(sa.bindparam("as_of", type_=sa.Date)))
    .order_by(_EMPLOYEE.c.employee_ref))
# Whose law decides which items are owed (required_items).
_TRANSFER_DATE = sa.select(_KEY_DATE.c.value).where(
    _KEY_DATE.c.transfer_id == sa.bindparam("tid"), _KEY_DATE.c.name == "transfer")


def eli_gaps_on(connection: Connection, transfer_id: int, *, as_of: date,
                transfer_date: date | None) -> EliCompleteness:
    """:func:`eli_gaps` read on a Core connection, in the caller's transaction: the employees
    transferring as of ``as_of`` (see :mod:`transfer_engine.rules.objections`), every item the
    law asks for on ``transfer_date`` (the caller has read it)."""
    rows = connection.execute(_TRANSFERRING, {"tid": transfer_id, "as_of": as_of}).all()
    return gaps_of(rows, as_of, transfer_date=transfer_date)
