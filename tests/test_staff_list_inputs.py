"""Staff lists from the command line: size limits, hostile workbooks, and what a cell may hold.

Each test imports a file as an HR officer would and checks what they see: the message, and
that nothing was saved when the file was refused.
"""

from __future__ import annotations

import io
import time
import zipfile
from collections.abc import Iterable
from datetime import date
from pathlib import Path

from openpyxl import Workbook, load_workbook

from tests.conftest import Cli
from transfer_engine.engine.import_limits import MAX_FILE_BYTES, MAX_ROWS
from transfer_engine.engine.spreadsheets import spreadsheet_safe

REF = "ld-to-nct"
HEADER = ["employee_ref", "full_name", "role", "fte", "weekly_pay", "email", "date_of_birth",
          "in_scope", "objected_on"]
ROW = "E001,Sample Person One,Case Officer,0.62,347.20,,{dob},yes,\n"


def _csv(tmp_path: Path, text: str, name: str = "staff.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _workbook(rows: Iterable[list[object]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def bomb_workbook(sheet_xml: Iterable[bytes]) -> bytes:
    """A real workbook whose first sheet is replaced by ``sheet_xml``, written in pieces so that
    tens of megabytes of XML never sit in memory: a "zip bomb" of a few kilobytes."""
    head = (b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.'
            b'openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
    good = _workbook([["E001", "Sample Person One", "Case Officer", 1, 500]])
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(good)) as source, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for part in source.infolist():
            if part.filename == "xl/worksheets/sheet1.xml":
                with target.open(part.filename, "w") as sheet:
                    sheet.write(head)  # no <dimension>: nothing says how far the sheet runs
                    for piece in sheet_xml:
                        sheet.write(piece)
                    sheet.write(b"</sheetData></worksheet>")
            else:
                target.writestr(part.filename, source.read(part.filename))
    return out.getvalue()


def empty_rows(count: int) -> Iterable[bytes]:
    chunk = 100_000
    for _ in range(count // chunk):
        yield b"<row/>" * chunk


def _staff(cli: Cli) -> list[dict]:
    return cli.json("employees", REF)


def _listed(cli: Cli) -> list[dict]:
    """The staff list after a --replace: those left off it stay, out of scope (history kept)."""
    return [e for e in _staff(cli) if e["in_scope"]]


def _refused(cli: Cli, path: Path) -> tuple[str, float]:
    started = time.monotonic()
    code, _, err = cli("import-employees", REF, str(path), "--replace", ok=False)
    assert code == 1 and "Traceback" not in err
    return " ".join(err.split()), time.monotonic() - started


def test_the_limits_are_stated_in_the_help(cli: Cli) -> None:
    _, out, _ = cli("import-employees", "--help")
    text = " ".join(out.split())
    assert f"at most {MAX_FILE_BYTES // (1024 * 1024)} MB, {MAX_ROWS:,} rows" in text
    assert ".xlsx" in text


def test_a_10_mb_csv_is_refused_by_the_size_limit(demo, cli: Cli, tmp_path: Path) -> None:
    before = _staff(cli)
    line = "E{0:07d},Sample Person {0},Case Officer,1,500.00,,,yes,\n"
    body = "".join(line.format(i) for i in range(182_000))
    path = _csv(tmp_path, ",".join(HEADER) + "\n" + body)
    assert 10 * 1024 * 1024 <= path.stat().st_size < 10.5 * 1024 * 1024
    message, seconds = _refused(cli, path)
    assert "staff.csv is 10 MB; a staff list file can be at most 5 MB" in message
    assert seconds < 10  # refused from its size, not after reading 190,000 rows
    assert _staff(cli) == before


def test_a_zip_bomb_workbook_is_refused_from_its_declared_size(
    demo, cli: Cli, tmp_path: Path
) -> None:
    before = _staff(cli)
    data = bomb_workbook(empty_rows(10_000_000))  # 60 MB of "<row/>" in about 60 KB
    assert len(data) < 200_000
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.getinfo("xl/worksheets/sheet1.xml").file_size > 50 * 1024 * 1024
    path = tmp_path / "staff.xlsx"
    path.write_bytes(data)
    message, seconds = _refused(cli, path)
    # The declared size is enough: not one row was read.
    assert "staff.xlsx unpacks to 57 MB; a staff list workbook can unpack to at most 25 MB" \
        in message
    assert seconds < 10
    assert _staff(cli) == before


def test_a_workbook_of_empty_rows_is_refused_after_the_row_limit(
    demo, cli: Cli, tmp_path: Path
) -> None:
    # Under the size limit, but three million rows that openpyxl would walk one by one.
    data = bomb_workbook(empty_rows(3_000_000))
    path = tmp_path / "staff.xlsx"
    path.write_bytes(data)
    message, seconds = _refused(cli, path)
    assert f"has more than {MAX_ROWS:,} rows under the header (blank rows count)" in message
    assert seconds < 10


def test_references_with_line_breaks_or_quotes_are_refused(
    demo, cli: Cli, tmp_path: Path
) -> None:
    before = _staff(cli)
    text = (",".join(HEADER) + "\n"
            + '"E001\r\nContent-Type: text/html",Sample One,Officer,1,500,,,yes,\n'
            + 'E"002,Sample Two,Officer,1,500,,,yes,\n'
            + "E 003/a_b.c-d,Sample Three,Officer,1,500,,,yes,\n")
    message, _ = _refused(cli, _csv(tmp_path, text))
    assert "2 problem(s); nothing was imported" in message
    assert ("row 2, column 'employee_ref': cannot contain '\\r' (U+000D); use only letters, "
            "digits, spaces and - _ / .") in message
    assert "row 3, column 'employee_ref': cannot contain '\"' (U+0022)" in message
    assert "row 4" not in message  # spaces and - _ / . are allowed
    assert _staff(cli) == before


def test_names_with_control_or_direction_characters_are_refused(
    demo, cli: Cli, tmp_path: Path
) -> None:
    text = (",".join(HEADER) + "\n"
            + "E001,Sample\x00 One,Officer,1,500,,,yes,\n"
            + "E002,Sample \u202eowT,Officer,1,500,,,yes,\n"
            + "E003,Sample Three,Officer\u2066,1,500,,,yes,\n")
    message, _ = _refused(cli, _csv(tmp_path, text))
    assert "row 2, column 'full_name': contains a control character (U+0000" in message
    assert ("row 3, column 'full_name': contains an invisible character that reverses the "
            "direction of text (U+202E") in message
    assert "row 4, column 'role': contains an invisible character" in message


def test_names_are_stored_in_nfc(demo, cli: Cli, tmp_path: Path) -> None:
    decomposed = "Sia\u0302n Sample"  # "a" and a combining circumflex, as macOS may type it
    text = ",".join(HEADER) + "\n" + f"E001,{decomposed},Officer,1,500,,,yes,\n"
    cli("import-employees", REF, str(_csv(tmp_path, text)), "--replace")
    assert [e["full_name"] for e in _listed(cli)] == ["Si\u00e2n Sample"]


def test_excel_serial_dates_become_dates(demo, cli: Cli, tmp_path: Path) -> None:
    # From CSV, a date cell that lost its format on the way ("44927" is 1 January 2023) ...
    text = (",".join(HEADER) + "\n"
            + "E001,Sample One,Officer,1,500,,29221,yes,44805\n"
            + "E002,Sample Two,Officer,1,500,,1980-02-01 00:00:00,yes,\n")
    cli("import-employees", REF, str(_csv(tmp_path, text)), "--replace")
    staff = {e["employee_ref"]: e for e in _staff(cli)}
    assert staff["E001"]["objected_on"] == "2022-09-01"
    # ... and from a workbook, a number in a date column.
    path = tmp_path / "staff.xlsx"
    path.write_bytes(_workbook([["E003", "Sample Three", "Officer", 1, 500, None, 29221, "yes",
                                 44805.0]]))
    cli("import-employees", REF, str(path), "--replace")
    assert [(e["employee_ref"], e["objected_on"]) for e in _listed(cli)] == [
        ("E003", "2022-09-01")]


def test_serial_dates_agree_with_excel(tmp_path: Path) -> None:
    # What Excel itself shows for the serial: write it with a date format and read it back.
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet["A1"] = 29221
    sheet["A1"].number_format = "yyyy-mm-dd"
    path = tmp_path / "serial.xlsx"
    book.save(path)
    shown = load_workbook(path).active["A1"].value  # type: ignore[index]
    from transfer_engine.engine.inputs import EmployeeRow

    row = EmployeeRow.model_validate({"employee_ref": "E1", "full_name": "Sample", "role": "R",
                                      "fte": "1", "weekly_pay": "1", "date_of_birth": "29221"})
    assert row.date_of_birth == shown.date() == date(1980, 1, 1)


def test_impossible_dates_of_birth_are_refused_with_row_and_column(
    demo, cli: Cli, tmp_path: Path
) -> None:
    before = _staff(cli)
    text = (",".join(HEADER) + "\n" + ROW.format(dob="0")
            + ROW.format(dob="1980-02-30").replace("E001", "E002")
            + ROW.format(dob="31/02/1980").replace("E001", "E003")
            + ROW.format(dob="1880-01-01").replace("E001", "E004"))
    message, _ = _refused(cli, _csv(tmp_path, text))
    assert "row 2, column 'date_of_birth': '0' is not a date; write it as YYYY-MM-DD" in message
    assert "row 3, column 'date_of_birth': '1980-02-30' is not a date that exists" in message
    assert "row 4, column 'date_of_birth': '31/02/1980' is not a date written YYYY-MM-DD" \
        in message
    assert "row 5, column 'date_of_birth': 1880-01-01 is not a plausible date of birth" in message
    assert "1970" not in message and _staff(cli) == before


def test_numbers_are_explained_in_words(demo, cli: Cli, tmp_path: Path) -> None:
    text = (",".join(HEADER) + "\n"
            + 'E001,Sample One,Officer,full-time,"347,20",,,yes,\n')
    message, _ = _refused(cli, _csv(tmp_path, text))
    assert ("row 2, column 'fte': must be a number; write the full-time equivalent as a number "
            "above 0 and at most 1.5, with at most two decimal places, e.g. 0.62 "
            "(got 'full-time')") in message
    assert ("row 2, column 'weekly_pay': must be a number; use a full stop as the decimal mark"
            in message)
    assert "Input should be" not in message


def test_semicolon_and_tab_files_are_read(demo, cli: Cli, tmp_path: Path) -> None:
    semicolons = ";".join(HEADER) + "\nE001;Sample One;Officer;0.5;300;;;yes;\n"
    cli("import-employees", REF, str(_csv(tmp_path, semicolons)), "--replace")
    assert [(e["employee_ref"], e["fte"]) for e in _listed(cli)] == [("E001", "0.50")]
    tabs = "\t".join(HEADER) + "\nE002\tSample Two\tOfficer\t1\t300\t\t\tyes\t\n"
    cli("import-employees", REF, str(_csv(tmp_path, tabs)), "--replace")
    assert [e["employee_ref"] for e in _listed(cli)] == ["E002"]


def test_a_semicolon_file_with_other_headings_gets_the_hint(
    demo, cli: Cli, tmp_path: Path
) -> None:
    text = "Payroll No;Name;Job title;FTE;Weekly pay\nE001;Sample One;Officer;0,5;300\n"
    message, _ = _refused(cli, _csv(tmp_path, text))
    assert "row 1, column '(header)': the file looks semicolon-separated" in message
    assert "Name the columns employee_ref, full_name, role, fte, weekly_pay" in message
    assert "required column is missing" not in message


def test_export_cells_that_would_run_as_formulas_stay_text_in_a_workbook() -> None:
    # No export writes XLSX yet; one that does keeps formulas out with the same function.
    typed = ["=HYPERLINK(\"http://example.org\",\"x\")", "=cmd|' /C calc'!A0", "+1", "-1",
             "@SUM(A1)", "\tx", "Sample Person"]
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append([spreadsheet_safe(value) for value in typed])
    out = io.BytesIO()
    book.save(out)
    read = load_workbook(io.BytesIO(out.getvalue())).active
    assert read is not None
    cells = next(iter(read.iter_rows()))
    assert [c.data_type for c in cells] == ["s"] * len(typed)  # text, never "f" (formula)
    assert [c.value for c in cells] == ["'" + v for v in typed[:-1]] + ["Sample Person"]


def test_reasons_with_direction_overrides_are_refused(demo, cli: Cli) -> None:
    # Every free text kept in the audit log (notes, reasons, evidence) meets the same check.
    history = cli.json("history", REF)
    code, _, err = cli("reschedule", REF, "transfer", "2022-12-01", "--reason",
                       "Trust asked \u202efor a later date", ok=False)
    assert code == 1 and "Traceback" not in err
    assert "contains an invisible character that reverses the direction of text (U+202E" \
        in " ".join(err.split())
    assert cli.json("history", REF) == history
