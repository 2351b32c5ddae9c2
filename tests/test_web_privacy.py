"""Viewers and union representatives never see an employee's reference or name: not in History,
not on any page they can open, not through the API."""

from __future__ import annotations

import re

from sqlmodel import col, select

from tests.web_fixtures import WebEnv
from transfer_engine.domain import StepStatus
from transfer_engine.store.database import read_session
from transfer_engine.store.people import Employee
from transfer_engine.store.transfers import StepInstance
from transfer_engine.views.audit_privacy import KnownEmployees, without_personal_data


def _employees(web: WebEnv) -> tuple[set[str], set[str]]:
    with read_session(web.engine) as session:
        rows = session.exec(select(Employee)).all()
    return {e.employee_ref for e in rows}, {e.full_name for e in rows if e.full_name}


def _leaks(text: str, refs: set[str], names: set[str]) -> list[str]:
    found = [ref for ref in refs if ref in text] + [name for name in names if name in text]
    # A recipient key (employee:LD-001), not prose ("every transferring employee: ...").
    return found + (["employee:"] if re.search(r"employee:\S", text) else [])


def _officer_touches_employees(web: WebEnv) -> int:
    """An officer downloads an employee's letter and changes an employee: both audited."""
    ld = web.ids["ld-to-nct"]
    officer = web.as_role("hr_officer")
    download = officer.get(f"/transfers/{ld}/letters/employee-notification/pdf"
                           "?to=employee:LD-001")
    assert download.status_code == 200
    changed = officer.post(f"/transfers/{ld}/employees/edit", {
        "ref": "LD-002", "version": web.version("ld-to-nct"), "in_scope": "no"})
    assert changed.status_code == 303
    return ld


def test_history_names_no_employee_for_a_viewer(web: WebEnv) -> None:
    ld = _officer_touches_employees(web)
    refs, names = _employees(web)
    # HR see who was written to, so the check below could fail ...
    admin_page = web.as_role("hr_admin").get(f"/transfers/{ld}/history").text
    assert "employee:LD-001" in admin_page and "LD-002" in admin_page
    # ... a viewer sees that it happened, not to whom.
    page = web.as_role("viewer").get(f"/transfers/{ld}/history")
    assert page.status_code == 200
    assert _leaks(page.text, refs, names) == []
    assert "recipient: an employee" in page.text
    assert "employee ref: an employee" in page.text


def test_the_api_history_names_no_employee_for_a_viewer(web: WebEnv) -> None:
    ld = _officer_touches_employees(web)
    refs, names = _employees(web)
    admin = web.api("admin@example.org").get(f"/api/v1/transfers/{ld}/history").json()
    assert any(e["data"].get("recipient") == "employee:LD-001" for e in admin)
    rows = web.api("viewer@example.org").get(f"/api/v1/transfers/{ld}/history")
    assert rows.status_code == 200
    assert _leaks(rows.text, refs, names) == []
    downloaded = [e for e in rows.json() if e["action"] == "letter-downloaded"]
    assert downloaded and downloaded[0]["data"]["recipient"] == "an employee"
    imported = [e for e in rows.json() if e["action"] == "employees-imported"]
    assert imported and all(e["data"]["employee_refs"].endswith("employees")
                            for e in imported)


def test_no_page_or_api_answer_a_viewer_or_rep_gets_names_an_employee(web: WebEnv) -> None:
    _officer_touches_employees(web)
    refs, names = _employees(web)
    viewer, rep = web.as_role("viewer"), web.as_role("union_rep")
    pages = ["/", "/account"]
    api_paths = ["/api/v1/transfers"]
    for transfer_id in web.ids.values():
        pages += [f"/transfers/{transfer_id}", f"/transfers/{transfer_id}/history"]
        api_paths += [f"/api/v1/transfers/{transfer_id}",
                      f"/api/v1/transfers/{transfer_id}/history"]
    for path in pages:
        response = viewer.get(path)
        assert response.status_code == 200, path
        assert _leaks(response.text, refs, names) == [], path
    for path in api_paths:
        response = web.api("viewer@example.org").get(path)
        assert response.status_code == 200, path
        assert _leaks(response.text, refs, names) == [], path
    portal = rep.get("/portal")
    assert portal.status_code == 200 and _leaks(portal.text, refs, names) == []
    notices = web.api("rep@example.org").get("/api/v1/notices")
    assert notices.status_code == 200 and _leaks(notices.text, refs, names) == []


