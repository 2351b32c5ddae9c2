"""The employee liability information as a spreadsheet (CSV or XLSX), for the transferee.

One row per employee who transfers as of the export date (in scope, and not objecting by then:
:func:`~transfer_engine.rules.objections.transferring_employees`), and one column per reg 11(2) item
(:data:`~transfer_engine.rules.eli.ELI_ITEMS`), with the employee's age on that date and the
employer (ERA 1996 s.1(3)(a)). Every column is there whatever the transfer date, so that a
file's layout never changes; the workbook's legend says which items the law does not ask for on
the transfer date (:func:`~transfer_engine.rules.eli.required_items`). Nobody else's data is in
it: the transferee has no right to the data of an employee who does not transfer. Every text
cell passes through :func:`~transfer_engine.engine.spreadsheets.spreadsheet_safe`, so that
nothing typed in an HR export runs as a formula where the file is opened. Each export is
audited, by count.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlmodel import Session

from transfer_engine.engine.spreadsheets import spreadsheet_safe
from transfer_engine.errors import ValidationError
from transfer_engine.rules.eli import ELI_ITEMS, age_on
from transfer_engine.rules.objections import transferring_employees
from transfer_engine.store.organisations import Organisation
from transfer_engine.store.people import Employee
from transfer_engine.store.queries import audit, key_dates_of
from transfer_engine.store.transfers import Transfer

__all__ = ["ELI_FORMATS", "EXPORT_COLUMNS", "EliExport", "eli_rows", "export_eli"]

ELI_FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}

#: Besides each reg 11(2) item: the age on the export date, the FTE, the employer, and whether
#: the row is synthetic sample data.
_AFTER = {"date_of_birth": ("age",), "weekly_hours": ("fte",)}
EXPORT_COLUMNS: tuple[str, ...] = (
    *(column for item in ELI_ITEMS for column in (item.column, *_AFTER.get(item.column, ()))),
    "employer", "synthetic")

_EXTRA_LABELS = {
    "age": ("age on the export date", "reg 11(2)(a)"),
    "fte": ("full-time equivalent", ""),
    "employer": ("employer", "reg 11(2)(b), ERA 1996 s.1(3)(a)"),
    "synthetic": ("yes: made-up sample data, not a real person", ""),
}


@dataclass(frozen=True)
class EliExport:
    """An export ready to download or write: its bytes, type, file name and row count."""

    content: bytes
    media_type: str
    filename: str
    rows: int


def eli_rows(session: Session, transfer: Transfer, as_of: date) -> list[list[object]]:
    """One row of typed values (dates, decimals, text) per transferring employee."""
    employer = session.get(Organisation, transfer.transferor_id)
    employer_name = employer.name if employer else ""
    assert transfer.id is not None  # read from the database
    rows = []
    for employee in transferring_employees(session, transfer.id, as_of):
        rows.append([_value(employee, column, as_of, employer_name)
                     for column in EXPORT_COLUMNS])
    return rows


def _value(employee: Employee, column: str, as_of: date, employer: str) -> object:
    if column == "age":
        return age_on(employee.date_of_birth, as_of)
    if column == "employer":
        return employer
    if column == "synthetic":
        return "yes" if employee.synthetic else "no"
    return getattr(employee, column)


def _csv(rows: Sequence[Sequence[object]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(EXPORT_COLUMNS)
    for row in rows:
        writer.writerow(["" if cell is None else spreadsheet_safe(cell) for cell in row])
    return out.getvalue().encode("utf-8")


def _xlsx(rows: Sequence[Sequence[object]], transfer: Transfer, as_of: date,
          transfer_date: date | None) -> bytes:
    # Loaded only when a workbook is written, as when one is read: it is slow to import.
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("ELI")
    sheet.append(list(EXPORT_COLUMNS))
    for row in rows:
        # Typed cells stay typed (a date is a date cell); text is neutralised, as in the CSV.
        sheet.append([spreadsheet_safe(cell) for cell in row])
    about = book.create_sheet("Columns")
    about.append(["column", "what it holds", "law"])
    for item in ELI_ITEMS:
        # ERA 1996 s.1 as in force on the transfer date (SI 2019/731 from 6 April 2020).
        about.append([item.column, item.label, item.law_on(transfer_date)])
        for extra in _AFTER.get(item.column, ()):
            about.append([extra, *_EXTRA_LABELS[extra]])
    for extra in ("employer", "synthetic"):
        about.append([extra, *_EXTRA_LABELS[extra]])
    about.append([])
    about.append(["transfer", spreadsheet_safe(transfer.ref), ""])
    if transfer_date is not None:
        about.append(["transfer date", transfer_date, "reg 11(2)(b): the ERA 1996 s.1 "
                                                      "particulars as in force on this date"])
    about.append(["transferring as of", as_of, "reg 4(7): objectors and employees out of scope "
                                               "are left out"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def export_eli(session: Session, transfer: Transfer, *, fmt: str, as_of: date,
               actor: str) -> EliExport:
    """The ELI of ``transfer`` as of ``as_of`` in ``fmt`` (csv or xlsx), audited by count.

    ``session`` must be able to write: the export of personal data is recorded in the history.
    """
    if fmt not in ELI_FORMATS:
        raise ValidationError(f"format {fmt!r}: the ELI can be exported as "
                              f"{' or '.join(ELI_FORMATS)}")
    rows = eli_rows(session, transfer, as_of)
    transfer_date = key_dates_of(session, transfer).get("transfer")
    content = _csv(rows) if fmt == "csv" else _xlsx(rows, transfer, as_of, transfer_date)
    # By count, never by name: the audit log holds no personal data.
    audit(session, transfer, actor, "eli-exported", data={"rows": len(rows)})
    return EliExport(content, ELI_FORMATS[fmt], f"eli-{transfer.ref.replace('/', '-')}.{fmt}",
                     len(rows))
