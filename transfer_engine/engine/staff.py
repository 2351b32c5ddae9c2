"""The people in a transfer: employees imported from an HR export, and their representatives.

An import checks every row before writing anything: a file with one bad row imports nothing,
and the error names each row (as numbered in a spreadsheet, the header being row 1) and column.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pydantic
from sqlalchemy import delete
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from transfer_engine.engine import spreadsheets
from transfer_engine.engine.advance import _bump, _check_version
from transfer_engine.engine.import_limits import MAX_FILE_BYTES
from transfer_engine.engine.inputs import EmployeeRow, RepresentativeCreate
from transfer_engine.engine.planning import refresh_steps
from transfer_engine.errors import (
    Action,
    FieldProblem,
    ImportRowsError,
    NextStep,
    NotFoundError,
    RowProblem,
    ValidationError,
)
from transfer_engine.store.database import write_session
from transfer_engine.store.people import Employee, Representative, RepresentedEmployee
from transfer_engine.store.queries import audit, get_organisation, get_transfer
from transfer_engine.validation import field_problems

COLUMNS = list(EmployeeRow.model_fields)
DATE_COLUMNS = ("date_of_birth", "objected_on")
REQUIRED = [name for name, f in EmployeeRow.model_fields.items() if f.is_required()]


@dataclass(frozen=True)
class ImportReport:
    ref: str
    imported: int
    replaced: int
    in_scope: int


def read_rows(text: str, source: str) -> list[EmployeeRow]:
    """Parse and check every row of a CSV; raise :class:`ImportRowsError` listing all problems.

    The delimiter (comma, semicolon or tab) is the one the header is written with.
    """
    table = spreadsheets.read_csv(text, source, COLUMNS)
    return validate_rows(table.header, table.rows, source)


def read_xlsx(data: bytes, source: str) -> list[EmployeeRow]:
    """Parse the first sheet of an Excel workbook and check it exactly as a CSV would be.

    The workbook is read in streaming mode within the import limits; a hostile one is refused
    before its rows are read.
    """
    table = spreadsheets.read_xlsx(data, source, DATE_COLUMNS)
    return validate_rows(table.header, table.rows, source)


def read_upload(filename: str, data: bytes) -> list[EmployeeRow]:
    """Rows of an uploaded staff list, CSV or XLSX, chosen by the file name's ending."""
    if not filename.lower().endswith((".csv", ".xlsx")):
        raise ValidationError(f"{filename}: upload a .csv (CSV UTF-8) or .xlsx file")
    return read_staff_file(filename, data)


def read_staff_file(filename: str, data: bytes) -> list[EmployeeRow]:
    """Rows of a staff list: an .xlsx workbook, or else CSV text; within the import limits."""
    spreadsheets.check_file_size(len(data), filename)
    if filename.lower().endswith(".xlsx"):
        return read_xlsx(data, filename)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError(f"{filename} is not UTF-8 text. Save the sheet as "
                              "CSV UTF-8 (or use the .xlsx file).") from None
    return read_rows(text, filename)


