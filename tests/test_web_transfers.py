"""The dashboard and a transfer's page: advancing, refusals explained, stale forms, evidence."""

from __future__ import annotations

import re
from datetime import date

from tests import web_fixtures
from tests.web_fixtures import Browser, WebEnv, web_settings
from transfer_engine.domain import StepStatus
from transfer_engine.engine.advance import advance
from transfer_engine.letters.owed import issue_pending
from transfer_engine.store.database import read_session
from transfer_engine.store.queries import get_transfer, steps_of
from transfer_engine.web import create_app


def _state(web: WebEnv, ref: str) -> str:
    with read_session(web.engine) as session:
        return get_transfer(session, ref).state


def _version_on(page: str) -> str:
    found = re.search(r'name="version" value="(\d+)"', page)
    assert found
    return found.group(1)


def test_the_dashboard_shows_state_deadline_status_overdue_and_money(web: WebEnv) -> None:
    page = web.as_role("hr_admin").get("/").text
    assert "Learning and Development children" in page
    # On 20 September 2022 the L&D decision (7 Sep) and advising the unions (14 Sep) are late.
    table = page.split('id="transfers"')[1]
    ld = web.ids["ld-to-nct"]
    row = table.split(f'href="/transfers/{ld}"')[1].split("</tr>")[0]
    assert "Late" in row and "Overdue" not in row  # the task list's word for it
    # Late steps by their titles, never their ids.
    assert "Governance decision to transfer recorded; Advise" in row and "advise_unions" not in row
    assert "Proposed" in row and "20 Sep 2022" in row
    assert "Needs attention" in page and "Money at risk" in page.replace("money at risk", "")
    # Every school transfer is listed under its programme.
    assert page.count("acsws-to-schools/school-") == 12


def test_money_at_risk_appears_when_statutory_steps_are_late(web: WebEnv) -> None:
    late = Browser(create_app(web_settings(as_of=date(2022, 10, 20))))
    late.sign_in("admin@example.org")
    page = late.get(f"/transfers/{web.ids['ld-to-nct']}").text
    # The reg 13 information (reg 15: up to 13 weeks' pay each) is late; the ELI not yet.
    assert "reg 15: inform_representatives" in page
    money = page.split("Money at risk</dt>")[1].split("</dd>")[0]
    assert "£0" not in money


def test_advancing_a_step_from_the_page(web: WebEnv) -> None:
    officer = web.as_role("hr_officer")
    ld = web.ids["ld-to-nct"]
    # The action is on the step's own page; the transfer's page lists the steps as tasks.
    page = officer.get(f"/transfers/{ld}/steps/decision").text
    assert "Record the decision to transfer" in page and 'id="trigger-approve"' in page
    response = officer.post(f"/transfers/{ld}/advance", {
        "trigger": "approve", "version": _version_on(page), "note": "Joint Committee minute 7"})
    assert response.status_code == 303
    assert response.headers["location"] == "/transfers/ld-to-nct"  # by its reference
    after = officer.get(f"/transfers/{ld}").text
    assert "Done: Record the decision to transfer" in after  # the one-off message
    # No date given: today's, and the message says so.
    assert "Date it happened: 20 September 2022." in after
    assert _state(web, "ld-to-nct") == "approved"
    assert "Joint Committee minute 7" in officer.get(f"/transfers/{ld}/history").text
    assert "Done: Record" not in officer.get(f"/transfers/{ld}").text  # shown once


def test_a_refused_guard_is_explained_and_can_be_fixed(web: WebEnv) -> None:
    officer = web.as_role("hr_officer")
    ld = web.ids["ld-to-nct"]
    for trigger in ("approve",):
        officer.post(f"/transfers/{ld}/advance",
                     {"trigger": trigger, "version": web.version("ld-to-nct")})
    page = officer.get(f"/transfers/{ld}/steps/inform_representatives").text
    # Before trying, the step's page already says what holds "Inform the representatives"
    # back (and offers no button).
    assert "You cannot do this yet" in page and "envisaged measures received in writing" in page
    refused = officer.follow(officer.post(f"/transfers/{ld}/advance", {
        "trigger": "inform_representatives", "version": web.version("ld-to-nct")}))
    assert "There is a problem" in refused.text and refused.text.startswith("<!DOCTYPE html>")
    assert "<title>Error:" in refused.text
    assert 'href="#trigger-inform_representatives"' in refused.text
    assert "use “Record that the transferee" in refused.text  # what to do, in the page's words
    assert "transfer-engine" not in refused.text.split("<main")[1]  # no CLI advice on a page
    assert _state(web, "ld-to-nct") == "approved"
    # Fix it: record the measures, then inform the representatives.
    for trigger in ("record_measures", "inform_representatives"):
        response = officer.post(f"/transfers/{ld}/advance",
                                {"trigger": trigger, "version": web.version("ld-to-nct")})
        assert response.status_code == 303, response.text
    assert _state(web, "ld-to-nct") == "consulting"


def test_a_stale_form_gets_a_clear_conflict_message(web: WebEnv) -> None:
    officer, admin = web.as_role("hr_officer"), web.as_role("hr_admin")
    ld = web.ids["ld-to-nct"]
    stale = _version_on(officer.get(f"/transfers/{ld}/steps/decision").text)
    admin.post(f"/transfers/{ld}/advance", {"trigger": "approve", "version": stale})
    posted = officer.post(f"/transfers/{ld}/advance",
                          {"trigger": "advise_unions", "version": stale, "note": "letter 4"})
    assert posted.status_code == 303  # post/redirect/get: a refresh does not send it again
    response = officer.follow(posted)
    assert "letter 4" in response.text  # the form comes back as it was filled in
    assert "Someone else changed this transfer since you opened the page" in response.text
    assert _state(web, "ld-to-nct") == "approved"
    assert f'name="version" value="{int(stale) + 1}"' in response.text  # the fresh version


