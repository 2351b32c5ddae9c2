"""Who may see and do what in the web app: every role against every sensitive page."""

from __future__ import annotations

import html
import re

import pytest
from sqlmodel import select

from tests.web_fixtures import AS_OF, WebEnv
from transfer_engine.errors import NotFoundError
from transfer_engine.store.database import read_session, write_session
from transfer_engine.store.people import Employee
from transfer_engine.store.queries import get_transfer
from transfer_engine.store.transfers import AuditEntry
from transfer_engine.web.auth import assign, get_user

ROLES = ("hr_admin", "hr_officer", "viewer", "union_rep")

# path (with {ld}, the officer's transfer) -> expected status for each role in ROLES
MATRIX = {
    "/": (200, 200, 200, 303),
    "/transfers/{ld}": (200, 200, 200, 403),
    "/transfers/{ld}/employees": (200, 200, 403, 403),
    "/transfers/{ld}/employees/eli.csv": (200, 200, 403, 403),
    "/transfers/{ld}/employees/edit?ref=LD-001": (200, 200, 403, 403),
    "/transfers/{ld}/letters": (200, 200, 403, 403),
    "/transfers/{ld}/letters/reg13-information/pdf?to=representative:1": (200, 200, 403, 403),
    "/transfers/{ld}/history": (200, 200, 200, 403),
    # A step's own page (law, evidence, its action): read by viewers, who get no action.
    "/transfers/{ld}/steps/claims_window": (200, 200, 200, 403),
    "/transfers/ld-to-nct/steps/claims_window": (200, 200, 200, 403),  # by reference
    "/transfers/{ld}/steps/claims_window/done": (303, 303, 403, 403),  # now on the step page
    "/transfers/{ld}/key-dates/transfer": (200, 200, 403, 403),
    "/admin/users": (200, 403, 403, 403),
    "/admin/users/new": (200, 403, 403, 403),
    "/admin/audit": (200, 403, 403, 403),
    "/portal": (403, 403, 403, 200),
    "/account": (200, 200, 200, 200),
}


@pytest.mark.parametrize("path", list(MATRIX))
def test_every_role_against_every_page(web: WebEnv, path: str) -> None:
    url = path.format(ld=web.ids["ld-to-nct"])
    for role, expected in zip(ROLES, MATRIX[path], strict=True):
        response = web.as_role(role).get(url)
        assert response.status_code == expected, (role, url, response.status_code)


def test_signed_out_browsers_are_sent_to_sign_in(web: WebEnv) -> None:
    browser = web.browser()
    for path in ("/", f"/transfers/{web.ids['ld-to-nct']}", "/portal", "/admin/users"):
        response = browser.get(path)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/sign-in")
    assert browser.get("/account").headers["location"] == "/sign-in?next=/account"


def test_changing_the_id_never_reveals_another_transfer(web: WebEnv) -> None:
    officer = web.as_role("hr_officer")
    missing = officer.get("/transfers/99999")
    assert missing.status_code == 404
    for ref, number in web.ids.items():
        if ref == "ld-to-nct":
            continue
        for suffix in ("", "/employees", "/letters", "/history", "/employees/eli.csv",
                       "/key-dates/transfer"):
            response = officer.get(f"/transfers/{number}{suffix}")
            assert response.status_code == 404, (ref, suffix)
            # The same page as for an id that does not exist: nothing about the transfer.
            assert response.text == missing.text
    # ... and the attempts are in the audit log, against the transfer they were after.
    with read_session(web.engine) as session:
        denied = session.exec(select(AuditEntry).where(
            AuditEntry.action == "access-denied",
            AuditEntry.actor == "web:officer@example.org")).all()
    assert len(denied) >= 6 * (len(web.ids) - 1)


def test_an_officer_cannot_change_a_transfer_they_are_not_assigned_to(web: WebEnv) -> None:
    officer = web.as_role("hr_officer")
    send = web.ids["send-iass-to-wnc"]
    version = web.version("send-iass-to-wnc")
    response = officer.post(f"/transfers/{send}/advance",
                            {"trigger": "approve", "version": version})
    assert response.status_code == 404
    assert web.version("send-iass-to-wnc") == version


def test_a_programme_assignment_covers_its_child_transfers(web: WebEnv) -> None:
    with write_session(web.engine) as session:
        assign(session, get_user(session, "other@example.org"),
               get_transfer(session, "acsws-to-schools"), actor="test")
    other = web.browser("other@example.org")
    child = web.ids["acsws-to-schools/school-05"]
    assert other.get(f"/transfers/{child}").status_code == 200
    assert other.get(f"/transfers/{web.ids['ld-to-nct']}").status_code == 404
    board = other.get("/").text
    assert "acsws-to-schools/school-05" in board and "ld-to-nct" not in board


