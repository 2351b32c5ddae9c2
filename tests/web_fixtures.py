"""Helpers for the web app tests: the demo with one user per role, and a signed-in client.

Import the fixtures into a test module with ``from tests.web_fixtures import ...`` (names used
as pytest fixtures must be imported into the module that uses them).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlalchemy.engine import Engine
from sqlmodel import select

from tests.conftest import load_once
from transfer_engine.ops.demo import load_demo
from transfer_engine.store.database import write_session
from transfer_engine.store.queries import get_organisation, get_transfer
from transfer_engine.store.transfers import Transfer
from transfer_engine.web import WebSettings, auth, create_app
from transfer_engine.web.auth import assign, create_user, issue_api_token, link_union

PASSWORD = "correct horse battery staple"
# The demo's clock: the L&D transfer was decided on 7 September 2022 and is under way.
AS_OF = date(2022, 9, 20)

# username: (display name, role, what it is assigned to or linked with)
USERS: dict[str, tuple[str, str, list[str]]] = {
    "admin@example.org": ("Sample Admin", "hr_admin", []),
    "officer@example.org": ("Sample Officer", "hr_officer", ["ld-to-nct"]),
    "other@example.org": ("Sample Other Officer", "hr_officer", ["send-iass-to-wnc"]),
    "viewer@example.org": ("Sample Viewer", "viewer", []),
    "rep@example.org": ("Sample UNISON Rep", "union_rep", ["UNISON@nnc"]),
    "gmb@example.org": ("Sample GMB Rep", "union_rep", ["GMB@nnc"]),
}
ROLE_USER = {"hr_admin": "admin@example.org", "hr_officer": "officer@example.org",
             "viewer": "viewer@example.org", "union_rep": "rep@example.org"}
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def make_users(engine: Engine) -> dict[str, str]:
    """The users of :data:`USERS`; returns an API token for each."""
    tokens = {}
    with write_session(engine) as session:
        for username, (name, role, links) in USERS.items():
            user = create_user(session, username=username, display_name=name, role=role,
                               password=PASSWORD, actor="test")
            for link in links:
                if "@" in link:
                    union, org = link.split("@")
                    link_union(session, user, union, get_organisation(session, org),
                               actor="test")
                else:
                    assign(session, user, get_transfer(session, link), actor="test")
            tokens[username] = issue_api_token(session, user, "tests", actor="test")
    return tokens


class Browser:
    """A TestClient that keeps its cookies and knows how to fill in forms."""

    def __init__(self, app: FastAPI, **client: Any) -> None:
        """``client``: more for the TestClient, e.g. the address requests come from."""
        self.client = TestClient(app, follow_redirects=False, **client)

    def get(self, path: str, **kwargs: Any) -> Response:
        return self.client.get(path, **kwargs)

    def token(self, path: str = "/sign-in") -> str:
        page = self.client.get(path, follow_redirects=True)
        found = CSRF.search(page.text)
        assert found, f"no CSRF token on {path}"
        return found.group(1)

    def post(self, path: str, data: dict[str, Any] | None = None, *, csrf: bool = True,
             token_from: str = "/account", **kwargs: Any) -> Response:
        form = dict(data or {})
        if csrf:
            form["csrf_token"] = self.token(token_from)
        return self.client.post(path, data=form, **kwargs)

    def follow(self, response: Response) -> Response:
        """The page a form's POST redirected to (post/redirect/get): what the person sees."""
        assert response.status_code == 303, (response.status_code, response.text[:500])
        return self.client.get(response.headers["location"])

    def sign_in(self, username: str, password: str = PASSWORD) -> Response:
        return self.post("/sign-in", {"username": username, "password": password},
                         token_from="/sign-in")


@dataclass
class WebEnv:
    app: FastAPI
    engine: Engine
    tokens: dict[str, str]
    ids: dict[str, int] = field(default_factory=dict)

    def browser(self, username: str | None = None) -> Browser:
        browser = Browser(self.app)
        if username:
            response = browser.sign_in(username)
            assert response.status_code == 303, response.text
        return browser

    def as_role(self, role: str) -> Browser:
        return self.browser(ROLE_USER[role])

    def api(self, username: str | None) -> TestClient:
        headers = {"authorization": f"Bearer {self.tokens[username]}"} if username else {}
        return TestClient(self.app, headers=headers, follow_redirects=False)

    def version(self, ref: str) -> int:
        with write_session(self.engine) as session:
            return get_transfer(session, ref).version


def web_settings(**overrides: Any) -> WebSettings:
    values: dict[str, Any] = {"as_of": AS_OF, "secret_key": "test-secret-key",
                              "run_scheduler": False}
    values.update(overrides)
    return WebSettings(**values)


# argon2id still, but with test-sized memory and time: the suite signs in hundreds of times.
# The production parameters are pinned by test_web_security.py.
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


def _demo_and_users(engine: Engine) -> dict[str, str]:
    """The demo and a user of every role (returns their API tokens); the passwords are hashed
    with :data:`FAST_HASHER`, which the ``web`` fixture sets before calling this."""
    load_demo(engine)
    return make_users(engine)


@pytest.fixture
def web(database: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[WebEnv]:
    """The web app on the demo database, with a user of every role."""
    monkeypatch.setattr(auth, "_hasher", FAST_HASHER)
    tokens = load_once(database, "web", _demo_and_users)
    app = create_app(web_settings())
    with write_session(database) as session:
        ids = {t.ref: t.id for t in session.exec(select(Transfer)).all()}
    yield WebEnv(app, database, tokens, ids)  # type: ignore[arg-type]
