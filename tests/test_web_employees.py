"""Uploading the staff list (CSV and XLSX), scope and objections, and the ELI download."""

from __future__ import annotations

import io
import re
from datetime import date

from httpx2 import Response
from openpyxl import Workbook
from openpyxl.worksheet.worksheet import Worksheet
from sqlmodel import select

from tests.web_fixtures import AS_OF, Browser, WebEnv
from transfer_engine.engine.staff import read_rows, read_xlsx
from transfer_engine.letters.issue import issue_letters
from transfer_engine.store.database import read_session
from transfer_engine.store.people import Employee
from transfer_engine.store.register import Letter
from transfer_engine.store.transfers import AuditEntry

HEADER = ["employee_ref", "full_name", "role", "fte", "weekly_pay", "email", "date_of_birth",
          "in_scope", "objected_on"]
GOOD: list[list[object]] = [
    ["E001", "Sample Person One", "IAS Officer", 1.0, 610.00, "one@example.org",
     date(1980, 2, 1), "yes", None],
    ["E002", "Sample Person Two", "Case Officer", 0.62, 347.2, None, date(1991, 7, 15), "no",
     None],
    ["E003", "Sample Person Three", "Case Officer", 1, 560, "three@example.org", None, True,
     date(2022, 9, 1)],
]
BAD: list[list[object]] = [
    ["E004", "Sample Person Four", "Case Officer", "full-time", 560, None, None, "yes", None],
    ["E005", None, "Administrator", 1.0, 440, "not-an-email", None, "maybe", None],
    ["E001", "Sample Duplicate", "Case Officer", 1.0, 560, None, None, "yes", None],
]


