"""Spreadsheet files in and out: CSV and XLSX read safely as text, and cells written safely.

In: a file becomes a header and numbered rows of text cells, whatever its format, within the
limits of :mod:`transfer_engine.engine.import_limits`. A CSV's delimiter (comma, semicolon or
tab, as Excel writes in different locales) is detected from the header. An XLSX file is a zip
archive of XML parts, and a small file can unpack to gigabytes (a "zip bomb") or hold a million
empty rows that openpyxl would walk one by one; so the archive's declared sizes are checked
first, then every XML part is scanned by a streaming parser that stops at the first limit
passed, and only then is the sheet read, in openpyxl's streaming (read-only) mode and only as
far as its last cell with a value.

Out: a cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is run as a
formula by Excel and LibreOffice (``=HYPERLINK(...)``, ``=cmd|' /C calc'!A0``), so every text
cell of an export goes through :func:`spreadsheet_safe` (OWASP's advice on CSV injection).
"""

from __future__ import annotations

import csv
import io
import re
import xml.parsers.expat
import zipfile
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from transfer_engine.engine.import_limits import (
    MAX_CELLS,
    MAX_COLUMNS,
    MAX_FILE_BYTES,
    MAX_ROWS,
    MAX_UNPACKED_BYTES,
    megabytes,
)
from transfer_engine.errors import ValidationError

# ---------------------------------------------------------------------------------------------
# Limits every format shares.


@dataclass(frozen=True)
class Table:
    """A sheet as text: the header (row 1) and the rows under it, numbered as a spreadsheet
    numbers them."""

    header: list[str]
    rows: list[tuple[int, list[str]]] = field(default_factory=list)


def check_file_size(size: int, source: str) -> None:
    if size > MAX_FILE_BYTES:
        raise ValidationError(
            f"{source} is {megabytes(size)}; a staff list file can be at most "
            f"{megabytes(MAX_FILE_BYTES)} ({MAX_ROWS:,} employees). Check that it is the staff "
            "list, remove empty rows and columns, or split it and import the parts one after "
            "the other (the first may replace the list; the others add to it).")


def _too_many_rows(source: str) -> ValidationError:
    return ValidationError(
        f"{source} has more than {MAX_ROWS:,} rows under the header (blank rows count); a staff "
        f"list can have at most {MAX_ROWS:,}. Delete the empty rows below the list, or split it "
        "and import the parts one after the other.")


def _too_many_columns(source: str, found: str) -> ValidationError:
    return ValidationError(
        f"{source} has {found}; a staff list can have at most {MAX_COLUMNS} columns. Keep only "
        "the columns the import knows and delete the others.")


# ---------------------------------------------------------------------------------------------
# CSV.

DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab"}


def read_csv(text: str, source: str, known_columns: Collection[str]) -> Table:
    """A CSV's header and rows; the delimiter is whichever names most of ``known_columns``."""
    text = text.lstrip("\ufeff")
    delimiter = detect_delimiter(text, known_columns)
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    rows: list[tuple[int, list[str]]] = []
    try:
        header = next(reader, [])
        if len(header) > MAX_COLUMNS:
            raise _too_many_columns(source, f"{len(header)} columns")
        # Numbered by record, blank ones included: row 2 is the spreadsheet's row 2 even when a
        # quoted cell spans lines or a blank line sits in the middle.
        for number, cells in enumerate(reader, start=2):
            if number > MAX_ROWS + 1:
                raise _too_many_rows(source)
            rows.append((number, cells))
    except csv.Error as exc:
        raise ValidationError(
            f"{source}, line {reader.line_num}: cannot be read as CSV ({exc}). Open it in a "
            "spreadsheet and save it again as CSV UTF-8.") from None
    return Table(header, rows)


def detect_delimiter(text: str, known_columns: Collection[str]) -> str:
    """Comma, semicolon or tab: the one that splits the header into most known column names.

    Excel saves "CSV" with semicolons where the decimal mark is a comma; a tie (no name known
    either way) keeps the comma, and the header check then says what the file looks like.
    """
    first_line = text.split("\n", 1)[0]

    def known(delimiter: str) -> int:
        cells = next(csv.reader([first_line], delimiter=delimiter), [])
        return sum(1 for cell in cells if cell.strip() in known_columns)

    return max(DELIMITERS, key=known)  # the first of equals: the comma


