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
    # The token on the kept page is the one this browser's form must carry.
    version = re.search(r'name="version" value="(\d+)"', pages[1])
    assert version
    posted = second.client.post(f"{path}/advance", data={
        "trigger": "approve", "version": version.group(1), "note": "minute 7",
        "csrf_token": tokens[1]})
    assert posted.status_code == 303
    refused = first.client.post(f"{path}/advance", data={
        "trigger": "advise_unions", "version": str(int(version.group(1)) + 1),
        "note": "letter to UNISON", "csrf_token": tokens[1]})  # the other browser's
    assert refused.status_code == 403


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