def test_redaction_keeps_everything_but_the_employees() -> None:
    data = {"letter": "employee-notification", "recipient": "employee:E1042",
            "employee_refs": ["E1", "E2", "E3"], "employee_ref": "E7", "rows": 3,
            "recipients": ["representative:2", "employee:E1", "employee:E2"],
            "nested": {"to": "Employee:E9"}}
    assert without_personal_data(data) == {
        "letter": "employee-notification", "recipient": "an employee",
        "employee_refs": "3 employees", "employee_ref": "an employee", "rows": 3,
        "recipients": ["representative:2", "2 employees"], "nested": {"to": "an employee"}}


def test_what_a_step_lacks_is_counted_for_a_viewer(web: WebEnv) -> None:
    ld = web.ids["ld-to-nct"]
    refs, _ = _employees(web)

    def awaiting(user: str) -> str:
        answer = web.api(user).get(f"/api/v1/transfers/{ld}").json()
        return next(e["awaiting"] for e in answer["timeline"] if e["step"] == "notify_employees")

    # HR see whom the employees' letter has not reached yet; a viewer, how many.
    hr = awaiting("admin@example.org")
    lacking = re.search(r"not issued to (\d+) of \d+ affected employee\(s\): ", hr)
    assert lacking and any(ref in hr for ref in refs)
    viewer = awaiting("viewer@example.org")
    assert not any(ref in viewer for ref in refs)
    assert f"{lacking.group(0)}{lacking.group(1)} employees; not recorded" in viewer


def test_texts_and_keyed_data_name_no_known_employee() -> None:
    known = KnownEmployees(frozenset({"E1", "E10", "Sam Sample"}))
    assert known.scrub("not issued to 2 of 3 affected employee(s): E1, E10 and 4 more") == (
        "not issued to 2 of 3 affected employee(s): 6 employees")
    assert known.scrub("lack ELI particulars: E10 (start date, pay); E1 (age)") == (
        "lack ELI particulars: 2 employees")
    assert known.scrub("Sam Sample was on leave (E100 is no one)") == (
        "an employee was on leave (E100 is no one)")
    data = {"added": ["E1", "E10"], "changed": {"E1": ["role"]}, "note": "about employee:E10"}
    assert without_personal_data(data, known) == {
        "added": "2 employees", "changed": "an employee", "note": "about an employee"}


def test_a_viewers_step_page_counts_the_employees_its_texts_name(web: WebEnv) -> None:
    """A step's note and the reason it was done without its evidence are in the history too:
    the step's page hides the employees in them as History does."""
    ld = web.ids["ld-to-nct"]
    refs, names = _employees(web)
    name = "Sample Employee LD-001"
    assert name in names
    officer = web.as_role("hr_officer")
    with read_session(web.engine) as session:
        step = next(row.step_id for row in session.exec(select(StepInstance).where(
            StepInstance.transfer_id == ld, StepInstance.status == StepStatus.open)
            .order_by(col(StepInstance.position))).all())
    done = officer.post(f"/transfers/{ld}/steps/{step}/override", {
        "override_reason": f"{name} was told at a meeting; a letter was impossible",
        "version": str(web.version("ld-to-nct")),
        "occurred_on-day": "20", "occurred_on-month": "9", "occurred_on-year": "2022"})
    assert done.status_code == 303, done.text[:300]
    # HR read the reason as written, so the check below could fail ...
    hr_page = officer.get(f"/transfers/{ld}/steps/{step}").text
    assert f"The reason given: {name} was told" in hr_page
    # ... a viewer reads that an employee was told, not who.
    page = web.as_role("viewer").get(f"/transfers/{ld}/steps/{step}")
    assert page.status_code == 200
    assert "The reason given: an employee was told at a meeting" in page.text
    assert _leaks(page.text, refs, names) == []
