"""CSV staff lists: every row checked first, errors by row and column, all or nothing."""

from pathlib import Path

from tests.conftest import Cli

HEADER = "employee_ref,full_name,role,fte,weekly_pay,email,date_of_birth,in_scope,objected_on\n"
GOOD = (
    "E001,Sample Person One,IAS Officer,1.0,610.00,one@example.org,1980-02-01,yes,\n"
    "E002,Sample Person Two,Case Officer,0.62,347.20,,1991-07-15,no,\n"
    "E003,Sample Person Three,Case Officer,1,560,three@example.org,,yes,2022-10-03\n"
)


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "staff.csv"
    path.write_text(text, encoding="utf-8")
    return path


def _staff(cli: Cli, ref: str) -> list[dict]:
    return cli.json("employees", ref)


def test_a_good_file_imports_every_row(demo, cli: Cli, tmp_path: Path) -> None:
    in_scope_before = sum(1 for e in _staff(cli, "send-iass-to-wnc") if e["in_scope"])
    cli("import-employees", "send-iass-to-wnc", str(_write(tmp_path, HEADER + GOOD)),
        "--replace")
    staff = {e["employee_ref"]: e for e in _staff(cli, "send-iass-to-wnc")}
    # Replacing the list: those not on it are kept, with their history, but out of scope.
    assert {ref for ref, e in staff.items() if e["in_scope"]} == {"E001", "E003"}
    left_off = {ref for ref in staff if ref.startswith("SEND-")}
    assert len(left_off) == 11 and not any(staff[ref]["in_scope"] for ref in left_off)
    assert staff["E002"]["in_scope"] is False and staff["E002"]["fte"] == "0.62"
    assert staff["E003"]["objected_on"] == "2022-10-03"
    history = cli.json("history", "send-iass-to-wnc")
    imported = [h for h in history if h["action"] == "employees-imported"][-1]
    assert imported["data"]["rows"] == 3 and imported["data"]["replaced"] == in_scope_before
    assert sorted(imported["data"]["put_out_of_scope"]) == sorted(
        ref for ref in left_off if ref in imported["data"]["put_out_of_scope"])
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


def test_importing_the_same_people_again_updates_them(demo, cli: Cli, tmp_path: Path) -> None:
    path = _write(tmp_path, HEADER + GOOD)
    cli("import-employees", "ld-to-nct", str(path))
    # The same file again changes nothing; a corrected one updates by employee_ref.
    again = cli.json("import-employees", "ld-to-nct", str(path))
    assert again["changes"]["added"] == [] and again["changes"]["changed"] == []
    assert again["changes"]["unchanged"] == 3
    corrected = _write(tmp_path, HEADER + GOOD.replace("Case Officer,0.62,347.20",
                                                       "Senior Case Officer,0.8,420.00"))
    _, out, _ = cli("import-employees", "ld-to-nct", str(corrected), "--check")
    out = " ".join(out.split())  # the console wraps long lines
    assert "nothing was changed" in out and "change E002" in out
    assert "job title Case Officer -> Senior Case Officer" in out
    assert "full-time equivalent 0.62 -> 0.8" in out
    assert {e["employee_ref"]: e["role"] for e in _staff(cli, "ld-to-nct")}["E002"] == \
        "Case Officer"  # --check changed nothing
    cli("import-employees", "ld-to-nct", str(corrected), "--mode", "update")
    staff = {e["employee_ref"]: e for e in _staff(cli, "ld-to-nct")}
    assert len(staff) == 6 + 3  # the demo's six are left as they are
    assert staff["E002"]["role"] == "Senior Case Officer" and staff["E002"]["fte"] == "0.80"
    _, out, _ = cli("import-employees", "ld-to-nct", str(corrected), "--mode", "replace",
                    "--check")
    assert " ".join(out.split()).count("put out of scope (not on the list) LD-") == 6


def test_unreadable_file_is_a_clear_error(demo, cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "staff.csv"
    path.write_bytes(b"\xff\xfe\x00bad")
    code, _, err = cli("import-employees", "ld-to-nct", str(path), ok=False)
    assert code == 1 and "CSV UTF-8" in err
