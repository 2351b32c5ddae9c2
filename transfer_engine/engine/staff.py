"""The people in a transfer: employees imported from an HR export, and their representatives.

An import checks every row before writing anything: a file with one bad row imports nothing,
and the error names each row (as numbered in a spreadsheet, the header being row 1) and column.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import pydantic
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from transfer_engine.domain import RepresentativeKind
from transfer_engine.engine import spreadsheets
from transfer_engine.engine.advance import _bump, _check_version
from transfer_engine.engine.elections import elected_at
from transfer_engine.engine.evidence import reconcile_in
from transfer_engine.engine.import_limits import MAX_FILE_BYTES
from transfer_engine.engine.inputs import EmployeeRow, RepresentativeCreate
from transfer_engine.engine.liability import record_changes, snapshot
from transfer_engine.engine.planning import refresh_steps
from transfer_engine.engine.representatives import (
    REPRESENTATIVE_DUTY,
    Candidate,
    duplicate_problems,
    require_party,
)
from transfer_engine.errors import (
    FieldProblem,
    ImportRowsError,
    NotFoundError,
    RowProblem,
    ValidationError,
)
from transfer_engine.rules.eli import ELI_ITEMS
from transfer_engine.rules.objections import objection_problem
from transfer_engine.store.database import read_session, write_session
from transfer_engine.store.liability import EliChange
from transfer_engine.store.people import Employee, Representative
from transfer_engine.store.queries import audit, get_organisation, get_transfer, key_dates_of
from transfer_engine.store.transfers import Transfer
from transfer_engine.validation import field_problems, parse

COLUMNS = list(EmployeeRow.model_fields)
DATE_COLUMNS = ("date_of_birth", "objected_on", "start_date", "continuous_start")
REQUIRED = [name for name, f in EmployeeRow.model_fields.items() if f.is_required()]


class ImportMode(enum.Enum):
    """How a staff list meets the one already recorded.

    ``update``: its rows update the employees with the same reference and add the others;
    employees not in the file are left as they are. ``replace``: the file is the whole staff
    list; employees not in it are put out of scope, not deleted, so that what is recorded about
    them (the ELI given, letters, an objection) stays in the history and in the register.
    """

    update = "update"
    replace = "replace"


# Column -> what a person calls it (the ELI's own words where it has one).
COLUMN_LABELS: dict[str, str] = {
    **{item.column: item.label for item in ELI_ITEMS},
    "fte": "full-time equivalent", "email": "email address", "in_scope": "in scope",
    "objected_on": "date of objection",
}


@dataclass(frozen=True)
class FieldChange:
    column: str
    old: object
    new: object

    @property
    def label(self) -> str:
        return COLUMN_LABELS.get(self.column, self.column.replace("_", " "))


@dataclass(frozen=True)
class EmployeeChange:
    """One employee the import changes: added, changed (field by field), or left off the list."""

    employee_ref: str
    full_name: str
    fields: tuple[FieldChange, ...] = ()

    def change_of(self, column: str) -> FieldChange | None:
        return next((f for f in self.fields if f.column == column), None)


@dataclass(frozen=True)
class ImportPlan:
    """What an import does to the staff list; worked out the same way to check and to apply."""

    mode: ImportMode
    added: tuple[EmployeeChange, ...]
    changed: tuple[EmployeeChange, ...]
    unchanged: int
    # Replace mode: recorded employees not in the file, put out of scope (history kept).
    left_off: tuple[EmployeeChange, ...]
    rows: int

    @property
    def out_of_scope(self) -> tuple[EmployeeChange, ...]:
        """Employees the import takes out of scope (a row saying so, or left off the list)."""
        return tuple(c for c in self.changed if (f := c.change_of("in_scope")) and f.new is False
                     ) + self.left_off

    @property
    def objected(self) -> tuple[EmployeeChange, ...]:
        """Employees whose objection (reg 4(7)) the import records."""
        return tuple(c for c in (*self.added, *self.changed)
                     if (f := c.change_of("objected_on")) and f.old is None and f.new)

    @property
    def changes_anything(self) -> bool:
        return bool(self.added or self.changed or self.left_off)

    def summary(self) -> str:
        """"2 added, 3 changed, 1 put out of scope", for messages and the command line."""
        parts = [f"{len(self.added)} added", f"{len(self.changed)} changed"]
        if self.mode == ImportMode.replace:
            parts.append(f"{len(self.left_off)} not on the list put out of scope")
        parts.append(f"{self.unchanged} unchanged")
        return ", ".join(parts)

    def as_json(self) -> dict[str, object]:
        def one(c: EmployeeChange) -> dict[str, object]:
            return {"employee_ref": c.employee_ref, "changes": {
                f.column: [_plain(f.old), _plain(f.new)] for f in c.fields}}
        return {"mode": self.mode.value, "rows": self.rows, "unchanged": self.unchanged,
                "added": [c.employee_ref for c in self.added],
                "changed": [one(c) for c in self.changed],
                "put_out_of_scope": [c.employee_ref for c in self.left_off],
                "objected": [c.employee_ref for c in self.objected]}


def _plain(value: object) -> object:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


@dataclass(frozen=True)
class ImportReport:
    ref: str
    imported: int
    replaced: int      # replace mode: employees not on the list, put out of scope
    in_scope: int
    plan: ImportPlan | None = None


def read_rows(text: str, source: str, transfer_date: date | None = None) -> list[EmployeeRow]:
    """Parse and check every row of a CSV; raise :class:`ImportRowsError` listing all problems.

    The delimiter (comma, semicolon or tab) is the one the header is written with.
    """
    table = spreadsheets.read_csv(text, source, COLUMNS)
    return validate_rows(table.header, table.rows, source, transfer_date)


def read_xlsx(data: bytes, source: str, transfer_date: date | None = None) -> list[EmployeeRow]:
    """Parse the first sheet of an Excel workbook and check it exactly as a CSV would be.

    The workbook is read in streaming mode within the import limits; a hostile one is refused
    before its rows are read.
    """
    table = spreadsheets.read_xlsx(data, source, DATE_COLUMNS)
    return validate_rows(table.header, table.rows, source, transfer_date)


def read_upload(filename: str, data: bytes,
                transfer_date: date | None = None) -> list[EmployeeRow]:
    """Rows of an uploaded staff list, CSV or XLSX, chosen by the file name's ending."""
    if not filename.lower().endswith((".csv", ".xlsx")):
        raise ValidationError(f"{filename}: upload a .csv (CSV UTF-8) or .xlsx file")
    return read_staff_file(filename, data, transfer_date)


