"""The people in a transfer: employees imported from an HR export, and their representatives.

An import checks every row before writing anything: a file with one bad row imports nothing,
and the error names each row (as numbered in a spreadsheet, the header being row 1) and column.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path

import pydantic
from sqlalchemy import delete
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from transfer_engine.engine.advance import _bump, _check_version
from transfer_engine.engine.create import describe_validation
from transfer_engine.engine.inputs import EmployeeRow, RepresentativeCreate
from transfer_engine.engine.planning import refresh_steps
from transfer_engine.errors import ImportRowsError, NotFoundError, RowProblem, ValidationError
from transfer_engine.store.database import write_session
from transfer_engine.store.people import Employee, Representative, RepresentedEmployee
from transfer_engine.store.queries import audit, get_organisation, get_transfer

COLUMNS = list(EmployeeRow.model_fields)
REQUIRED = [name for name, f in EmployeeRow.model_fields.items() if f.is_required()]


@dataclass(frozen=True)
class ImportReport:
    ref: str
    imported: int
    replaced: int
    in_scope: int


def read_rows(text: str, source: str) -> list[EmployeeRow]:
    """Parse and check every row of a CSV; raise :class:`ImportRowsError` listing all problems."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    header = next(reader, [])
    # Numbered by record, blank ones included: row 2 is the spreadsheet's row 2 even when a
    # quoted cell spans lines or a blank line sits in the middle.
    return validate_rows(header, enumerate(reader, start=2), source)


def read_xlsx(data: bytes, source: str) -> list[EmployeeRow]:
    """Parse the first sheet of an Excel workbook and check it exactly as a CSV would be.

    Cells arrive typed (numbers, dates); they are turned back into the text a CSV export would
    hold, so both formats meet one validation and give the same messages.
    """
    import zipfile

    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, OSError, KeyError, ValueError) as exc:
        raise ValidationError(f"{source} is not an Excel workbook (.xlsx) that can be read "
                              f"({exc}); save it again as .xlsx or as CSV UTF-8") from None
    try:
        sheet = workbook.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        header_cells = list(next(rows, ()))
        while header_cells and header_cells[-1] in (None, ""):
            header_cells.pop()  # Excel reports formatted but empty columns
        header = [_cell_text(c) for c in header_cells]
        numbered = [(number, [_cell_text(c) for c in row])
                    for number, row in enumerate(rows, start=2)]
    finally:
        workbook.close()
    body = []
    for number, cells in numbered:
        while len(cells) > len(header) and cells[-1] == "":
            cells.pop()
        body.append((number, cells))
    return validate_rows(header, body, source)


def _cell_text(value: object) -> str:
    """A cell as the text a CSV export of it would contain."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        # 0.62 stored as a binary float prints as 0.62; whole numbers lose their ".0".
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


def read_upload(filename: str, data: bytes) -> list[EmployeeRow]:
    """Rows of an uploaded staff list, CSV or XLSX, chosen by the file name's ending."""
    name = filename.lower()
    if name.endswith(".xlsx"):
        return read_xlsx(data, filename)
    if name.endswith(".csv"):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ValidationError(f"{filename} is not UTF-8 text. Save the sheet as "
                                  "CSV UTF-8 (or upload the .xlsx file).") from None
        return read_rows(text, filename)
    raise ValidationError(f"{filename}: upload a .csv (CSV UTF-8) or .xlsx file")


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
        problems = [RowProblem(1, c, "required column is missing") for c in missing]
        problems += [RowProblem(1, c, f"unknown column; expected some of {', '.join(COLUMNS)}")
                     for c in unknown]
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
            for error in exc.errors():
                column = str(error["loc"][0]) if error["loc"] else "(row)"
                problems.append(RowProblem(number, column, _friendly(error)))
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


def _friendly(error: Mapping[str, object]) -> str:
    value = error.get("input")
    shown = f" (got {value!r})" if isinstance(value, str) else ""
    if error["type"] == "missing":
        return "is empty; every row needs a value here"
    return f"{error['msg']}{shown}"


def import_employees(ref: str, path: Path, *, actor: str, replace: bool = False,
                     engine: Engine | None = None) -> ImportReport:
    """Import a CSV staff list into a transfer: all rows or none."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ValidationError(f"cannot read {path}: {exc}. Save the sheet as CSV UTF-8.") from None
    rows = read_rows(text, str(path))
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
                    "imported. Use --replace to replace the whole staff list with this file.")
        if replace and existing:
            ids = [e.id for e in existing]
            session.execute(delete(RepresentedEmployee)
                            .where(RepresentedEmployee.employee_id.in_(ids)))
            session.execute(delete(Employee).where(Employee.transfer_id == transfer.id))
            replaced = len(existing)
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
        raise ValidationError(describe_validation(exc)) from None
    with write_session(engine) as session:
        representative = _add_representative(session, ref, spec, actor=actor)
        transfer = get_transfer(session, ref)
        _bump(session, transfer, transfer.version)
        return representative


def _add_representative(session: Session, ref: str, spec: RepresentativeCreate, *, actor: str,
                        synthetic: bool = False) -> Representative:
    transfer = get_transfer(session, ref, lock=True)
    organisation = get_organisation(session, spec.organisation)
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
                    actor: str, expected_version: int | None = None,
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
        if objected_on is not None and objected_on > date.today():
            raise ValidationError("the objection date cannot be in the future")
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