def _xlsx(rows: list[list[object]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert isinstance(sheet, Worksheet)  # a new workbook starts with one worksheet
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _csv(rows: list[list[object]]) -> bytes:
    def cell(value: object) -> str:
        if value is None:
            return ""
        if value is True:
            return "yes"
        return str(value)

    lines = [",".join(HEADER)] + [",".join(cell(v) for v in row) for row in rows]
    return ("\n".join(lines) + "\n").encode()


def _upload(browser: Browser, web: WebEnv, name: str, data: bytes,
            replace: bool = True) -> Response:
    """Upload a staff list: the page it leads to (the check page, or the refused form)."""
    ld = web.ids["ld-to-nct"]
    form = {"csrf_token": browser.token("/account"), "version": web.version("ld-to-nct"),
            "mode": "replace" if replace else "update"}
    return browser.follow(browser.client.post(
        f"/transfers/{ld}/employees/upload", data=form,
        files={"file": (name, data, "application/octet-stream")}))


def _confirm(browser: Browser, check: Response) -> Response:
    """Confirm the import on its check page; returns the redirect."""
    assert "Check the staff list before importing it" in check.text, check.text[:2000]
    action = check.text.split('<form method="post" action="')[-1].split('"')[0]
    version = check.text.split('name="version" value="')[-1].split('"')[0]
    return browser.post(action, {"version": version})


def _staff(web: WebEnv) -> list[Employee]:
    with read_session(web.engine) as session:
        return list(session.exec(select(Employee).where(
            Employee.transfer_id == web.ids["ld-to-nct"]).order_by(Employee.employee_ref)).all())


def test_xlsx_rows_meet_the_same_validation_as_csv() -> None:
    from_xlsx = read_xlsx(_xlsx(GOOD), "staff.xlsx")
    from_csv = read_rows(_csv(GOOD).decode(), "staff.csv")
    assert [r.model_dump() for r in from_xlsx] == [r.model_dump() for r in from_csv]
    assert from_xlsx[1].fte == from_csv[1].fte and str(from_xlsx[1].fte) == "0.62"
    assert from_xlsx[2].objected_on == date(2022, 9, 1)


def test_a_good_xlsx_replaces_the_staff_list(web: WebEnv) -> None:
    officer = web.as_role("hr_officer")
    response = _confirm(officer, _upload(officer, web, "staff.xlsx", _xlsx(GOOD)))
    assert response.status_code == 303
    staff = _staff(web)
    assert [e.employee_ref for e in staff if e.in_scope] == ["E001", "E003"]
    assert {e.employee_ref for e in staff} >= {"E001", "E002", "E003"}
    page = officer.follow(response).text
    assert "Imported staff.xlsx: 3 added, 0 changed, 6 not on the list put out of scope" in page
    assert "Objected 1 Sep 2022" in page


def test_bad_rows_are_listed_by_row_and_column_and_nothing_is_saved(web: WebEnv) -> None:
    officer = web.as_role("hr_officer")
    before = [e.employee_ref for e in _staff(web)]
    for name, data in (("staff.xlsx", _xlsx(GOOD + BAD)), ("staff.csv", _csv(GOOD + BAD))):
        response = _upload(officer, web, name, data)
        assert response.status_code == 200, name  # the Employees page, after a redirect
        text = response.text
        assert f"{name} has 5 problems, so nothing was imported" in text
        assert 'href="#file"' in text  # the error summary links to the upload field
        problems = text.split('id="problems"')[1].split("</table>")[0]
        for row, column in (("5", "fte"), ("6", "full_name"), ("6", "email"),
                            ("6", "in_scope"), ("7", "employee_ref")):
            assert re.search(rf'>{row}</td>\s*<td[^>]*>{column}</td>', problems), \
                (name, row, column)
        assert "also on row 2" in problems
        assert [e.employee_ref for e in _staff(web)] == before


def test_other_files_are_refused_with_a_clear_message(web: WebEnv) -> None:
    officer = web.as_role("hr_officer")
    assert "upload a .csv (CSV UTF-8) or .xlsx file" in _upload(
        officer, web, "staff.pdf", b"%PDF").text
    assert "is not an Excel workbook" in _upload(officer, web, "staff.xlsx", b"not a zip").text
    assert "Save the sheet as CSV UTF-8" in _upload(officer, web, "s.csv", b"\xff\xfe\x00").text
    # A reference already on the list is an update of that employee, shown before saving.
    clash = [["LD-001", "Sample Again", "Officer", 1, 500, None, None, "yes", None]]
    text = _upload(officer, web, "s.csv", _csv(clash), replace=False).text
    assert "To be changed (1)" in text and "LD-001: Sample Employee LD-001" in text


def test_scope_and_objection_are_recorded_by_reference_only(web: WebEnv) -> None:
    officer = web.as_role("hr_officer")
    ld = web.ids["ld-to-nct"]
    form = officer.get(f"/transfers/{ld}/employees/edit?ref=LD-002").text
    assert "Sample Employee LD-002" in form and 'value="yes" checked' in form
    response = officer.post(f"/transfers/{ld}/employees/edit", {
        "ref": "LD-002", "version": web.version("ld-to-nct"), "in_scope": "yes",
        "objected_on-day": "15", "objected_on-month": "9", "objected_on-year": "2022"})
    assert response.status_code == 303
    page = officer.get(f"/transfers/{ld}/employees").text
    assert "Their objection is recorded (reg 4(7))" in page
    response = officer.post(f"/transfers/{ld}/employees/edit", {
        "ref": "LD-003", "version": web.version("ld-to-nct"), "in_scope": "no"})
    assert response.status_code == 303
    staff = {e.employee_ref: e for e in _staff(web)}
    assert staff["LD-002"].objected_on == date(2022, 9, 15)
    assert staff["LD-003"].in_scope is False
    with read_session(web.engine) as session:
        entries = session.exec(select(AuditEntry)
                               .where(AuditEntry.action == "employee-updated")).all()
    assert [e.data["employee_ref"] for e in entries] == ["LD-002", "LD-003"]
    assert "Sample Employee" not in str([e.data for e in entries])
    missing = officer.post(f"/transfers/{ld}/employees/edit", {
        "ref": "LD-004", "version": web.version("ld-to-nct")})
    assert "Select whether the employee is in scope" in officer.follow(missing).text


def test_an_objection_after_the_eli_leads_to_the_notice_of_changes_and_the_acknowledgement(
        web: WebEnv) -> None:
    """The pages an objection sends HR to work: the ELI page's notice of the change to the
    transferee (reg 11(5)) and the objections page's acknowledgement to the employee."""
    officer = web.as_role("hr_officer")
    ld = web.ids["ld-to-nct"]
    before = officer.post(f"/transfers/{ld}/employees/edit", {
        "ref": "LD-005", "version": web.version("ld-to-nct"), "in_scope": "yes",
        "objected_on-day": "12", "objected_on-month": "9", "objected_on-year": "2022"})
    told = " ".join(officer.follow(before).text.split())
    # No ELI given yet: nothing to tell the transferee.
    assert "the employee liability information will leave them out" in told
    for letter in ("eli-cover", "eli-schedule"):
        issue_letters("ld-to-nct", letter, actor="test", today=AS_OF, engine=web.engine)
    after = officer.post(f"/transfers/{ld}/employees/edit", {
        "ref": "LD-006", "version": web.version("ld-to-nct"), "in_scope": "yes",
        "objected_on-day": "19", "objected_on-month": "9", "objected_on-year": "2022"})
    told = " ".join(officer.follow(after).text.split())
    assert "it must be told in writing (reg 11(5))" in told

    eli = officer.get(f"/transfers/{ld}/eli").text
    link = f"/transfers/{ld}/letters/eli-change/check"
    assert f'href="{link}"' in eli
    check = officer.get(link)
    assert check.status_code == 200 and "Issue to 1 recipient" in check.text
    issued = officer.post(f"/transfers/{ld}/letters/eli-change/issue")
    assert issued.status_code == 303
    assert "Issued to 1 of 1 recipient" in " ".join(officer.follow(issued).text.split())
    with read_session(web.engine) as session:
        (notice,) = session.exec(select(Letter).where(Letter.letter == "eli-change")).all()
    assert notice.recipient_ref == "transferee"

    objections = officer.get(f"/transfers/{ld}/objections").text
    acknowledge = (f"/transfers/{ld}/letters/objection-acknowledgement/check"
                   "?to=employee:LD-006")
    assert f'href="{acknowledge}"' in objections
    assert officer.get(acknowledge).status_code == 200
    # A letter that does not exist is still not found.
    assert officer.get(f"/transfers/{ld}/letters/no-such-letter/check").status_code == 404


def test_the_eli_download_is_csv_and_is_audited(web: WebEnv) -> None:
    officer = web.as_role("hr_officer")
    response = officer.get(f"/transfers/{web.ids['ld-to-nct']}/employees/eli.csv")
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    lines = response.text.strip().splitlines()
    assert lines[0].startswith("employee_ref,full_name,role") and len(lines) == 7
    with read_session(web.engine) as session:
        exported = session.exec(select(AuditEntry)
                                .where(AuditEntry.action == "eli-exported")).one()
    assert exported.data == {"rows": 6} and exported.actor == "web:officer@example.org"