def read_staff_file(filename: str, data: bytes,
                    transfer_date: date | None = None) -> list[EmployeeRow]:
    """Rows of a staff list: an .xlsx workbook, or else CSV text; within the import limits.

    With the transfer's date, an objection dated on or after it is refused with its row
    (reg 4(7): an objection is made before the transfer).
    """
    spreadsheets.check_file_size(len(data), filename)
    if filename.lower().endswith(".xlsx"):
        return read_xlsx(data, filename, transfer_date)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError(f"{filename} is not UTF-8 text. Save the sheet as "
                              "CSV UTF-8 (or use the .xlsx file).") from None
    return read_rows(text, filename, transfer_date)


def validate_rows(header: Sequence[str], rows: Iterable[tuple[int, Sequence[str]]],
                  source: str, transfer_date: date | None = None) -> list[EmployeeRow]:
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
        objection = objection_problem(row.objected_on, transfer_date)
        if objection:
            problems.append(RowProblem(number, "objected_on", objection))
            continue
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
    "weekly_hours": "write the contractual hours a week as a number above 0 and at most 100, "
                    "with at most two decimal places, e.g. 37 or 22.5",
}
# Columns whose own validators already say what to write, and quote the value.
_SELF_EXPLAINED = {"date_of_birth", "objected_on", "start_date", "continuous_start"}


