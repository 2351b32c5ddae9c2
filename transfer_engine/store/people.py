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


class RepresentedEmployee(SQLModel, table=True):
    """Which employees a representative represents, when not all of them."""

    representative_id: int = Field(foreign_key="representative.id", primary_key=True)
    employee_id: int = Field(foreign_key="employee.id", primary_key=True)