def validate_rows(header: Sequence[str], rows: Iterable[tuple[int, Sequence[str]]],
                  source: str) -> list[EmployeeRow]:
    """Check a header and numbered rows of text cells, from whatever file they came.

    Every problem of every row is collected before anything is reported, so that one round of
    fixes is enough; numbers are the spreadsheet's own (the header is row 1).
    """
    header = [h.strip() for h in header]
    missing = [c for c in REQUIRED if c not in header]
    unknown = [c for c in header if c not in COLUMNS]
    if missing or unknown:
        delimiter = spreadsheets.looks_delimited_by(header)
        if delimiter:
            # The whole header came out as one column: the delimiter is not the one detected.
            problems = [RowProblem(1, "(header)", (
                f"the file looks {delimiter}-separated, and its header names none of the "
                f"columns this import knows. Name the columns {', '.join(COLUMNS)}; or save the "
                "file from the spreadsheet as CSV UTF-8 (comma-delimited)"))]
        else:
            problems = [RowProblem(1, c, "required column is missing") for c in missing]
            problems += [RowProblem(1, c, f"unknown column; expected some of "
                                          f"{', '.join(COLUMNS)}") for c in unknown]
        raise ImportRowsError(source, problems)
    result: list[EmployeeRow] = []
    problems = []
    seen: dict[str, int] = {}
    for number, cells in rows:
        if len(cells) > len(header):
            problems.append(RowProblem(number, "(row)", "more values than there are columns"))
            continue
        values = {name: (cells[i] if i < len(cells) else "").strip()
                  for i, name in enumerate(header) if name}
        if not any(values.values()):
            continue  # spreadsheets leave blank lines at the end
        values = {k: v for k, v in values.items() if v != "" or k in ("email",)}
        try:
            row = EmployeeRow.model_validate(values)
        except pydantic.ValidationError as exc:
            problems += [RowProblem(number, p.field, _with_hint(p, values.get(p.field)))
                         for p in field_problems(
                             exc, missing="is empty; every row needs a value here")]
            continue
        if row.employee_ref in seen:
            first = seen[row.employee_ref]
            problems.append(RowProblem(number, "employee_ref",
                                       f"{row.employee_ref!r} is also on row {first}"))
            continue
        seen[row.employee_ref] = number
        result.append(row)
    if problems:
        raise ImportRowsError(source, problems)
    if not result:
        raise ValidationError(f"{source}: no employee rows found under the header")
    return result


# What each column holds, said after pydantic's complaint (worded by field_problems) so that a
# person knows what to write: "fte: must be a number; write ... e.g. 0.62 (got 'full-time')".
HINTS = {
    "fte": "write the full-time equivalent as a number above 0 and at most 1.5, with at most "
           "two decimal places, e.g. 0.62",
    "weekly_pay": "write the gross weekly pay in pounds as a number with at most two decimal "
                  "places and no £ sign, e.g. 347.20",
    "email": "write an email address such as jo.bloggs@example.org, or leave it empty",
    "in_scope": "write yes or no",
}
# Columns whose own validators already say what to write, and quote the value.
_SELF_EXPLAINED = {"date_of_birth", "objected_on"}


def _with_hint(problem: FieldProblem, value: str | None) -> str:
    if problem.code == "required":
        return problem.message
    if problem.field in _SELF_EXPLAINED and problem.code == "invalid":
        return problem.message
    message = problem.message
    hint = HINTS.get(problem.field)
    if problem.field in ("fte", "weekly_pay") and value and "," in value:
        hint = "use a full stop as the decimal mark, e.g. 0.62 (not 0,62)"
    if hint and not message.startswith(hint):
        message = f"{message.rstrip('.')}; {hint}"
    if value:
        shown = value if len(value) <= 60 else value[:57] + "..."
        message += f" (got {shown!r})"
    return message


def import_employees(ref: str, path: Path, *, actor: str, replace: bool = False,
                     engine: Engine | None = None) -> ImportReport:
    """Import a staff list (CSV, or .xlsx) into a transfer: all rows or none."""
    try:
        spreadsheets.check_file_size(path.stat().st_size, str(path))
        with path.open("rb") as file:
            # Never more than the limit, even from a file that grows or a device.
            data = file.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise ValidationError(f"cannot read {path}: {exc}. Save the sheet as CSV UTF-8.") from None
    rows = read_staff_file(str(path), data)
    return store_employees(ref, rows, actor=actor, replace=replace, source=path.name,
                           engine=engine)


