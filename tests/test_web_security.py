"""CSRF on every form, sign-in rate limiting, cookies, headers, password storage, redirects."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlmodel import select
from starlette.routing import Route

from tests.web_fixtures import PASSWORD, Browser, WebEnv, web_settings
from transfer_engine.errors import ConfigurationError
from transfer_engine.store.accounts import LoginAttempt, User, WebSession
from transfer_engine.store.database import read_session, write_session
from transfer_engine.store.transfers import AuditEntry
from transfer_engine.web import auth, create_app, csrf
from transfer_engine.web.routes import ROUTERS

PARAMS = {"step_id": "claims_window", "name": "transfer", "letter": "reg13-information",
          "message_id": "1", "user_id": "1", "token_id": "1", "link_id": "1",
          "to_version": "1", "token": "not-a-token", "letter_id": "1",
          "representation_id": "1", "section_key": "meeting", "slug": "ld", "stage": "invite"}


def _post_routes(web: WebEnv) -> list[str]:
    paths = []
    for router in ROUTERS:
        for route in router.routes:
            if isinstance(route, Route) and "POST" in (route.methods or set()):
                path = route.path.replace("{transfer_id}", str(web.ids["ld-to-nct"]))
                paths.append(re.sub(r"{(\w+)}", lambda m: PARAMS[m.group(1)], path))
    return paths


def test_every_form_refuses_a_request_without_its_csrf_token(web: WebEnv) -> None:
    admin = web.as_role("hr_admin")
    version = web.version("ld-to-nct")
    paths = _post_routes(web)
    assert len(paths) >= 15
    with read_session(web.engine) as session:
        entries = len(session.exec(select(AuditEntry)).all())
    for path in paths:
        response = admin.post(path, {"trigger": "approve", "version": version}, csrf=False)
        assert response.status_code == 403, path
        assert "did not come from this service" in response.text, path
    # Nothing happened: the transfer did not move, and nothing but sign-in is in the log.
    assert web.version("ld-to-nct") == version
    with read_session(web.engine) as session:
        assert len(session.exec(select(AuditEntry)).all()) == entries
    assert admin.get("/").status_code == 200  # still signed in (sign-out needs a token too)


def test_a_token_from_another_session_is_refused(web: WebEnv) -> None:
    officer, admin = web.as_role("hr_officer"), web.as_role("hr_admin")
    stolen = admin.token("/account")
    ld = web.ids["ld-to-nct"]
    response = officer.client.post(f"/transfers/{ld}/advance", data={
        "trigger": "approve", "version": web.version("ld-to-nct"), "csrf_token": stolen})
    assert response.status_code == 403


def test_the_sign_in_form_needs_its_token_too(web: WebEnv) -> None:
    browser = web.browser()
    response = browser.post("/sign-in", {"username": "admin@example.org",
                                         "password": PASSWORD}, csrf=False)
    assert response.status_code == 403


def test_signing_in_gives_a_new_httponly_samesite_session(web: WebEnv) -> None:
    browser = web.browser()
    before = browser.token("/sign-in")
    response = browser.sign_in("admin@example.org")
    cookie = response.headers["set-cookie"]
    assert "te_session=" in cookie and "HttpOnly" in cookie
    assert "samesite=lax" in cookie.lower() and "Path=/" in cookie
    assert browser.token("/account") != before  # tokens are bound to the new session
    # The database holds only a hash of the session token.
    token = browser.client.cookies["te_session"]
    with read_session(web.engine) as session:
        stored = session.exec(select(WebSession.token_hash)).all()
    assert token not in stored and auth.digest(token) in stored


def test_over_https_the_cookie_is_secure_and_host_only(web: WebEnv) -> None:
    app = create_app(web_settings(secure_cookies=True))
    browser = Browser(app)
    browser.client.base_url = "https://testserver"
    response = browser.sign_in("admin@example.org")
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("__Host-te_session=") and "Secure" in cookie
    assert "strict-transport-security" in browser.get("/").headers


def test_signing_out_ends_the_session_for_good(web: WebEnv) -> None:
    browser = web.as_role("hr_admin")
    token = browser.client.cookies["te_session"]
    assert browser.post("/sign-out").headers["location"] == "/signed-out"
    replay = Browser(web.app)
    replay.client.cookies.set("te_session", token)
    assert replay.get("/").status_code == 303


def test_an_idle_session_expires(web: WebEnv) -> None:
    browser = web.as_role("hr_admin")
    with write_session(web.engine) as session:
        for row in session.exec(select(WebSession)).all():
            row.last_seen_at -= timedelta(hours=2)
            session.add(row)
    assert browser.get("/").status_code == 303


def test_failed_sign_ins_are_limited_per_account(web: WebEnv) -> None:
    browser = web.browser()
    for _ in range(5):
        response = browser.sign_in("officer@example.org", "wrong password here")
        assert response.status_code == 401
        assert "Enter a correct username and password" in response.text
    # The sixth try is refused even with the right password, and says how long to wait.
    response = browser.sign_in("officer@example.org")
    assert response.status_code == 429
    assert int(response.headers["retry-after"]) > 800
    assert "Too many failed attempts" in response.text
    # Another account is not affected ...
    assert web.browser().sign_in("admin@example.org").status_code == 303
    # ... and once the window has passed, the account can sign in again.
    with write_session(web.engine) as session:
        for row in session.exec(select(LoginAttempt)).all():
            row.at -= timedelta(minutes=16)
            session.add(row)
    assert web.browser().sign_in("officer@example.org").status_code == 303
    with read_session(web.engine) as session:
        actions = [e.action for e in session.exec(select(AuditEntry)).all()]
    assert actions.count("sign-in-failed") == 5 and "sign-in-throttled" in actions


def test_failed_sign_ins_are_limited_per_address(web: WebEnv) -> None:
    browser = web.browser()
    for n in range(30):
        browser.sign_in(f"nobody{n}@example.org", "wrong password here")
    assert browser.sign_in("admin@example.org").status_code == 429


def _from(app: FastAPI, address: str, forwarded_for: str | None = None) -> Browser:
    """A browser whose requests reach the app from ``address`` (a reverse proxy, or a client
    writing the header itself), saying they are for ``forwarded_for``."""
    headers = {"x-forwarded-for": forwarded_for} if forwarded_for else {}
    return Browser(app, client=(address, 50000), headers=headers)


def test_behind_a_trusted_proxy_each_client_has_its_own_address_brake(web: WebEnv) -> None:
    app = create_app(web_settings(trusted_proxies=("10.0.0.0/24",)))
    guesser = _from(app, "10.0.0.5", forwarded_for="203.0.113.7")
    for n in range(30):
        guesser.sign_in(f"nobody{n}@example.org", "wrong password here")
    assert guesser.sign_in("admin@example.org").status_code == 429
    # Someone else coming through the same proxy is not held back with them ...
    colleague = _from(app, "10.0.0.5", forwarded_for="198.51.100.20")
    assert colleague.sign_in("admin@example.org").status_code == 303
    # ... and the attempts and the audit name the clients, not the proxy.
    with read_session(web.engine) as session:
        addresses = {row.ip for row in session.exec(select(LoginAttempt)).all()}
        held = session.exec(select(AuditEntry)
                            .where(AuditEntry.action == "sign-in-throttled")).one()
    assert addresses == {"203.0.113.7", "198.51.100.20"}
    assert held.data["ip"] == "203.0.113.7"


def test_a_forwarded_for_header_from_anywhere_else_is_ignored(web: WebEnv) -> None:
    """A client cannot dodge the address brake by naming a new address in each request: the
    header counts only from a trusted proxy (none by default)."""
    for app in (web.app, create_app(web_settings(trusted_proxies=("10.0.0.0/24",)))):
        for n in range(30):
            _from(app, "192.0.2.9", forwarded_for=f"203.0.113.{n}").sign_in(
                f"nobody{n}@example.org", "wrong password here")
        assert _from(app, "192.0.2.9", forwarded_for="203.0.113.99").sign_in(
            "admin@example.org").status_code == 429
        with write_session(web.engine) as session:
            assert {row.ip for row in session.exec(select(LoginAttempt)).all()} == {"192.0.2.9"}
            for row in session.exec(select(LoginAttempt)).all():
                session.delete(row)


@pytest.mark.parametrize(("value", "message"), [
    ("10.0.0.5, proxy.internal", "'proxy.internal' is not an IP address or network"),
    ("*", "'*' is not an IP address or network"),
    ("10.0.0.1/24", "'10.0.0.1/24' is not a network: its address has bits set beyond the "
                    "/24; write the network as 10.0.0.0/24"),
])
def test_a_trusted_proxy_that_is_not_an_address_is_refused_naming_it(
        value: str, message: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRANSFER_ENGINE_TRUSTED_PROXIES", value)
    with pytest.raises(ConfigurationError, match=re.escape(message)):
        web_settings()
    # Set in code rather than the environment, the same check holds.
    monkeypatch.delenv("TRANSFER_ENGINE_TRUSTED_PROXIES")
    with pytest.raises(ConfigurationError, match=re.escape(message)):
        web_settings(trusted_proxies=tuple(part.strip() for part in value.split(",")))


def test_passwords_are_stored_as_memory_hard_argon2id_hashes(web: WebEnv) -> None:
    with read_session(web.engine) as session:
        hashes = session.exec(select(User.password_hash)).all()
    assert hashes and all(h.startswith("$argon2id$") for h in hashes)
    assert all(PASSWORD not in h for h in hashes)


def test_the_production_hasher_is_memory_hard() -> None:
    hasher = auth.PasswordHasher()
    assert hasher.memory_cost >= 64 * 1024 and hasher.time_cost >= 3
    assert auth.hash_password("a long enough password").startswith("$argon2id$v=19$m=65536")


def test_weak_passwords_are_refused(web: WebEnv) -> None:
    browser = web.as_role("viewer")
    response = browser.post("/account/password", {
        "current": PASSWORD, "new": "short", "confirm": "short"})
    assert response.status_code == 422 and "at least 12 characters" in response.text


def test_every_response_has_security_headers(web: WebEnv) -> None:
    browser = web.as_role("hr_admin")
    for path in ("/", "/sign-in", "/no-such-page", "/api/openapi.json"):
        headers = browser.get(path).headers
        assert "script-src 'self'" in headers["content-security-policy"], path
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["x-frame-options"] == "DENY"
        assert headers["referrer-policy"] == "same-origin"
        assert headers["cache-control"] == "no-store"
    asset = browser.get("/assets/govuk-frontend.min.css")
    assert asset.status_code == 200 and "cache-control" not in asset.headers
    assert browser.get("/assets/fonts/bold-b542beb274-v2.woff2").status_code == 200
    # Only the built files are served from the package, not its sources.
    assert browser.get("/assets/index.scss").status_code == 404


def test_no_inline_script_or_style_so_the_csp_holds(web: WebEnv) -> None:
    page = web.as_role("hr_admin").get(f"/transfers/{web.ids['ld-to-nct']}").text
    assert "<script>" not in page and "style=" not in page and "<style" not in page


def test_sign_in_only_redirects_within_the_site(web: WebEnv) -> None:
    for target, expected in (("//evil.example/x", "/"), ("https://evil.example", "/"),
                             ("/transfers/1", "/transfers/1"), ("/\\evil.example", "/")):
        browser = web.browser()
        response = browser.post("/sign-in", {"username": "admin@example.org",
                                             "password": PASSWORD, "next": target},
                                token_from="/sign-in")
        assert response.headers["location"] == expected, target


def test_names_in_the_staff_list_are_escaped(web: WebEnv, tmp_path: Path) -> None:
    officer = web.as_role("hr_officer")
    ld = web.ids["ld-to-nct"]
    csv = ("employee_ref,full_name,role,fte,weekly_pay\n"
           'X1,"<script>alert(1)</script>",Officer,1,500\n')
    response = officer.client.post(
        f"/transfers/{ld}/employees/upload",
        data={"csrf_token": officer.token("/account"), "version": web.version("ld-to-nct")},
        files={"file": ("staff.csv", csv.encode(), "text/csv")})
    check = officer.follow(response).text  # the check page names them too
    assert "<script>alert(1)</script>" not in check
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in check
    action = check.split('<form method="post" action="')[-1].split('"')[0]
    assert officer.post(action, {"version": web.version("ld-to-nct")}).status_code == 303
    page = officer.get(f"/transfers/{ld}/employees").text
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_the_app_will_not_start_without_govuk_frontend(web: WebEnv, tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="npm ci"):
        create_app(web_settings(assets_dir=tmp_path / "missing"))


def test_csrf_module_covers_every_unsafe_method() -> None:
    assert {"POST", "PUT", "PATCH", "DELETE"} <= csrf.UNSAFE


def test_not_signed_in_says_nothing_of_whether_a_reference_exists(web: WebEnv) -> None:
    """The sign-in redirect is the same for a transfer's reference and for one that names
    nothing: where to go next is the path as typed, never the transfer's id."""
    assert "ld-to-nct" in web.ids
    answers = {}
    for ref in ("ld-to-nct", "no-such-ref"):
        for rest in ("", "/history?page=2"):
            path = f"/transfers/{ref}{rest}"
            response = web.browser().get(path)
            assert response.status_code == 303, path
            answers[path] = response.headers["location"]
            assert answers[path] == f"/sign-in?next={path}"
    assert not any(f"/transfers/{web.ids['ld-to-nct']}" in a or "/transfers/0" in a
                   for a in answers.values())
    # Signed in, the reference still leads to the transfer.
    assert web.as_role("hr_admin").get("/transfers/ld-to-nct").status_code == 200
