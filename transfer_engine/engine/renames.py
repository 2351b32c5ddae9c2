"""Correcting or changing an employee's name, one employee at a time.

The staff list gives each employee's name; a name can change afterwards (marriage, a spelling
the HR export lost) without a new staff list. The name is part of the employee liability
information (reg 11(2)(a)): once an employee's ELI schedule has been given, the change is kept
for the reg 11(5) notice to the transferee, as a re-imported staff list's changes are.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

import pydantic
from sqlmodel import Session

from transfer_engine.engine.evidence import reconcile_in
from transfer_engine.engine.inputs import EmployeeRow
from transfer_engine.engine.liability import record_changes, snapshot
from transfer_engine.errors import FieldProblem, ValidationError
from transfer_engine.store.liability import EliChange
from transfer_engine.store.people import Employee
from transfer_engine.store.queries import audit
from transfer_engine.store.transfers import Transfer
from transfer_engine.validation import field_problems

__all__ = ["checked_name", "rename_employee"]


#: The staff list's own rule for a name (one line, printable, 1-200 characters).
_NAME = pydantic.TypeAdapter(Annotated[str, *EmployeeRow.model_fields["full_name"].metadata])


def checked_name(full_name: str) -> str:
    """``full_name`` as the staff list would store it (one line, NFC, spaces collapsed); a
    :class:`ValidationError` on the field ``full_name`` saying what is wrong otherwise."""
    try:
        return str(_NAME.validate_python(" ".join(full_name.split())))
    except pydantic.ValidationError as exc:
        raise ValidationError(field_problems=[
            FieldProblem("full_name", p.message, "full name", p.code, p.limit)
            for p in field_problems(exc)]) from None


def rename_employee(session: Session, transfer: Transfer, employee: Employee, full_name: str,
                    *, actor: str, today: date) -> list[EliChange]:
    """Give ``employee`` the name ``full_name`` (checked as the staff list checks it), in the
    caller's transaction. Returns the ELI changes kept for the transferee (reg 11(5)).

    The audit entry names the employee by reference only, never by either name.
    """
    name = checked_name(full_name)
    if name == employee.full_name:
        return []
    given = {employee.employee_ref: snapshot(employee)}
    employee.full_name = name
    session.add(employee)
    session.flush()
    changes = record_changes(session, transfer, given,
                             {employee.employee_ref: snapshot(employee)},
                             changed_on=today, actor=actor)
    audit(session, transfer, actor, "employee-renamed", from_state=transfer.state,
          to_state=transfer.state, data={
              "employee_ref": employee.employee_ref,
              # Whether the transferee is to be told (reg 11(5)), not what either name is.
              "eli_changes": len(changes)})
    # The name is an item of the ELI (reg 11(2)(a)): its evidence is judged again.
    reconcile_in(session, transfer.id, actor=actor, today=today)
    return changes