def test_overriding_a_late_eli_needs_a_reason(web: WebEnv) -> None:
    ld = web.ids["ld-to-nct"]
    for trigger in ("approve", "advise_unions", "record_measures", "inform_representatives",
                    "notify_employees", "conclude_consultation", "confirm_pensions",
                    "confirm_readiness"):
        result = advance("ld-to-nct", trigger, actor="test", engine=web.engine,
                         today=web_fixtures.AS_OF)
        # The state's letters (reg 13 information, employee letters) are the steps' evidence.
        issue_pending(web.engine, transfer_id=result.transfer_id)
    admin = web.as_role("hr_admin")
    page = admin.get(f"/transfers/{ld}/steps/go_live").text
    assert "Special circumstances (to go ahead anyway)" not in page  # date not reached
    later = Browser(create_app(web_settings(as_of=date(2022, 11, 1))))
    later.sign_in("admin@example.org")
    page = later.get(f"/transfers/{ld}/steps/go_live").text
    assert "Special circumstances (to go ahead anyway)" in page
    short = later.post(f"/transfers/{ld}/advance", {
        "trigger": "go_live", "version": web.version("ld-to-nct"), "override_reason": "late"})
    assert "at least 10 characters" in later.follow(short).text
    done = later.post(f"/transfers/{ld}/advance", {
        "trigger": "go_live", "version": web.version("ld-to-nct"),
        "override_reason": "special circumstances: the transferee's systems were late"})
    assert done.status_code == 303
    assert _state(web, "ld-to-nct") == "transferred"
    assert "Went ahead despite a check (override)" in later.get(f"/transfers/{ld}/history").text


def test_marking_a_step_done_with_evidence(web: WebEnv) -> None:
    officer = web.as_role("hr_officer")
    ld = web.ids["ld-to-nct"]
    page = officer.get(f"/transfers/{ld}").text
    assert '/transfers/ld-to-nct/steps/claims_window"' in page  # its own page, on the task list
    # The claims window (reg 15(12)) is closed from the day after its last day, 31 January
    # 2023: before that its page offers no form, and a form sent anyway is refused.
    step = officer.get("/transfers/ld-to-nct/steps/claims_window").text
    assert "It cannot happen before 1 February 2023" in step and "done_on-day" not in step
    early = officer.post(f"/transfers/{ld}/steps/claims_window/done", {
        "version": web.version("ld-to-nct"), "evidence": "Claims register checked, ref CR-9",
        "done_on-day": "19", "done_on-month": "9", "done_on-year": "2022"})
    refused = " ".join(re.sub(r"<[^>]+>", " ", officer.follow(early).text).split())
    assert ("(3 months beginning with transfer plus 1 day) is 1 February 2023, 135 days after "
            "19 September 2022. Wait until that date") in refused
    # On 2 February 2023 the form is there, dated today.
    later = Browser(create_app(web_settings(as_of=date(2023, 2, 2))))
    later.sign_in("officer@example.org")
    form = later.get(f"/transfers/{ld}/steps/claims_window").text
    assert 'name="done_on-day" type="text" inputmode="numeric" value="2"' in form
    bad = later.post(f"/transfers/{ld}/steps/claims_window/done", {
        "version": web.version("ld-to-nct"), "evidence": "", "done_on-day": "31",
        "done_on-month": "2", "done_on-year": "2023"})
    bad_page = later.follow(bad).text
    assert "Enter the evidence" in bad_page and "must be a real date" in bad_page
    assert 'name="done_on-day" type="text" inputmode="numeric" value="31"' in bad_page
    good = later.post(f"/transfers/{ld}/steps/claims_window/done", {
        "version": web.version("ld-to-nct"), "evidence": "Claims register checked, ref CR-9",
        "done_on-day": "1", "done_on-month": "2", "done_on-year": "2023"})
    assert good.status_code == 303
    with read_session(web.engine) as session:
        step_row = steps_of(session, get_transfer(session, "ld-to-nct"))["claims_window"]
    assert step_row.status == StepStatus.done and step_row.done_on == date(2023, 2, 1)
    assert step_row.evidence == "Claims register checked, ref CR-9"
    assert step_row.done_by == "web:officer@example.org"


def test_changing_a_key_date_recomputes_deadlines(web: WebEnv) -> None:
    officer = web.as_role("hr_officer")
    ld = web.ids["ld-to-nct"]
    check = officer.follow(officer.post(f"/transfers/{ld}/key-dates/transfer", {
        "version": web.version("ld-to-nct"), "reason": "The Trust asked for a later date",
        "new_date-day": "1", "new_date-month": "12", "new_date-year": "2022"}))
    action = check.text.split('<form method="post" action="')[-1].split('"')[0]
    response = officer.post(action, {"version": web.version("ld-to-nct")})  # the check page
    assert response.status_code == 303
    page = officer.follow(response).text
    assert "Transfer date changed to 1 December 2022" in page
    assert "1 December 2022" in page.split('id="key-dates"')[1]


def test_the_page_draws_the_state_diagram_and_timeline(web: WebEnv) -> None:
    page = web.as_role("viewer").get(f"/transfers/{web.ids['ld-to-nct']}").text
    assert page.count('role="img"') == 2
    assert "Current state: Proposed." in page
    assert "Today 20 Sep 2022" in page