def _with_hint(problem: FieldProblem, value: str | None) -> str:
    if problem.code == "required":
        return problem.message
    if problem.field in _SELF_EXPLAINED and problem.code == "invalid":
        return problem.message
    message = problem.message
    hint = HINTS.get(problem.field)
    if problem.field in ("fte", "weekly_pay", "weekly_hours") and value and "," in value:
        hint = "use a full stop as the decimal mark, e.g. 0.62 (not 0,62)"
    if hint and not message.startswith(hint):
        message = f"{message.rstrip('.')}; {hint}"
    if value:
        shown = value if len(value) <= 60 else value[:57] + "..."
        message += f" (got {shown!r})"
    return message


def import_employees(ref: str, path: Path, *, actor: str, replace: bool = False,
                     mode: ImportMode | None = None,
                     engine: Engine | None = None) -> ImportReport:
    """Import a staff list (CSV, or .xlsx) into a transfer: all rows or none.

    ``mode``: see :class:`ImportMode` (``replace=True`` is the older way of asking to replace).
    """
    rows = _read_path(ref, path, engine)
    return store_employees(ref, rows, actor=actor, replace=replace, mode=mode,
                           source=path.name, engine=engine)


def check_employees(ref: str, path: Path, *, mode: ImportMode,
                    engine: Engine | None = None) -> ImportPlan:
    """What importing the staff list at ``path`` would change, without changing anything."""
    return check_import(ref, _read_path(ref, path, engine), mode=mode, engine=engine)


def _read_path(ref: str, path: Path, engine: Engine | None) -> list[EmployeeRow]:
    try:
        spreadsheets.check_file_size(path.stat().st_size, str(path))
        with path.open("rb") as file:
            # Never more than the limit, even from a file that grows or a device.
            data = file.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise ValidationError(f"cannot read {path}: {exc}. Save the sheet as CSV UTF-8.") from None
    with read_session(engine) as session:
        transfer_date = key_dates_of(session, get_transfer(session, ref)).get("transfer")
    return read_staff_file(str(path), data, transfer_date)


def plan_import(existing: Sequence[Employee], rows: Sequence[EmployeeRow],
                mode: ImportMode) -> ImportPlan:
    """What ``rows`` change in the staff list ``existing``, employee by employee and field by
    field. The check page, ``import-employees --check`` and the import itself all use this."""
    by_ref = {e.employee_ref: e for e in existing}
    added: list[EmployeeChange] = []
    changed: list[EmployeeChange] = []
    unchanged = 0
    for row in rows:
        current = by_ref.get(row.employee_ref)
        if current is None:
            added.append(EmployeeChange(row.employee_ref, row.full_name, tuple(
                FieldChange(column, None, value) for column, value in _values(row, mode).items()
                if value is not None)))
            continue
        fields = tuple(FieldChange(column, getattr(current, column), value)
                       for column, value in _values(row, mode).items()
                       if not _same(getattr(current, column), value))
        if fields:
            changed.append(EmployeeChange(row.employee_ref, current.full_name, fields))
        else:
            unchanged += 1
    left_off: list[EmployeeChange] = []
    if mode == ImportMode.replace:
        listed = {row.employee_ref for row in rows}
        left_off = [EmployeeChange(e.employee_ref, e.full_name,
                                   (FieldChange("in_scope", True, False),))
                    for e in existing if e.employee_ref not in listed and e.in_scope]
    return ImportPlan(mode, tuple(added), tuple(changed), unchanged, tuple(left_off), len(rows))


def _values(row: EmployeeRow, mode: ImportMode) -> dict[str, object]:
    """The columns a row sets. Replacing, the whole row (an empty cell clears what was
    recorded); updating, only the cells that hold something (a column the file does not have,
    or an empty cell, leaves what is recorded: "none" is how a file says there is none)."""
    values = row.model_dump()
    if mode == ImportMode.update:
        values = {k: v for k, v in values.items() if k in row.model_fields_set}
    values.pop("employee_ref", None)
    return values


def _same(old: object, new: object) -> bool:
    if isinstance(old, Decimal) or isinstance(new, Decimal):
        try:
            return old is not None and new is not None and \
                Decimal(str(old)) == Decimal(str(new))
        except ArithmeticError:
            return False
    return old == new


