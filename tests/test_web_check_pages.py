"""Check before anything consequential: a key date, a staff list, cancelling, deactivating.

Each change is shown on a check page before it is made, and made only by confirming it; every
form's POST answers with a redirect (303), refused ones included, so that refreshing the next
page never sends a form again.
"""

from __future__ import annotations

import html
import re
from datetime import date

from httpx2 import Response
from sqlmodel import col, select

from tests import web_fixtures
from tests.web_fixtures import Browser, WebEnv
from transfer_engine.config import get_settings
from transfer_engine.engine.advance import advance
from transfer_engine.engine.reschedule import preview_reschedule, reschedule
from transfer_engine.letters.data import to_context
from transfer_engine.letters.owed import issue_pending
from transfer_engine.ops.scheduler import SweepReport, plan
from transfer_engine.outbox.queue import enqueue_many
from transfer_engine.store.accounts import User
from transfer_engine.store.database import read_session, write_session
from transfer_engine.store.messages import NoticeKind, OutboxMessage, OutboxStatus
from transfer_engine.store.people import Employee
from transfer_engine.store.queries import get_transfer, key_dates_of, steps_of
from transfer_engine.store.register import Letter
from transfer_engine.web.rendering import long_date

REF = "ld-to-nct"
HEADER = "employee_ref,full_name,role,fte,weekly_pay,email,date_of_birth,in_scope,objected_on\n"


def _form_action(page: str) -> str:
    """The last form's action on a page: the confirming form of a check page."""
    return page.split('<form method="post" action="')[-1].split('"')[0]


def _version(page: str) -> str:
    return page.split('name="version" value="')[-1].split('"')[0]