def looks_delimited_by(header: Sequence[str]) -> str | None:
    """"semicolon" or "tab" when a header read as one column holds those delimiters."""
    if len(header) == 1:
        for delimiter, name in DELIMITERS.items():
            if delimiter != "," and delimiter in header[0]:
                return name
    return None


# ---------------------------------------------------------------------------------------------
# XLSX.

_MAX_PARTS = 1000
_MAX_ELEMENTS = 4 * MAX_CELLS  # a cell is up to three elements (<c><is><t>), plus the rest
_CELL_REF = re.compile(r"([A-Z]{1,3})([0-9]+)")


class _Refused(Exception):
    """Raised inside the XML scan to stop it at the first limit passed."""

    def __init__(self, error: ValidationError) -> None:
        self.error = error


@dataclass
class _Extent:
    """How far a workbook's sheets reach with cells that hold a value."""

    last_row: int = 0
    last_column: int = 0
    elements: int = 0


def read_xlsx(data: bytes, source: str, date_columns: Collection[str] = ()) -> Table:
    """The first sheet of a workbook as text, read within the limits.

    Cells arrive typed (numbers, dates); they become the text a CSV export would hold, so that
    both formats meet one validation. A number in one of ``date_columns`` is an Excel date
    serial (a date cell that lost its format) and becomes that date.
    """
    from openpyxl import load_workbook

    check_file_size(len(data), source)
    extent = _check_archive(data, source)
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, OSError, KeyError, ValueError, TypeError) as exc:
        raise _unreadable(source, exc) from None
    try:
        if extent.last_row == 0 or not workbook.worksheets:
            return Table([])
        # Only as far as the last cell with a value: a sheet's declared range may run to row
        # 1,048,576, which openpyxl would otherwise fill in with empty rows.
        rows = workbook.worksheets[0].iter_rows(
            max_row=extent.last_row, max_col=extent.last_column, values_only=True)
        header_cells = list(next(rows, ()))
        while header_cells and header_cells[-1] in (None, ""):
            header_cells.pop()  # Excel reports formatted but empty columns
        header = [cell_text(c) for c in header_cells]
        dates = {i for i, name in enumerate(header) if name.strip() in date_columns}
        epoch_1904 = workbook.epoch.year == 1904
        body = []
        for number, row in enumerate(rows, start=2):
            if number > MAX_ROWS + 1:
                raise _too_many_rows(source)
            cells = [_date_text(c, epoch_1904) if i in dates else cell_text(c)
                     for i, c in enumerate(row)]
            while len(cells) > len(header) and cells[-1] == "":
                cells.pop()
            body.append((number, cells))
    finally:
        workbook.close()
    return Table(header, body)


def _unreadable(source: str, reason: object) -> ValidationError:
    return ValidationError(f"{source} is not an Excel workbook (.xlsx) that can be read "
                           f"({reason}); save it again as .xlsx or as CSV UTF-8")


