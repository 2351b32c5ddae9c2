"""Rendering pages: one Jinja environment, and what every page is given.

Every page gets the signed-in person, a CSRF token for its forms, the date deadlines are judged
against, the service navigation and any one-off message. Autoescaping is on for every template,
so names from a staff list cannot inject markup.
"""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from fastapi.templating import Jinja2Templates
from starlette.requests import Request
from starlette.responses import HTMLResponse

from transfer_engine.engine import limits
from transfer_engine.store.accounts import Role
from transfer_engine.views.parties import owed_by_words
from transfer_engine.views.times import time_text
from transfer_engine.views.vocabulary import (
    DUE_SOON_DAYS,
    DUE_SOON_WORDS,
    regime_words,
    step_status,
)
from transfer_engine.web import cookies, csrf
from transfer_engine.web.addresses import transfer_path
from transfer_engine.web.auth import Principal
from transfer_engine.web.deps import principal_or_none, settings_of, take_flash

TEMPLATES = Path(__file__).resolve().parent / "templates"
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")


def long_date(value: date | datetime | None) -> str:
    """``1 November 2022``: GOV.UK style, whatever the server's locale."""
    if value is None:
        return ""
    return f"{value.day} {_MONTHS[value.month - 1]} {value.year}"


def short_date(value: date | None) -> str:
    if value is None:
        return ""
    return f"{value.day} {_MONTHS[value.month - 1][:3]} {value.year}"


def date_time(value: datetime | None) -> str:
    """``7 Sep 2022, 3:05pm BST``: stored in UTC, shown in UK time with its zone (see
    :mod:`transfer_engine.views.times`)."""
    return time_text(value)


def money(value: Decimal | int | float | str | None, pence: bool | None = None) -> str:
    """``£3,000`` for round sums, ``£571.05`` otherwise; ``pence=True`` always shows pence
    (so that a column of pay lines up)."""
    if value is None or value == "":
        return ""
    amount = Decimal(str(value))
    if pence is None:
        pence = amount != amount.to_integral()
    return f"£{amount:,.2f}" if pence else f"£{amount:,.0f}"


def days_text(days: int | None) -> str:
    if days is None:
        return ""
    if days == 0:
        return "today"
    if days < 0:
        return f"{-days} day{'s' if days != -1 else ''} ago"
    return f"in {days} day{'s' if days != 1 else ''}"


templates = Jinja2Templates(directory=str(TEMPLATES))
templates.env.filters.update(long_date=long_date, short_date=short_date, date_time=date_time,
                             money=money, days_text=days_text)
# The engine's input limits, so that a form's hint says what the engine will check.
templates.env.globals["limits"] = limits
# A transfer's address by its reference (/transfers/ld-to-nct; see web.addresses).
templates.env.globals["transfer_path"] = transfer_path
# Who owes a step, in words (the timeline and the transfer page).
templates.env.globals["owed_by_words"] = owed_by_words
# One vocabulary for where a step stands, on every page (transfer_engine.views.vocabulary).
templates.env.globals["regime_words"] = regime_words
templates.env.globals.update(step_status_of=step_status, due_soon_days=DUE_SOON_DAYS,
                             due_soon_words=DUE_SOON_WORDS)


@dataclass(frozen=True)
class NavItem:
    text: str
    href: str
    current: bool


def navigation(request: Request, principal: Principal | None) -> list[NavItem]:
    """The service navigation for this person's role."""
    if principal is None:
        return []
    if principal.role == Role.union_rep:
        items = [("Notices", "/portal"), ("Your account", "/account")]
    else:
        items = [("Transfers", "/"), ("Your account", "/account")]
        if principal.role == Role.hr_admin:
            items.insert(1, ("Users", "/admin/users"))
            items.insert(2, ("Audit log", "/admin/audit"))
            items.insert(3, ("Workflows", "/admin/workflows"))
    path = request.url.path
    current = max((href for _, href in items if path == href or
                   (href != "/" and path.startswith(href + "/"))), key=len, default=None)
    if current is None and path.startswith("/transfers"):
        current = "/"
    return [NavItem(text, href, href == current) for text, href in items]


