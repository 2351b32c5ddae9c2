"""Tables of the people in a transfer: employees and their representatives."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import Column, Numeric, UniqueConstraint
from sqlmodel import Field, SQLModel

from transfer_engine.domain import RepresentativeKind


class Employee(SQLModel, table=True):
    """A person employed in the undertaking. Demo and test employees are synthetic."""

    __table_args__ = (UniqueConstraint("transfer_id", "employee_ref"),)

    id: int | None = Field(default=None, primary_key=True)
    transfer_id: int = Field(foreign_key="transfer.id", index=True)
    employee_ref: str
    full_name: str
    email: str | None = None
    role: str
    fte: Decimal = Field(sa_column=Column(Numeric(5, 2), nullable=False))
    weekly_pay: Decimal = Field(sa_column=Column(Numeric(10, 2), nullable=False))
    date_of_birth: date | None = None
    in_scope: bool = True
    # Reg 4(7): an objection ends employment at the transfer, without a dismissal.
    objected_on: date | None = None
    synthetic: bool = False
    # The employee liability information beyond the staff list's basics (reg 11(2)(b)-(e);
    # the ERA 1996 s.1 particulars as amended from April 2020). Each is what the written
    # statement says, as text ("none" is a statement; no value means not recorded yet), so
    # that one row holds the whole ELI of one employee. See transfer_engine.rules.eli.
    start_date: date | None = None                    # s.1(3)(b)
    continuous_start: date | None = None              # s.1(3)(c)
    pay_scale: str | None = None                      # s.1(4)(a)
    pay_interval: str | None = None                   # s.1(4)(b)
    weekly_hours: Decimal | None = Field(default=None,  # s.1(4)(c)
                                         sa_column=Column(Numeric(5, 2), nullable=True))
    normal_working_hours: str | None = None           # s.1(4)(c)
    holiday_entitlement: str | None = None            # s.1(4)(d)(i)
    holiday_pay: str | None = None                    # s.1(4)(d)(i)
    sick_pay: str | None = None                       # s.1(4)(d)(ii)
    other_paid_leave: str | None = None               # s.1(4)(d)(iia)
    pension: str | None = None                        # s.1(4)(d)(iii)
    other_benefits: str | None = None                 # s.1(4)(da)
    notice_by_employer: str | None = None             # s.1(4)(e)
    notice_by_employee: str | None = None             # s.1(4)(e)
    contract_term: str | None = None                  # s.1(4)(g)
    probation: str | None = None                      # s.1(4)(ga)
    place_of_work: str | None = None                  # s.1(4)(h)
    work_outside_uk: str | None = None                # s.1(4)(k)
    training_entitlement: str | None = None           # s.1(4)(l)
    required_training: str | None = None              # s.1(4)(m)-(n)
    disciplinary: str | None = None                   # reg 11(2)(c), last two years
    grievances: str | None = None                     # reg 11(2)(c), last two years
    claims: str | None = None                         # reg 11(2)(d)
    collective_agreements: str | None = None          # reg 11(2)(e), s.1(4)(j)


class Representative(SQLModel, table=True):
    """A recognised trade union or elected representative of affected employees (reg 13)."""

    id: int | None = Field(default=None, primary_key=True)
    transfer_id: int = Field(foreign_key="transfer.id", index=True)
    organisation_id: int = Field(foreign_key="organisation.id")
    kind: RepresentativeKind
    name: str
    union: str | None = None
    email: str
    # When no employees are linked, the representative speaks for all of the organisation's
    # affected employees in this transfer.
    synthetic: bool = False
    # Reg 14: an elected representative is elected at a recorded election, on its result date.
    election_id: int | None = Field(default=None, foreign_key="election.id")
    elected_on: date | None = None
    # Reg 13(3)(b)(i): the authority an existing representative holds from the employees to
    # be informed and consulted about the transfer on their behalf.
    authority: str | None = None


class Election(SQLModel, table=True):
    """An election of employee representatives that an employer arranges for its own affected
    employees (reg 14), when they have no recognised union and no existing representatives.

    Each stage is a date: the invitation (with the number of representatives and their term,
    reg 14(1)(b)-(d)), the close of nominations (with how many affected employees stood,
    reg 14(1)(e)), the ballot and the result. ``none_elected_on`` records that the employees
    failed to elect within a reasonable time (reg 13(11)).
    """

    id: int | None = Field(default=None, primary_key=True)
    transfer_id: int = Field(foreign_key="transfer.id", index=True)
    organisation_id: int = Field(foreign_key="organisation.id")
    seats: int
    term: str
    invited_on: date
    nominations_close_on: date
    nominations_closed_on: date | None = None
    # How many stood: no more can be elected, and more than ``seats`` needs a ballot (reg
    # 14(1)(g)-(h)). None for nominations closed before it was kept and not found in the log.
    candidates: int | None = None
    ballot_on: date | None = None
    result_on: date | None = None
    none_elected_on: date | None = None


class RepresentedEmployee(SQLModel, table=True):
    """Which employees a representative represents, when not all of them."""

    representative_id: int = Field(foreign_key="representative.id", primary_key=True)
    employee_id: int = Field(foreign_key="employee.id", primary_key=True)