def _check_archive(data: bytes, source: str) -> _Extent:
    """Refuse a workbook too big to read, before openpyxl parses any of it."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise _unreadable(source, exc) from None
    with archive:
        parts = archive.infolist()
        if len(parts) > _MAX_PARTS:
            raise _unreadable(source, f"it has {len(parts):,} parts")
        # The sizes the archive declares; zipfile stops reading a part at its declared size, so
        # a part cannot unpack to more than it says.
        unpacked = sum(part.file_size for part in parts)
        if unpacked > MAX_UNPACKED_BYTES:
            raise ValidationError(
                f"{source} unpacks to {megabytes(unpacked)}; a staff list workbook can unpack to "
                f"at most {megabytes(MAX_UNPACKED_BYTES)}. It probably holds many empty or "
                "formatted rows: delete the rows below the list and the columns to its right, "
                "or save the staff list sheet as CSV UTF-8 and use that instead.")
        extent = _Extent()
        for part in parts:
            if part.filename.endswith((".xml", ".rels", ".vml")):
                sheet = part.filename.startswith("xl/worksheets/")
                try:
                    _scan(archive, part, extent, sheet=sheet, source=source)
                except _Refused as refused:
                    raise refused.error from None
                except (xml.parsers.expat.ExpatError, zipfile.BadZipFile, OSError,
                        EOFError) as exc:
                    raise _unreadable(source, f"{part.filename}: {exc}") from None
    return extent


def _scan(archive: zipfile.ZipFile, part: zipfile.ZipInfo, extent: _Extent, *, sheet: bool,
          source: str) -> None:
    """Count a part's XML elements (and a sheet's rows and cells) without building any of it."""
    parser = xml.parsers.expat.ParserCreate(namespace_separator=" ")
    parser.SetParamEntityParsing(xml.parsers.expat.XML_PARAM_ENTITY_PARSING_NEVER)
    row, column, rows, cells = 0, 0, 0, 0

    def doctype(*_: object) -> None:
        # Office never writes a DTD; one can only be there to define entities.
        raise _Refused(_unreadable(source, f"{part.filename} declares a DTD"))

    def start(name: str, attributes: dict[str, str]) -> None:
        nonlocal row, column, rows, cells
        extent.elements += 1
        if extent.elements > _MAX_ELEMENTS:
            raise _Refused(ValidationError(
                f"{source} holds more than a staff list can ({_MAX_ELEMENTS:,} parts of "
                "sheets); save the staff list sheet on its own as .xlsx or as CSV UTF-8."))
        if not sheet:
            return
        local = name.rpartition(" ")[2]
        if local == "row":
            rows += 1
            if rows > MAX_ROWS + 1:
                raise _Refused(_too_many_rows(source))
            reference = attributes.get("r", "")
            row = int(reference) if reference.isascii() and reference.isdigit() else row + 1
            column = 0
        elif local == "c":
            cells += 1
            if cells > MAX_CELLS:
                raise _Refused(ValidationError(
                    f"{source} has more than {MAX_CELLS:,} cells in a sheet (formatted empty "
                    "cells count); delete the rows below the list and the columns to its right, "
                    "or save the staff list sheet as CSV UTF-8 and use that instead."))
            match = _CELL_REF.fullmatch(attributes.get("r", ""))
            if match:
                column = _column_number(match.group(1))
                row = int(match.group(2))
            else:
                column += 1
        elif local in ("v", "is", "f") and column:
            # The cell holds something: the sheet reaches at least this far.
            if column > MAX_COLUMNS:
                raise _Refused(_too_many_columns(
                    source, f"values as far as column {_letters(column)} (column {column})"))
            if row > MAX_ROWS + 1:
                raise _Refused(_too_many_rows(source))
            extent.last_row = max(extent.last_row, row)
            extent.last_column = max(extent.last_column, column)

    parser.StartDoctypeDeclHandler = doctype
    parser.StartElementHandler = start
    with archive.open(part) as stream:
        while chunk := stream.read(1 << 16):
            parser.Parse(chunk, False)
    parser.Parse(b"", True)


def _column_number(letters: str) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - ord("A") + 1
    return number


def _letters(number: int) -> str:
    out = ""
    while number:
        number, rest = divmod(number - 1, 26)
        out = chr(ord("A") + rest) + out
    return out


def cell_text(value: object) -> str:
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


def _date_text(value: object, epoch_1904: bool) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        day = excel_serial_date(int(value), epoch_1904=epoch_1904)  # a time of day is dropped
        if day is not None:
            return day.isoformat()
    return cell_text(value)


# ---------------------------------------------------------------------------------------------
# Excel's dates.

EPOCH_1900 = date(1899, 12, 30)
EPOCH_1904 = date(1904, 1, 1)
FIRST_SERIAL = 61
"""1 March 1900. Below it, Excel counts a 29 February 1900 that never was."""


def excel_serial_date(serial: int, *, epoch_1904: bool = False) -> date | None:
    """The date an Excel serial number stands for (44927 is 1 January 2023); None when it is
    none (0, negative, before March 1900 or after 9999)."""
    if serial < (0 if epoch_1904 else FIRST_SERIAL):
        return None
    try:
        return (EPOCH_1904 if epoch_1904 else EPOCH_1900) + timedelta(days=serial)
    except OverflowError:
        return None


# ---------------------------------------------------------------------------------------------
# Out.

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r",
                  "\uff1d", "\uff0b", "\uff0d", "\uff20")  # and their full-width forms
"""What makes a spreadsheet treat a cell as a formula (OWASP, CSV injection)."""


def spreadsheet_safe(value: object) -> object:
    """A cell for a CSV or XLSX export: text that a spreadsheet would run as a formula gets a
    leading apostrophe, so that it is shown as the text it is; anything else is unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