def test_a_union_rep_asking_for_employees_gets_403_and_is_audited(web: WebEnv) -> None:
    rep = web.as_role("union_rep")
    ld = web.ids["ld-to-nct"]
    for path in (f"/transfers/{ld}/employees", f"/transfers/{ld}/employees/eli.csv"):
        response = rep.get(path)
        assert response.status_code == 403
        assert "Sample Employee" not in response.text
        assert "Union representatives can see the notices" in response.text
    with read_session(web.engine) as session:
        denied = session.exec(select(AuditEntry).where(
            AuditEntry.action == "access-denied",
            AuditEntry.actor == "web:rep@example.org")).all()
    paths = {entry.data["path"] for entry in denied}
    assert {f"/transfers/{ld}/employees", f"/transfers/{ld}/employees/eli.csv"} <= paths
    assert all(entry.data["role"] == "union_rep" for entry in denied)


def test_viewers_see_transfers_but_never_personal_data(web: WebEnv) -> None:
    viewer = web.as_role("viewer")
    ld = web.ids["ld-to-nct"]
    with read_session(web.engine) as session:
        names = [e.full_name for e in session.exec(select(Employee)).all()]
        refs = [e.employee_ref for e in session.exec(select(Employee)).all()]
    for path in ("/", f"/transfers/{ld}", f"/transfers/{ld}/history"):
        text = viewer.get(path).text
        assert not any(name in text for name in names), path
        assert not any(ref in text for ref in refs), path
    page = viewer.get(f"/transfers/{ld}").text
    assert f"/transfers/{ld}/employees" not in page  # no link to what they cannot open
    assert "can look at this transfer but not change it" in page
    response = viewer.post(f"/transfers/{ld}/advance",
                           {"trigger": "approve", "version": web.version("ld-to-nct")})
    assert response.status_code == 403


def test_only_admins_manage_users(web: WebEnv) -> None:
    officer = web.as_role("hr_officer")
    response = officer.post("/admin/users/new", {"username": "new@example.org",
                                                 "display_name": "New", "role": "hr_admin"})
    assert response.status_code == 403
    admin = web.as_role("hr_admin")
    created = admin.post("/admin/users/new", {"username": "new@example.org",
                                              "display_name": "New Person",
                                              "role": "hr_officer"})
    assert created.status_code == 200 and "Their password is" in created.text


def test_a_new_user_form_says_every_problem_at_once_and_checks_the_name(web: WebEnv) -> None:
    """The name is shown in the history and the portal as who did what: one line, not too
    long, and nothing in it that turns the text round ('Evil\u202eAdmin' reads backwards)."""
    admin = web.as_role("hr_admin")

    def refused(form: dict[str, str]) -> str:
        response = admin.post("/admin/users/new", form)
        assert response.status_code == 303  # back to the form, filled in, with its errors
        page = admin.follow(response).text
        return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())

    empty = refused({"username": "", "display_name": "", "role": ""})
    assert "Enter the person's name" in empty and "Select a role" in empty
    assert "Username must be 3 to 80 characters" in empty
    assert "reverses the direction of text (U+202E" in refused(
        {"username": "evil@example.org", "display_name": "Evil\u202eAdmin", "role": "viewer"})
    assert "The name contains" in refused(
        {"username": "bell@example.org", "display_name": "Evil\x07Admin", "role": "viewer"})
    assert "The name must be 200 characters or fewer" in refused(
        {"username": "long@example.org", "display_name": "A" * 100_000, "role": "viewer"})
    with read_session(web.engine) as session:
        for name in ("evil@example.org", "bell@example.org", "long@example.org"):
            with pytest.raises(NotFoundError):
                get_user(session, name)


def test_a_deactivated_user_is_signed_out_at_once(web: WebEnv) -> None:
    viewer = web.as_role("viewer")
    assert viewer.get("/").status_code == 200
    admin = web.as_role("hr_admin")
    with read_session(web.engine) as session:
        viewer_id = get_user(session, "viewer@example.org").id
    asked = admin.post(f"/admin/users/{viewer_id}/active", {"active": "no"})
    assert asked.status_code == 303  # to the page that confirms it, first
    assert viewer.get("/").status_code == 200
    response = admin.post(f"/admin/users/{viewer_id}/deactivate")
    assert response.status_code == 303
    assert viewer.get("/").status_code == 303
    assert web.browser().sign_in("viewer@example.org").status_code == 401


def test_demo_clock_is_used_for_deadlines(web: WebEnv) -> None:
    page = web.as_role("hr_admin").get("/").text
    assert "20 September 2022" in page and AS_OF.year == 2022
