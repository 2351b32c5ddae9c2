"""Cross-site request forgery protection for every form.

A form carries ``csrf_token``: an HMAC, under the app's secret key, of the value in the
browser's session cookie (or, before signing in, of a random value in a cookie of its own).
Another site can make a browser post to the app, cookies and all, but cannot read the page to
learn the token, and cannot compute it without the secret key. Tokens are bound to the session,
so a token from one person's page is no use against another's, and signing in (a new session)
retires the old ones.

:func:`protect` is a dependency of every page router, so a new form route is covered without
anyone remembering to add it; the JSON API uses bearer tokens, which browsers never send on
their own, and needs no CSRF token.
"""

from __future__ import annotations

import hashlib
import hmac

from starlette.requests import Request

from transfer_engine.web import cookies
from transfer_engine.web.auth import new_secret
from transfer_engine.web.settings import WebSettings

FIELD = "csrf_token"
HEADER = "x-csrf-token"
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class CsrfError(Exception):
    """A state-changing request came without a valid token (forged, or a stale form)."""


def _settings(request: Request) -> WebSettings:
    return request.app.state.settings


def _binding(request: Request) -> str | None:
    settings = _settings(request)
    return (cookies.read(request, cookies.session_cookie(settings))
            or getattr(request.state, "new_anon", None)
            or cookies.read(request, cookies.anon_cookie(settings)))


def _sign(secret: str, binding: str) -> str:
    return hmac.new(secret.encode(), f"csrf|{binding}".encode(), hashlib.sha256).hexdigest()


def token_for(request: Request) -> str:
    """The token to put in this page's forms (makes the signed-out cookie if needed)."""
    binding = _binding(request)
    if binding is None:
        binding = new_secret()
        # Set on the response by render() (see transfer_engine.web.rendering).
        request.state.new_anon = binding
    return _sign(_settings(request).secret_key, binding)


def valid(request: Request, submitted: str | None) -> bool:
    binding = _binding(request)
    if not submitted or binding is None:
        return False
    return hmac.compare_digest(submitted, _sign(_settings(request).secret_key, binding))


async def protect(request: Request) -> None:
    """Dependency: refuse an unsafe request whose form (or header) lacks a valid token."""
    if request.method not in UNSAFE:
        return
    submitted = request.headers.get(HEADER)
    if submitted is None:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
            value = form.get(FIELD)
            submitted = value if isinstance(value, str) else None
    if not valid(request, submitted):
        raise CsrfError("The form could not be accepted: it has expired or did not come from "
                        "this service. Go back, reload the page and try again.")
