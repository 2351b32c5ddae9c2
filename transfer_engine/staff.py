"""The people in a transfer: employees imported from an HR export, and their representatives.

An import checks every row before writing anything: a file with one bad row imports nothing,
and the error names each row (as numbered in a spreadsheet, the header being row 1) and column.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pydantic
from sqlalchemy import delete
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from transfer_engine.db import write_session
from transfer_engine.engine import (
    _bump,
    _current_version,
    audit,
    describe_validation,
    get_organisation,
    get_transfer,
    refresh_steps,
)
from transfer_engine.errors import ImportRowsError, RowProblem, ValidationError
from transfer_engine.models import Employee, Representative, RepresentedEmployee
from transfer_engine.schemas import EmployeeRow, RepresentativeCreate

COLUMNS = list(EmployeeRow.model_fields)
REQUIRED = [name for name, f in EmployeeRow.model_fields.items() if f.is_required()]


@dataclass(frozen=True)
class ImportReport:
    ref: str
    imported: int
    replaced: int
    in_scope: int


def read_rows(text: str, source: str) -> list[EmployeeRow]:
    """Parse and check every row; raise :class:`ImportRowsError` listing all problems."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED if c not in header]
    unknown = [c for c in header if c not in COLUMNS]
    if missing or unknown:
        problems = [RowProblem(1, c, "required column is missing") for c in missing]
        problems += [RowProblem(1, c, f"unknown column; expected some of {', '.join(COLUMNS)}")
                     for c in unknown]
        raise ImportRowsError(source, problems)
    rows: list[EmployeeRow] = []
    problems: list[RowProblem] = []
    seen: dict[str, int] = {}
    for number, raw in enumerate(reader, start=2):
        if None in raw:
            problems.append(RowProblem(number, "(row)", "more values than there are columns"))
            continue
        values = {k.strip(): (v or "").strip() for k, v in raw.items() if k}
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
        rows.append(row)
    if problems:
        raise ImportRowsError(source, problems)
    if not rows:
        raise ValidationError(f"{source}: no employee rows found under the header")
    return rows


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
                    source: str, synthetic: bool = False,
                    engine: Engine | None = None) -> ImportReport:
    rows = list(rows)
    expected = _current_version(ref, engine)
    with write_session(engine) as session:
        transfer = get_transfer(session, ref, lock=True)
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
        _bump(session, transfer, expected)
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
    expected = _current_version(ref, engine)
    with write_session(engine) as session:
        representative = _add_representative(session, ref, spec, actor=actor)
        _bump(session, get_transfer(session, ref), expected)
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