def render(request: Request, template: str, context: Mapping[str, Any] | None = None, *,
           status_code: int = 200, headers: Mapping[str, str] | None = None) -> HTMLResponse:
    settings = settings_of(request)
    principal = principal_or_none(request)
    values: dict[str, Any] = {
        "principal": principal,
        "csrf_token": csrf.token_for(request),
        "service_name": settings.service_name,
        "today": settings.today(),
        "as_of": settings.as_of,
        "navigation": navigation(request, principal),
        "flash": take_flash(request) if principal else None,
        "errors": {},
        "values": {},
    }
    values.update(context or {})
    response = templates.TemplateResponse(request, template, values, status_code=status_code,
                                          headers=dict(headers or {}))
    anon = getattr(request.state, "new_anon", None)
    if anon:
        cookies.set_cookie(response, cookies.anon_cookie(settings), anon, settings)
    return response


# ---------------------------------------------------------------------------------------------
# Pages many requests see the same


class PageCache:
    """Rendered pages of one app, most recently used kept (see :func:`render_cached`)."""

    def __init__(self, kept: int = 256) -> None:
        self.kept = kept
        self.pages: OrderedDict[tuple[Any, ...], str] = OrderedDict()
        self.building: dict[tuple[Any, ...], threading.Lock] = {}
        self.lock = threading.Lock()

    def get(self, key: tuple[Any, ...]) -> str | threading.Lock:
        """The page, or the lock to hold while rendering it."""
        with self.lock:
            html = self.pages.get(key)
            if html is not None:
                self.pages.move_to_end(key)
                return html
            return self.building.setdefault(key, threading.Lock())

    def peek(self, key: tuple[Any, ...]) -> str | None:
        with self.lock:
            return self.pages.get(key)

    def put(self, key: tuple[Any, ...], html: str) -> None:
        with self.lock:
            self.pages[key] = html
            while len(self.pages) > self.kept:
                self.pages.popitem(last=False)

    def built(self, key: tuple[Any, ...]) -> None:
        with self.lock:
            self.building.pop(key, None)


def render_cached(request: Request, template: str, key: tuple[Any, ...],
                  context: Callable[[], Mapping[str, Any]]) -> HTMLResponse:
    """:func:`render`, reusing the HTML of an earlier request that would show the same page.

    ``key`` must change whenever anything the page shows from the database does (the callers
    use the audit log's change counter and the day deadlines are judged against); the request's
    own parts are added here: who is signed in, and the address. The form token differs from
    one browser session to the next, so the page is kept with a placeholder in its place and
    each response gets its own. ``context`` is only called when the page has to be rendered. A
    page carrying a one-off message is rendered afresh and not kept.

    Twenty officers refreshing a transfer between two changes then cost one render each, not
    one per refresh; the next change makes the next request render again.
    """
    principal = principal_or_none(request)
    if principal is None or getattr(request.state, "flash", None):
        return render(request, template, context())
    token = csrf.token_for(request)
    if getattr(request.state, "new_anon", None):  # a cookie to set: not a plain repeat
        return render(request, template, context())
    settings = settings_of(request)
    cache: PageCache = request.app.state.page_cache
    full_key = (template, key, principal, request.url.path, request.url.query,
                settings.today(), settings.as_of)
    found = cache.get(full_key)
    if isinstance(found, str):
        html = found
    else:
        # One request renders; the others asking for the same page meanwhile wait for it
        # rather than all rendering it at once (twenty at nine o'clock would take twenty
        # times as long, each).
        with found:
            html = cache.peek(full_key) or ""
            if not html:
                try:
                    response = render(request, template,
                                      {**context(), "csrf_token": _TOKEN_PLACEHOLDER})
                    html = bytes(response.body).decode("utf-8")
                    cache.put(full_key, html)
                finally:
                    cache.built(full_key)
    return HTMLResponse(html.replace(_TOKEN_PLACEHOLDER, token))


# Random per process, so that no page content can contain it by chance or design.
_TOKEN_PLACEHOLDER = f"csrf-{secrets.token_hex(16)}"