def check_import(ref: str, rows: Iterable[EmployeeRow], *, mode: ImportMode,
                 engine: Engine | None = None) -> ImportPlan:
    """:func:`plan_import` against the staff list as it is now (nothing is written)."""
    with read_session(engine) as session:
        transfer = get_transfer(session, ref)
        existing = session.exec(select(Employee).where(Employee.transfer_id == transfer.id)).all()
        return plan_import(existing, list(rows), mode)


def store_employees(ref: str, rows: Iterable[EmployeeRow], *, actor: str, replace: bool = False,
                    source: str, mode: ImportMode | None = None, synthetic: bool = False,
                    expected_version: int | None = None, today: date | None = None,
                    engine: Engine | None = None) -> ImportReport:
    """Store checked rows (updating the staff list, or replacing it: all or nothing).

    For employees already given in the ELI, what the new list changes is kept, to be notified
    to the transferee (reg 11(5)).
    """
    rows = list(rows)
    mode = mode or (ImportMode.replace if replace else ImportMode.update)
    with write_session(engine) as session:
        transfer = get_transfer(session, ref, lock=True)
        _check_version(transfer, expected_version)
        existing = list(session.exec(select(Employee).where(
            Employee.transfer_id == transfer.id)).all())
        plan = plan_import(existing, rows, mode)
        before = {e.employee_ref: snapshot(e) for e in existing}
        assert transfer.id is not None  # read from the database
        # Checked again under the lock: the transfer date may have moved since the file was read.
        transfer_date = key_dates_of(session, transfer).get("transfer")
        late = [RowProblem(i, "objected_on", f"{row.employee_ref}: {problem}")
                for i, row in enumerate(rows, start=2)
                if (problem := objection_problem(row.objected_on, transfer_date))]
        # An objection is something that happened, as for record-objection and the form.
        day = today or date.today()
        late += [RowProblem(i, "objected_on", f"{row.employee_ref}: "
                            f"{row.objected_on.isoformat()} is in the future: an objection is "
                            "recorded once made; leave the cell empty until then")
                 for i, row in enumerate(rows, start=2)
                 if row.objected_on is not None and row.objected_on > day]
        if late:
            raise ImportRowsError(source, sorted(late, key=lambda p: p.row))
        by_ref = {e.employee_ref: e for e in existing}
        for row in rows:
            employee = by_ref.get(row.employee_ref)
            if employee is None:
                employee = by_ref[row.employee_ref] = Employee(
                    transfer_id=transfer.id, synthetic=synthetic, **row.model_dump())
            else:
                for column, value in _values(row, mode).items():
                    setattr(employee, column, value)
            session.add(employee)
        for left in plan.left_off:  # kept, with their history, but no longer transferring
            by_ref[left.employee_ref].in_scope = False
            session.add(by_ref[left.employee_ref])
        session.flush()
        after = {ref_: snapshot(e) for ref_, e in by_ref.items()}
        changes = record_changes(session, transfer, before, after,
                                 changed_on=today or date.today(), actor=actor)
        refresh_steps(session, transfer, as_of=today)
        # An employee added after the ELI or the letters reopens the steps they complete.
        reconcile_in(session, transfer.id, actor=actor, today=today)
        _bump(session, transfer, transfer.version)
        in_scope = sum(1 for r in rows if r.in_scope)
        # Personal data stays out of the audit log: counts, references and column names only.
        audit(session, transfer, actor, "employees-imported", from_state=transfer.state,
              to_state=transfer.state, data={
                  "source": source, "rows": len(rows), "in_scope": in_scope,
                  "mode": mode.value, "replaced": len(plan.left_off), "synthetic": synthetic,
                  "employee_refs": [r.employee_ref for r in rows],
                  "added": [c.employee_ref for c in plan.added],
                  "changed": {c.employee_ref: [f.column for f in c.fields]
                              for c in plan.changed},
                  "put_out_of_scope": [c.employee_ref for c in plan.left_off]})
        _audit_changes(session, transfer, actor, changes)
        return ImportReport(ref, len(rows), len(plan.left_off), in_scope, plan)


