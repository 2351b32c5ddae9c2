"""Accounts: password strength, sign-in limits per account and per address, the change-password
form's own limit, and who may revoke an API token."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from tests.conftest import Cli
from tests.web_fixtures import PASSWORD, Browser, WebEnv
from transfer_engine.errors import ValidationError
from transfer_engine.store.accounts import ApiToken, LoginAttempt, User
from transfer_engine.store.database import read_session, write_session
from transfer_engine.store.transfers import AuditEntry
from transfer_engine.web.passwords import check_password
from transfer_engine.web.routes.admin import generated_password

NEW_PASSWORD = "lantern orchard pebble velvet"
WEAK = ("aaaaaaaaaaaa", "password1234", "123456789012", "Welcome2024!!", "qwertyuiop12",
        "passwordpassword")


def _actions(web: WebEnv, action: str) -> list[AuditEntry]:
    with read_session(web.engine) as session:
        return list(session.exec(select(AuditEntry).where(AuditEntry.action == action)).all())


def _from(web: WebEnv, address: str) -> Browser:
    """A browser whose requests come from ``address``."""
    browser = Browser(web.app)
    browser.client = TestClient(web.app, follow_redirects=False, client=(address, 50000))
    return browser


# ---------------------------------------------------------------------------------------------
# Password strength


@pytest.mark.parametrize("weak", WEAK)
def test_common_and_guessable_passwords_are_refused_with_advice(web: WebEnv, weak: str) -> None:
    browser = web.as_role("viewer")
    response = browser.post("/account/password", {"current": PASSWORD, "new": weak,
                                                  "confirm": weak})
    assert response.status_code == 422
    assert "three or four random words" in response.text
    assert weak not in response.text  # the page never repeats the password
    # Nothing changed: the old password still signs in.
    assert web.browser().sign_in("viewer@example.org").status_code == 303


def test_a_strong_password_is_accepted_and_the_user_signs_in_again(web: WebEnv) -> None:
    browser = web.as_role("viewer")
    response = browser.post("/account/password", {"current": PASSWORD, "new": NEW_PASSWORD,
                                                  "confirm": NEW_PASSWORD})
    assert response.status_code == 303 and response.headers["location"] == "/sign-in"
    assert web.browser().sign_in("viewer@example.org", NEW_PASSWORD).status_code == 303


def test_the_checks_say_why_a_password_is_refused() -> None:
    with pytest.raises(ValidationError, match="at least 12 characters"):
        check_password("short", username="jo@example.org")
    with pytest.raises(ValidationError, match="must not be the username"):
        check_password("jo@example.org", username="jo@example.org")
    with pytest.raises(ValidationError, match="first that people trying to break in"):
        check_password("P@ssw0rd2024", username="jo@example.org")
    with pytest.raises(ValidationError, match="too easy to guess"):
        check_password("bloggsbloggs12", username="jo@example.org", names=["Jo Bloggs"])
    check_password(NEW_PASSWORD, username="jo@example.org", names=["Jo Bloggs"])


def test_generated_passwords_always_pass() -> None:
    for _ in range(200):
        check_password(generated_password(), username="jo@example.org", names=["Jo Bloggs"])


def test_the_command_line_refuses_nothing_it_generates(demo: object, cli: Cli) -> None:
    for n in range(5):
        data = cli.json("users", "add", f"person{n}@example.org", "--name", f"Person {n}",
                        "--role", "viewer")
        check_password(data["password"], username=data["username"])


# ---------------------------------------------------------------------------------------------
# Sign-in limits


def test_an_administrators_reset_lifts_the_lock(web: WebEnv) -> None:
    browser = web.browser()
    for _ in range(5):
        assert browser.sign_in("officer@example.org", "wrong password here").status_code == 401
    locked = browser.sign_in("officer@example.org")
    assert locked.status_code == 429 and "reset your password" in locked.text
    admin = web.as_role("hr_admin")
    with read_session(web.engine) as session:
        officer = session.exec(select(User).where(User.username == "officer@example.org")).one()
    page = admin.post(f"/admin/users/{officer.id}/password", token_from="/admin/users")
    assert page.status_code == 200 and "lifts a sign-in lock" in page.text
    password = re.search(r'<code class="app-secret">([^<]+)</code>', page.text)
    assert password is not None
    assert web.browser().sign_in("officer@example.org", password.group(1)).status_code == 303


def test_the_account_limit_counts_failures_from_every_address(web: WebEnv) -> None:
    for n in range(5):
        _from(web, f"198.51.100.{n + 1}").sign_in("officer@example.org", "wrong password here")
    # A sixth address, with no failures of its own, is still refused: a guesser with many
    # addresses gets five guesses, not five each.
    response = _from(web, "203.0.113.9").sign_in("officer@example.org")
    assert response.status_code == 429 and "Too many failed attempts" in response.text


def test_made_up_names_from_one_address_do_not_lock_out_its_regular_users(web: WebEnv) -> None:
    office = "192.0.2.10"
    # Staff have signed in from the council's shared address before.
    assert _from(web, office).sign_in("officer@example.org").status_code == 303
    attacker = _from(web, office)
    for n in range(30):
        assert attacker.sign_in(f"nobody{n}@example.org", "wrong password here"
                                ).status_code == 401
    # The address is now held back ...
    held = attacker.sign_in("nobody99@example.org", "wrong password here")
    assert held.status_code == 429 and "from your network" in held.text
    assert int(held.headers["retry-after"]) > 800
    # ... but not for a colleague who signs in from it, and not for any other address.
    assert _from(web, office).sign_in("officer@example.org").status_code == 303
    assert _from(web, "203.0.113.7").sign_in("admin@example.org").status_code == 303
    # Someone never seen at that address waits like the guesser (and is told why).
    assert _from(web, office).sign_in("viewer@example.org").status_code == 429
    throttled = _actions(web, "sign-in-throttled")
    assert {e.data["limit"] for e in throttled} == {"address"}
    assert len(_actions(web, "sign-in-failed")) == 30


def test_failures_for_names_without_accounts_look_like_any_other(web: WebEnv) -> None:
    # So that the answers do not tell a guesser which usernames exist.
    for n, username in enumerate(("nobody@example.org", "viewer@example.org")):
        browser = _from(web, f"198.51.100.{n + 1}")
        answers = [browser.sign_in(username, "wrong password here").status_code
                   for _ in range(6)]
        assert answers == [401] * 5 + [429], username


# ---------------------------------------------------------------------------------------------
# The change-password form


def test_wrong_current_passwords_are_audited_and_limited(web: WebEnv) -> None:
    browser = web.as_role("viewer")
    for _ in range(5):
        response = browser.post("/account/password", {"current": "not my password at all",
                                                      "new": NEW_PASSWORD,
                                                      "confirm": NEW_PASSWORD})
        assert response.status_code == 422
        assert "Enter your current password correctly" in response.text
    # The sixth is refused even with the right password, and says how long to wait.
    response = browser.post("/account/password", {"current": PASSWORD, "new": NEW_PASSWORD,
                                                  "confirm": NEW_PASSWORD})
    assert response.status_code == 429 and "Too many wrong passwords" in response.text
    assert int(response.headers["retry-after"]) > 800
    assert len(_actions(web, "password-check-failed")) == 5
    assert len(_actions(web, "password-change-throttled")) == 1
    # The same limit as signing in: the account is locked there too ...
    assert web.browser().sign_in("viewer@example.org").status_code == 429
    # ... until the window has passed; the password never changed.
    with write_session(web.engine) as session:
        for row in session.exec(select(LoginAttempt)).all():
            row.at -= timedelta(minutes=16)
            session.add(row)
    assert web.browser().sign_in("viewer@example.org").status_code == 303


# ---------------------------------------------------------------------------------------------
# API tokens


def _token_id(web: WebEnv, username: str) -> int:
    with read_session(web.engine) as session:
        user = session.exec(select(User).where(User.username == username)).one()
        token = session.exec(select(ApiToken).where(ApiToken.user_id == user.id)).one()
    assert token.id is not None
    return token.id


def test_only_the_owner_or_an_administrator_can_revoke_a_token(web: WebEnv) -> None:
    viewer_token = _token_id(web, "viewer@example.org")
    officer = web.as_role("hr_officer")
    refused = officer.post(f"/account/tokens/{viewer_token}/revoke")
    unknown = officer.post("/account/tokens/999999/revoke")
    # Someone else's token looks exactly like one that does not exist ...
    assert refused.status_code == unknown.status_code == 404
    assert refused.text == unknown.text
    # ... it still works, and both attempts are in the audit log.
    assert web.api("viewer@example.org").get("/api/v1/me").status_code == 200
    refusals = _actions(web, "api-token-revoke-refused")
    assert [(e.actor, e.data["token_id"]) for e in refusals] == [
        ("web:officer@example.org", viewer_token), ("web:officer@example.org", 999999)]

    # The owner revokes it: it stops working, and that is audited too.
    viewer = web.as_role("viewer")
    done = viewer.post(f"/account/tokens/{viewer_token}/revoke")
    assert done.status_code == 303 and done.headers["location"] == "/account#api"
    assert "The token was revoked" in viewer.get("/account").text
    assert web.api("viewer@example.org").get("/api/v1/me").status_code == 401

    # An administrator can revoke anyone's, from the user's page.
    officer_token = _token_id(web, "officer@example.org")
    admin = web.as_role("hr_admin")
    with read_session(web.engine) as session:
        officer_id = session.exec(select(User.id).where(
            User.username == "officer@example.org")).one()
    assert "tests" in admin.get(f"/admin/users/{officer_id}").text  # the token's name
    response = admin.post(f"/account/tokens/{officer_token}/revoke")
    assert response.status_code == 303
    assert response.headers["location"] == f"/admin/users/{officer_id}#api"
    assert web.api("officer@example.org").get("/api/v1/me").status_code == 401
    revoked = _actions(web, "api-token-revoked")
    assert [(e.actor, e.data["user"]) for e in revoked] == [
        ("web:viewer@example.org", "viewer@example.org"),
        ("web:admin@example.org", "officer@example.org")]