def store_employees(ref: str, rows: Iterable[EmployeeRow], *, actor: str, replace: bool,
                    source: str, synthetic: bool = False, expected_version: int | None = None,
                    engine: Engine | None = None) -> ImportReport:
    rows = list(rows)
    with write_session(engine) as session:
        transfer = get_transfer(session, ref, lock=True)
        _check_version(transfer, expected_version)
        existing = session.exec(select(Employee).where(Employee.transfer_id == transfer.id)).all()
        replaced = 0
        if existing and not replace:
            clash = {e.employee_ref for e in existing} & {r.employee_ref for r in rows}
            if clash:
                raise ValidationError(
                    f"{ref} already has employee(s) {', '.join(sorted(clash)[:10])}; nothing was "
                    "imported. To import this file, replace the whole staff list with it.",
                    next_step=NextStep(Action.replace_staff_list, ref=ref))
        if replace and existing:
            ids = [e.id for e in existing]
            session.execute(delete(RepresentedEmployee)
                            .where(col(RepresentedEmployee.employee_id).in_(ids)))
            session.execute(delete(Employee).where(col(Employee.transfer_id) == transfer.id))
            replaced = len(existing)
        assert transfer.id is not None  # read from the database
        for row in rows:
            session.add(Employee(transfer_id=transfer.id, synthetic=synthetic,
                                 **row.model_dump()))
        session.flush()
        refresh_steps(session, transfer)
        _bump(session, transfer, transfer.version)
        in_scope = sum(1 for r in rows if r.in_scope)
        # Personal data stays out of the audit log: counts and references only.
        audit(session, transfer, actor, "employees-imported", from_state=transfer.state,
              to_state=transfer.state, data={
                  "source": source, "rows": len(rows), "in_scope": in_scope,
                  "replaced": replaced, "synthetic": synthetic,
                  "employee_refs": [r.employee_ref for r in rows]})
        return ImportReport(ref, len(rows), replaced, in_scope)


def add_representative(ref: str, data: Mapping[str, object], *, actor: str,
                       engine: Engine | None = None) -> Representative:
    try:
        spec = RepresentativeCreate.model_validate(data)
    except pydantic.ValidationError as exc:
        raise ValidationError(field_problems=field_problems(exc)) from None
    with write_session(engine) as session:
        representative = _add_representative(session, ref, spec, actor=actor)
        transfer = get_transfer(session, ref)
        _bump(session, transfer, transfer.version)
        return representative


def _add_representative(session: Session, ref: str, spec: RepresentativeCreate, *, actor: str,
                        synthetic: bool = False) -> Representative:
    transfer = get_transfer(session, ref, lock=True)
    organisation = get_organisation(session, spec.organisation)
    assert transfer.id is not None and organisation.id is not None  # read from the database
    representative = Representative(
        transfer_id=transfer.id, organisation_id=organisation.id, kind=spec.kind,
        name=spec.name, union=spec.union, email=spec.email, synthetic=synthetic)
    session.add(representative)
    session.flush()
    refresh_steps(session, transfer)
    audit(session, transfer, actor, "representative-added", data={
        "representative_id": representative.id, "organisation": spec.organisation,
        "kind": spec.kind.value, "union": spec.union})
    return representative


def update_employee(ref: str, employee_ref: str, *, in_scope: bool, objected_on: date | None,
                    actor: str, expected_version: int | None = None, today: date | None = None,
                    engine: Engine | None = None) -> Employee:
    """Put one employee in or out of scope, or record (or withdraw) their objection.

    Reg 4(7): an employee who objects does not transfer; their employment ends at the transfer
    without a dismissal, and the ELI already given must be corrected (reg 11(5)). Either change
    alters who transfers, so every deadline's applicability is worked out again.
    """
    with write_session(engine) as session:
        transfer = get_transfer(session, ref, lock=True)
        _check_version(transfer, expected_version)
        employee = session.exec(select(Employee).where(
            Employee.transfer_id == transfer.id, Employee.employee_ref == employee_ref)).first()
        if employee is None:
            raise NotFoundError(f"{ref} has no employee {employee_ref!r}")
        if objected_on is not None and objected_on > (today or date.today()):
            raise ValidationError(field_problems=[FieldProblem(
                "objected_on", "must be today or in the past", "date of the objection",
                "in_future")])
        before = {"in_scope": employee.in_scope,
                  "objected_on": employee.objected_on.isoformat() if employee.objected_on
                  else None}
        employee.in_scope, employee.objected_on = in_scope, objected_on
        session.add(employee)
        session.flush()
        refresh_steps(session, transfer)
        _bump(session, transfer, transfer.version)
        after = {"in_scope": in_scope,
                 "objected_on": objected_on.isoformat() if objected_on else None}
        # The reference only: names stay out of the audit log.
        audit(session, transfer, actor, "employee-updated", from_state=transfer.state,
              to_state=transfer.state,
              data={"employee_ref": employee_ref, "before": before, "after": after})
        return employee
