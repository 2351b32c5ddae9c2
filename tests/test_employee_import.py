"""CSV staff lists: every row checked first, errors by row and column, all or nothing."""

from pathlib import Path

from tests.conftest import Cli

HEADER = "employee_ref,full_name,role,fte,weekly_pay,email,date_of_birth,in_scope,objected_on\n"
GOOD = (
    "E001,Sample Person One,IAS Officer,1.0,610.00,one@example.org,1980-02-01,yes,\n"
    "E002,Sample Person Two,Case Officer,0.62,347.20,,1991-07-15,no,\n"
    "E003,Sample Person Three,Case Officer,1,560,three@example.org,,yes,2023-03-01\n"
)


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "staff.csv"
    path.write_text(text, encoding="utf-8")
    return path


def _staff(cli: Cli, ref: str) -> list[dict]:
    return cli.json("employees", ref)


def test_a_good_file_imports_every_row(demo, cli: Cli, tmp_path: Path) -> None:
    cli("import-employees", "send-iass-to-wnc", str(_write(tmp_path, HEADER + GOOD)),
        "--replace")
    staff = {e["employee_ref"]: e for e in _staff(cli, "send-iass-to-wnc")}
    assert set(staff) == {"E001", "E002", "E003"}
    assert staff["E002"]["in_scope"] is False and staff["E002"]["fte"] == "0.62"
    assert staff["E003"]["objected_on"] == "2023-03-01"
    history = cli.json("history", "send-iass-to-wnc")
    imported = [h for h in history if h["action"] == "employees-imported"][-1]
    assert imported["data"]["rows"] == 3 and imported["data"]["replaced"] == 11
    assert "Sample Person" not in str(imported["data"])  # no names in the audit log


def test_bad_rows_are_named_by_row_and_column_and_nothing_is_written(
    demo, cli: Cli, tmp_path: Path
) -> None:
    before = _staff(cli, "send-iass-to-wnc")
    bad = HEADER + GOOD + (
        "E004,Sample Person Four,Case Officer,full-time,560,,,yes,\n"
        "E005,,Administrator,1.0,440,not-an-email,,maybe,\n"
        "E001,Sample Duplicate,Case Officer,1.0,560,,,yes,\n"
        "E006,Sample Person Six,Case Officer,1.0,560,,31/02/1980,yes,\n"
    )
    code, _, err = cli("import-employees", "send-iass-to-wnc", str(_write(tmp_path, bad)),
                       "--replace", ok=False)
    assert code == 1
    assert "nothing was imported" in err
    assert "row 5, column 'fte'" in err
    assert "row 6, column 'full_name'" in err
    assert "row 6, column 'email'" in err
    assert "row 6, column 'in_scope'" in err and "yes or no" in err
    assert "row 7, column 'employee_ref': 'E001' is also on row 2" in err
    assert "row 8, column 'date_of_birth'" in err
    assert _staff(cli, "send-iass-to-wnc") == before


def test_missing_and_unknown_columns(demo, cli: Cli, tmp_path: Path) -> None:
    text = "employee_ref,name,role,fte\nE1,Sample,Officer,1\n"
    code, _, err = cli("import-employees", "ld-to-nct", str(_write(tmp_path, text)), ok=False)
    assert code == 1
    assert "column 'full_name': required column is missing" in err
    assert "column 'weekly_pay': required column is missing" in err
    assert "column 'name': unknown column" in err


def test_importing_the_same_people_twice_needs_replace(demo, cli: Cli, tmp_path: Path) -> None:
    path = _write(tmp_path, HEADER + GOOD)
    cli("import-employees", "ld-to-nct", str(path))
    code, _, err = cli("import-employees", "ld-to-nct", str(path), ok=False)
    assert code == 1 and "--replace" in err
    assert len(_staff(cli, "ld-to-nct")) == 6 + 3


def test_unreadable_file_is_a_clear_error(demo, cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "staff.csv"
    path.write_bytes(b"\xff\xfe\x00bad")
    code, _, err = cli("import-employees", "ld-to-nct", str(path), ok=False)
    assert code == 1 and "CSV UTF-8" in err
