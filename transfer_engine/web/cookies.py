"""The app's two cookies, and how they are set.

Both are HttpOnly (page scripts never need them) and SameSite=Lax (not sent on cross-site form
posts; sent when someone follows a link to the app from an email). Over HTTPS they are Secure
and take the ``__Host-`` prefix, which pins them to this host and path ``/``.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from transfer_engine.web.settings import WebSettings


def _name(base: str, settings: WebSettings) -> str:
    return f"__Host-{base}" if settings.secure_cookies else base


def session_cookie(settings: WebSettings) -> str:
    """Holds the session token of a signed-in browser."""
    return _name("te_session", settings)


def anon_cookie(settings: WebSettings) -> str:
    """Holds a random value that CSRF tokens of signed-out forms (sign in) are bound to."""
    return _name("te_anon", settings)


def read(request: Request, name: str) -> str | None:
    value = request.cookies.get(name)
    return value if value and len(value) <= 200 else None


def set_cookie(response: Response, name: str, value: str, settings: WebSettings, *,
               max_age: int | None = None) -> None:
    response.set_cookie(name, value, max_age=max_age, path="/", httponly=True, samesite="lax",
                        secure=settings.secure_cookies)


def clear_cookie(response: Response, name: str, settings: WebSettings) -> None:
    response.delete_cookie(name, path="/", httponly=True, samesite="lax",
                           secure=settings.secure_cookies)