def _flat(page: str) -> str:
    """The words of a page, as a person reads them."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def _transfer_date(web: WebEnv) -> date | None:
    with read_session(web.engine) as session:
        return key_dates_of(session, get_transfer(session, REF)).get("transfer")


def _inform_representatives(web: WebEnv) -> None:
    """Issue the reg 13 information to the representatives, as the workflow does."""
    for trigger in ("approve", "advise_unions", "record_measures", "inform_representatives"):
        result = advance(REF, trigger, actor="test", engine=web.engine,
                         today=web_fixtures.AS_OF)
        issue_pending(web.engine, transfer_id=result.transfer_id)


def _ask_for_new_date(officer: Browser, web: WebEnv, day: int, month: int) -> Response:
    posted = officer.post(f"/transfers/{web.ids[REF]}/key-dates/transfer", {
        "version": web.version(REF), "reason": "The Trust asked for another date",
        "new_date-day": str(day), "new_date-month": str(month), "new_date-year": "2022"})
    assert posted.status_code == 303
    assert "/key-dates/transfer/check/" in posted.headers["location"]
    return officer.follow(posted)


# ---------------------------------------------------------------------------------------------
# A key date


def test_the_date_check_page_lists_old_and_new_dates_and_the_notice_to_send(web: WebEnv) -> None:
    _inform_representatives(web)
    with read_session(web.engine) as session:
        holders = {row.recipient_ref for row in session.exec(select(Letter).where(
            Letter.transfer_ref == REF, Letter.letter == "reg13-information")).all()}
        steps = steps_of(session, get_transfer(session, REF))
    assert holders  # the representatives hold a letter giving 1 November 2022
    officer = web.as_role("hr_officer")
    version = web.version(REF)
    check = _ask_for_new_date(officer, web, 1, 12)
    page = _flat(check.text)
    assert "Check the new transfer date before saving" in page
    assert "Transfer date now 1 November 2022" in page
    assert "New transfer date 1 December 2022" in page
    # No step ids: deadlines by their titles (each with its dates, checked after saving).
    assert "claims_window" not in check.text and "inform_representatives" not in page
    # The changed-date notice, to those who hold a letter with the old date.
    assert "Notice of a changed transfer date" in page
    assert f"{len(holders)} representative" in page
    # Nothing has changed yet: not the date, not the transfer.
    assert _transfer_date(web) == date(2022, 11, 1) and web.version(REF) == version
    refreshed = officer.get(check.url.path)  # the check page can be reloaded
    assert refreshed.status_code == 200 and _transfer_date(web) == date(2022, 11, 1)

    saved = officer.post(_form_action(check.text), {"version": _version(check.text)})
    assert saved.status_code == 303
    assert _transfer_date(web) == date(2022, 12, 1)
    with read_session(web.engine) as session:
        after = steps_of(session, get_transfer(session, REF))
    # What the check page said each deadline would become is what it became.
    for step_id in ("eli", "inform_representatives", "go_live"):
        old, new = steps[step_id].due_date, after[step_id].due_date
        assert old and new and old != new
        assert f"{after[step_id].title} {long_date(old)} {long_date(new)}" in page, step_id
    after_page = officer.follow(saved).text
    banner = _flat(after_page.split('id="flash"')[1].split("</div>\n      </div>")[0])
    assert "Transfer date changed to 1 December 2022" in banner
    # The banner lists what moved, from and to; the notice to send is said too.
    assert re.search(r"from \d+ \w+ 2022 to \d+ \w+ 2022", banner)
    assert "Notice of a changed transfer date" in banner and "Important" in banner
    # Used once: confirming again changes nothing and says so.
    again = officer.follow(officer.post(_form_action(check.text), {"version": web.version(REF)}))
    assert "expired or was already used" in again.text

    # As the page said: the notice is issued from the Letters page, to those told the old date.
    ld = web.ids[REF]
    letters_page = officer.get(f"/transfers/{ld}/letters").text
    assert 'id="letter-date-change"' in letters_page
    assert f'href="/transfers/{ld}/letters/date-change/check"' in letters_page
    checked = _flat(officer.get(f"/transfers/{ld}/letters/date-change/check").text)
    assert "Notice of a changed transfer date" in checked
    told_old_date = _holders(web, "issued")  # the representatives and the employees
    assert holders < told_old_date
    assert officer.post(f"/transfers/{ld}/letters/date-change/issue").status_code == 303
    with read_session(web.engine) as session:
        notices = session.exec(select(Letter).where(Letter.transfer_ref == REF,
                                                    Letter.letter == "date-change")).all()
    assert {n.recipient_ref for n in notices} == told_old_date == _holders(web, "superseded")
    assert all(to_context(n.data)["transfer"].transfer_date == date(2022, 12, 1)
               for n in notices)


def _holders(web: WebEnv, status: str) -> set[str]:
    """Who holds a letter giving the transfer date, in ``status`` (issued, or superseded)."""
    with read_session(web.engine) as session:
        return {row.recipient_ref for row in session.exec(select(Letter).where(
            Letter.transfer_ref == REF, Letter.status == status,
            col(Letter.letter).in_(["reg13-information", "employee-notification"]))).all()}


def test_the_preview_is_what_is_saved(web: WebEnv) -> None:
    today = web_fixtures.AS_OF
    new = date(2022, 10, 10)  # the ELI (28 days before) would be due before today
    preview = preview_reschedule(REF, "transfer", new, actor="test", reason="Trust's request",
                                 today=today, engine=web.engine)
    assert _transfer_date(web) == date(2022, 11, 1) and preview.saved is False
    saved = reschedule(REF, "transfer", new, actor="test", reason="Trust's request",
                       today=today, engine=web.engine)
    assert [(c.step_id, c.old_due, c.new_due) for c in preview.moved] == \
        [(c.step_id, c.old_due, c.new_due) for c in saved.moved]
    assert preview.impossible == saved.impossible and preview.now_late == saved.now_late
    assert "eli" in saved.impossible  # a statutory period no longer possible


def test_a_date_that_makes_deadlines_impossible_is_a_warning_not_a_success(web: WebEnv) -> None:
    officer = web.as_role("hr_officer")
    check = _ask_for_new_date(officer, web, 10, 10)
    page = _flat(check.text)
    with read_session(web.engine) as session:
        eli_title = steps_of(session, get_transfer(session, REF))["eli"].title
    assert "These can no longer be met" in page and eli_title in page
    assert "Already passed" in page
    after = officer.follow(officer.post(_form_action(check.text),
                                        {"version": _version(check.text)})).text
    banner = after.split('id="flash"')[1].split("</div>\n      </div>")[0]
    assert "govuk-notification-banner--success" not in after.split('id="flash"')[0][-400:]
    assert "Important" in banner and "can no longer be met" in banner and eli_title in banner
    assert "Success" not in banner


def test_a_refused_date_comes_back_by_redirect_with_its_errors(web: WebEnv) -> None:
    officer = web.as_role("hr_officer")
    posted = officer.post(f"/transfers/{web.ids[REF]}/key-dates/transfer", {
        "version": web.version(REF), "reason": "x", "new_date-day": "31",
        "new_date-month": "2", "new_date-year": "2022"})
    assert posted.status_code == 303
    assert posted.headers["location"] == f"/transfers/{web.ids[REF]}/key-dates/transfer"
    page = officer.follow(posted).text
    assert "There is a problem" in page and "must be a real date" in page
    assert 'name="new_date-day" type="text" inputmode="numeric" value="31"' in page
    # Shown once: a refresh shows the form afresh, and sent nothing again.
    assert "There is a problem" not in officer.get(posted.headers["location"]).text


# ---------------------------------------------------------------------------------------------
# A staff list


def _upload(browser: Browser, web: WebEnv, name: str, text: str, mode: str) -> Response:
    posted = browser.client.post(
        f"/transfers/{web.ids[REF]}/employees/upload",
        data={"csrf_token": browser.token("/account"), "version": web.version(REF),
              "mode": mode},
        files={"file": (name, text.encode(), "text/csv")})
    assert posted.status_code == 303
    return browser.follow(posted)


def _staff(web: WebEnv) -> dict[str, Employee]:
    with read_session(web.engine) as session:
        return {e.employee_ref: e for e in session.exec(select(Employee).where(
            Employee.transfer_id == web.ids[REF])).all()}


def test_a_bad_row_then_an_update_that_lists_additions_and_changes(web: WebEnv) -> None:
    officer = web.as_role("hr_officer")
    before = _staff(web)
    bad = (HEADER + "LD-002,Sample Employee LD-002,Senior Officer,0.8,420.00,,,yes,\n"
           "N001,Sample New Starter,Officer,full-time,300,,,yes,\n")
    page = _upload(officer, web, "staff.csv", bad, "update").text
    assert "There is a problem" in page and 'href="#file"' in page
    assert "staff.csv has 1 problem, so nothing was imported" in page
    problems = page.split('id="problems"')[1].split("</table>")[0]
    assert re.search(r">3</td>\s*<td[^>]*>fte</td>", problems)  # row 3, column fte
    assert _staff(web).keys() == before.keys()

    good = bad.replace("full-time", "1.0")
    check = _upload(officer, web, "staff.csv", good, "update")
    text = _flat(check.text)
    assert "Check the staff list before importing it" in text
    assert "To be added (1)" in text and "N001 Sample New Starter" in text
    assert "To be changed (1)" in text
    changed = _flat(check.text.split('id="changed-1"')[1].split("</table>")[0])
    assert "Job title" in changed and "Senior Officer" in changed
    assert "Full-time equivalent" in changed and "0.8" in changed
    assert "put out of scope" not in text.lower().split("changes")[1][:60]
    assert _staff(web)["LD-002"].role != "Senior Officer"  # nothing applied yet

    done = officer.post(_form_action(check.text), {"version": _version(check.text)})
    assert done.status_code == 303
    staff = _staff(web)
    assert staff["LD-002"].role == "Senior Officer" and "N001" in staff
    assert len(staff) == len(before) + 1  # the others are left as they were
    assert "Imported staff.csv: 1 added, 1 changed" in officer.follow(done).text


def test_replacing_the_list_lists_who_is_put_out_of_scope(web: WebEnv) -> None:
    officer = web.as_role("hr_officer")
    before = _staff(web)
    keep = "LD-001,Sample Employee LD-001,Officer,1.0,500.00,,,yes,\n"
    check = _upload(officer, web, "whole.csv", HEADER + keep, "replace")
    left_off = check.text.split('id="left-off"')[1].split("</table>")[0]
    gone = sorted(ref for ref, e in before.items() if ref != "LD-001" and e.in_scope)
    assert gone and all(ref in left_off for ref in gone) and "LD-001" not in left_off
    assert "not deleted" in check.text
    officer.follow(officer.post(_form_action(check.text), {"version": _version(check.text)}))
    staff = _staff(web)
    assert set(staff) == set(before)  # kept, with their history
    assert not any(staff[ref].in_scope for ref in gone)


# ---------------------------------------------------------------------------------------------
# Cancelling a transfer


def test_an_hr_officer_cannot_cancel(web: WebEnv) -> None:
    officer = web.as_role("hr_officer")
    ld = web.ids[REF]
    assert officer.get(f"/transfers/{ld}/cancel").status_code == 403
    assert officer.post(f"/transfers/{ld}/cancel", {
        "version": web.version(REF), "reason": "Not needed"}).status_code == 403
    assert officer.post(f"/transfers/{ld}/advance", {
        "trigger": "cancel", "version": web.version(REF), "note": "Not needed"}
    ).status_code == 403
    api = web.api("officer@example.org").post(f"/api/v1/transfers/{ld}/advance", json={
        "trigger": "cancel", "note": "Not needed"})
    assert api.status_code == 403
    with read_session(web.engine) as session:
        assert get_transfer(session, REF).state == "proposed"


def test_an_administrator_sees_the_consequences_and_cancels_with_a_reason(web: WebEnv) -> None:
    admin = web.as_role("hr_admin")
    ld = web.ids[REF]
    # Firing the trigger from the transfer's page leads to the cancel page, changing nothing.
    led = admin.post(f"/transfers/{ld}/advance", {"trigger": "cancel",
                                                  "version": web.version(REF)})
    assert led.status_code == 303 and led.headers["location"] == f"/transfers/{ld}/cancel"
    page = admin.get(f"/transfers/{ld}/cancel").text
    with read_session(web.engine) as session:
        open_titles = [s.title for s in steps_of(session, get_transfer(session, REF)).values()
                       if s.status == "open"]
    flat = _flat(page)
    assert f"Open steps that will no longer be due ({len(open_titles)})" in flat
    assert all(title in flat for title in open_titles)
    assert "Letters owed that will not be issued" in flat and "Reminders" in flat
    assert "leave the calendar feed" in flat
    empty = admin.post(f"/transfers/{ld}/cancel", {"version": web.version(REF), "reason": " "})
    assert empty.status_code == 303
    assert "Enter why the transfer is cancelled" in admin.follow(empty).text
    with read_session(web.engine) as session:
        assert get_transfer(session, REF).state == "proposed"
    done = admin.post(f"/transfers/{ld}/cancel", {
        "version": web.version(REF), "reason": "Joint Committee withdrew the proposal, minute 9"})
    assert done.status_code == 303
    assert "The transfer is cancelled" in admin.follow(done).text
    with read_session(web.engine) as session:
        assert get_transfer(session, REF).state == "cancelled"
    assert "Joint Committee withdrew the proposal" in admin.get(f"/transfers/{ld}/history").text


def test_the_cancel_page_and_message_say_which_emails_still_go(web: WebEnv) -> None:
    """Cancelling stops reminders, not the emails of letters already issued, and cannot undo an
    email a fault may already have delivered: the page and the message say which is which."""
    officer, admin = web.as_role("hr_officer"), web.as_role("hr_admin")
    ld = web.ids[REF]
    for trigger in ("approve", "record_measures", "inform_representatives"):
        assert officer.post(f"/transfers/{ld}/advance", {
            "trigger": trigger, "version": web.version(REF)}).status_code == 303
    with write_session(web.engine) as session:
        # The reminders the scheduler would decide on a day near the transfer's deadlines.
        day = min(s.due_date for s in steps_of(session, get_transfer(session, REF)).values()
                  if s.status == "open" and s.due_date is not None)
        planned = [n for n in plan(session, day, get_settings(), SweepReport(day, False))
                   if n.transfer_ref == REF and n.kind in ("reminder", "escalation")]
        enqueue_many(session, planned, get_settings())
        letters = session.exec(select(OutboxMessage).where(
            OutboxMessage.transfer_ref == REF, OutboxMessage.kind == NoticeKind.letter,
            OutboxMessage.status == OutboxStatus.pending)).all()
        assert len(letters) >= 2  # the informing letter to each union
        letters[0].in_doubt = True  # as a restore leaves it
        session.add(letters[0])
    reminders = sum(len(n.messages) for n in planned)
    assert reminders > 0
    flat = _flat(admin.get(f"/transfers/{ld}/cancel").text)
    assert (f"{reminders} reminder{'s' if reminders != 1 else ''} or "
            f"escalation{'s' if reminders != 1 else ''} waiting to be sent will not be sent"
            in flat)
    still = len(letters) - 1
    assert (f"This does not stop the {still} email{'s' if still != 1 else ''} about letters "
            "already issued" in flat)
    assert "1 email is held because a fault may already have delivered it" in flat

    done = admin.post(f"/transfers/{ld}/cancel", {"version": web.version(REF),
                                                   "reason": "Withdrawn, minute 12"})
    message = _flat(admin.follow(done).text)
    assert "The transfer is cancelled." in message
    assert (f"{still} email{'s' if still != 1 else ''} about letters already issued will "
            "still be sent." in message)
    assert "1 email held in doubt stays held on its Letters page." in message


# ---------------------------------------------------------------------------------------------
# Deactivating a user


def _active(web: WebEnv, username: str) -> bool:
    with read_session(web.engine) as session:
        return session.exec(select(User).where(User.username == username)).one().active


def test_deactivating_a_user_is_confirmed_on_a_page_saying_what_they_lose(web: WebEnv) -> None:
    admin = web.as_role("hr_admin")
    web.as_role("hr_officer")  # signed in somewhere
    with read_session(web.engine) as session:
        officer = session.exec(select(User).where(User.username == "officer@example.org")).one()
    asked = admin.post(f"/admin/users/{officer.id}/active", {"active": "no"},
                       token_from="/admin/users")
    assert asked.status_code == 303
    assert asked.headers["location"] == f"/admin/users/{officer.id}/deactivate"
    assert _active(web, "officer@example.org")  # nothing yet
    page = _flat(admin.follow(asked).text)
    assert "Deactivate Sample Officer\u2019s account?" in page
    assert "They can no longer sign in" in page and "API token" in page
    assert "Learning and Development" in page  # the transfer assigned to them
    done = admin.post(f"/admin/users/{officer.id}/deactivate", token_from="/admin/users")
    assert done.status_code == 303
    assert "account is deactivated" in admin.follow(done).text
    assert not _active(web, "officer@example.org")
    assert web.api("officer@example.org").get("/api/v1/me").status_code == 401
