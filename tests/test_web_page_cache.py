"""Pages kept between requests: never stale, never another browser's form token."""

from __future__ import annotations

import re

from sqlmodel import select

from tests.web_fixtures import CSRF, ROLE_USER, WebEnv
from transfer_engine.engine.advance import advance
from transfer_engine.store.accounts import User
from transfer_engine.store.database import write_session
from transfer_engine.store.queries import get_transfer
from transfer_engine.web.auth import unassign


def _state_label(page: str) -> str:
    found = re.search(r'govuk-summary-list__value"><strong>([^<]+)</strong>', page)
    assert found, "no state on the page"
    return found.group(1).strip()


def test_each_browser_gets_its_own_form_token_on_a_kept_page(web: WebEnv) -> None:
    first, second = web.as_role("hr_officer"), web.as_role("hr_officer")
    path = f"/transfers/{web.ids['ld-to-nct']}"
    pages = [first.get(path).text, second.get(path).text, first.get(path).text]
    found = [set(CSRF.findall(page)) for page in pages]
    assert all(len(t) == 1 for t in found)
    tokens = [t.pop() for t in found]
    assert tokens[0] == tokens[2] != tokens[1]
    # The actions are on the steps' pages, reached from the kept page's task list; their
    # forms carry the token of the kept page, the one this browser's forms must carry.
    link = re.search(r'href="([^"]+/steps/decision)"', pages[1])
    assert link, "no task links to the decision's page"
    step = second.get(link.group(1)).text
    assert set(CSRF.findall(step)) == {tokens[1]}
    version = re.search(r'name="version" value="(\d+)"', step)
    assert version
    posted = second.client.post(f"{path}/advance", data={
        "trigger": "approve", "version": version.group(1), "note": "minute 7",
        "csrf_token": tokens[1]})
    assert posted.status_code == 303
    refused = first.client.post(f"{path}/advance", data={
        "trigger": "advise_unions", "version": str(int(version.group(1)) + 1),
        "note": "letter to UNISON", "csrf_token": tokens[1]})  # the other browser's
    assert refused.status_code == 403
    # A form read before someone else's change is refused with its own token too: the
    # version it carries is stale, and nothing is recorded.
    stale = first.client.post(f"{path}/advance", data={
        "trigger": "advise_unions", "version": version.group(1), "note": "letter to UNISON",
        "csrf_token": tokens[0]})
    assert stale.status_code == 303
    assert "Someone else changed this transfer" in first.get(stale.headers["location"]).text
    assert web.version("ld-to-nct") == int(version.group(1)) + 1


def test_a_change_made_outside_the_web_shows_on_the_next_view(web: WebEnv) -> None:
    admin = web.as_role("hr_admin")
    path = f"/transfers/{web.ids['ld-to-nct']}"
    assert _state_label(admin.get(path).text) == "Proposed"
    dashboard = admin.get("/").text
    # The command line (or the API, or another web process) changes the transfer.
    advance("ld-to-nct", "approve", actor="test", note="minute 7", engine=web.engine)
    assert _state_label(admin.get(path).text) == "Approved"
    assert admin.get("/").text != dashboard


def test_an_officer_taken_off_a_transfer_no_longer_sees_its_kept_page(web: WebEnv) -> None:
    officer = web.as_role("hr_officer")
    path = f"/transfers/{web.ids['ld-to-nct']}"
    assert officer.get(path).status_code == 200
    with write_session(web.engine) as session:
        user = session.exec(select(User).where(
            User.username == ROLE_USER["hr_officer"])).one()
        unassign(session, user, get_transfer(session, "ld-to-nct"), actor="test")
    assert officer.get(path).status_code == 404