def add_representative(ref: str, data: Mapping[str, object], *, actor: str,
                       engine: Engine | None = None) -> Representative:
    """Record a representative of one employer's affected employees (reg 13(3)).

    Refused, with nothing written, for an organisation that is neither the transferor nor the
    transferee (reg 13(2): each employer informs the representatives of its own employees), and
    for someone already recorded for that employer (the same name and union, or the same email
    address): see :mod:`transfer_engine.engine.representatives`.
    """
    spec = parse(RepresentativeCreate, data)
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
    require_party(session, transfer, organisation, duty=REPRESENTATIVE_DUTY)
    problems = duplicate_problems(session, transfer, organisation, [
        Candidate(spec.name, spec.union, spec.email)])
    if spec.kind == RepresentativeKind.existing and not spec.authority:
        problems.append(FieldProblem(
            "authority", "is required for an existing representative (reg 13(3)(b)(i)): say "
            "what authorises them to be informed and consulted about the transfer on the "
            "employees' behalf, e.g. 'elected staff forum member, terms of reference para 4'",
            "authority", "required"))
    if problems:
        raise ValidationError(field_problems=problems)
    election = None
    if spec.kind == RepresentativeKind.elected:
        # Reg 13(3)(b)(ii): elected under reg 14, at an election recorded here; they hold
        # office from its result.
        election = elected_at(session, transfer, organisation.id, spec.name, spec.email)
    representative = Representative(
        transfer_id=transfer.id, organisation_id=organisation.id, kind=spec.kind,
        name=spec.name, union=spec.union, email=spec.email, synthetic=synthetic,
        election_id=election.id if election else None,
        elected_on=election.result_on if election else None,
        authority=spec.authority if spec.kind == RepresentativeKind.existing else None)
    session.add(representative)
    session.flush()
    refresh_steps(session, transfer)
    audit(session, transfer, actor, "representative-added", data={
        "representative_id": representative.id, "organisation": spec.organisation,
        "kind": spec.kind.value, "union": spec.union,
        "election_id": representative.election_id,
        "elected_on": election.result_on.isoformat() if election and election.result_on
        else None})
    # A representative recorded after informing was "done" without them reopens it (reg 13(2)).
    reconcile_in(session, transfer.id, actor=actor)
    return representative


def update_employee(ref: str, employee_ref: str, *, in_scope: bool | None,
                    objected_on: date | None,
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
        late = objection_problem(objected_on, key_dates_of(session, transfer).get("transfer"))
        if late:
            raise ValidationError(field_problems=[FieldProblem(
                "objected_on", late, "date of the objection", "invalid")])
        before = {"in_scope": employee.in_scope,
                  "objected_on": employee.objected_on.isoformat() if employee.objected_on
                  else None}
        given = {employee.employee_ref: snapshot(employee)}
        if in_scope is None:  # recording an objection leaves the scope as it is
            in_scope = employee.in_scope
        employee.in_scope, employee.objected_on = in_scope, objected_on
        session.add(employee)
        session.flush()
        changes = record_changes(session, transfer, given,
                                 {employee.employee_ref: snapshot(employee)},
                                 changed_on=today or date.today(), actor=actor)
        refresh_steps(session, transfer, as_of=today)
        reconcile_in(session, transfer.id, actor=actor, today=today)
        _bump(session, transfer, transfer.version)
        after = {"in_scope": in_scope,
                 "objected_on": objected_on.isoformat() if objected_on else None}
        # The reference only: names stay out of the audit log.
        audit(session, transfer, actor, "employee-updated", from_state=transfer.state,
              to_state=transfer.state,
              data={"employee_ref": employee_ref, "before": before, "after": after})
        _audit_changes(session, transfer, actor, changes)
        return employee


def _audit_changes(session: Session, transfer: Transfer, actor: str,
                   changes: Sequence[EliChange]) -> None:
    """Which ELI items changed after it was given (reg 11(5)): references and items only."""
    if changes:
        audit(session, transfer, actor, "eli-changed", data={
            "changes": len(changes),
            "employee_refs": sorted({c.employee_ref for c in changes}),
            "items": sorted({c.item for c in changes})})
