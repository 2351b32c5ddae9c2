"""Signing in and out, and the pages anyone may read (accessibility statement, privacy)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from transfer_engine.store.accounts import Role
from transfer_engine.store.database import write_session
from transfer_engine.store.queries import audit
from transfer_engine.web import cookies
from transfer_engine.web.auth import authenticate, end_session, normalise_username, start_session
from transfer_engine.web.deps import engine_of, principal_or_none, session_token, settings_of
from transfer_engine.web.rendering import render
from transfer_engine.web.security import Hold, record_login, sign_in_hold

router = APIRouter()


def _safe_next(target: str | None) -> str | None:
    """Only a path on this site: an open redirect would help phishing."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else None


def _held_message(hold: Hold) -> str:
    wait = f"Wait {hold.minutes} minute{'s' if hold.minutes != 1 else ''} and try again"
    if hold.scope == "address":
        # Says nothing about the account: the brake is on where the attempts come from.
        return (f"Too many failed attempts to sign in have come from your network. {wait}; "
                "if it goes on, tell your IT service desk.")
    return (f"Too many failed attempts to sign in. {wait}, or ask an HR administrator to "
            "reset your password.")


def _home(role: Role) -> str:
    return "/portal" if role == Role.union_rep else "/"


@router.get("/sign-in")
def sign_in_page(request: Request, next: str | None = None) -> Response:
    principal = principal_or_none(request)
    if principal is not None:
        return RedirectResponse(_safe_next(next) or _home(principal.role), status_code=303)
    return render(request, "sign_in.html", {"next": _safe_next(next) or ""})


@router.post("/sign-in")
def sign_in(request: Request, username: Annotated[str, Form()] = "",
            password: Annotated[str, Form()] = "",
            next: Annotated[str, Form()] = "") -> Response:
    settings = settings_of(request)
    name = normalise_username(username)[:80]
    ip = request.client.host if request.client else "unknown"
    errors: dict[str, str] = {}
    if not name:
        errors["username"] = "Enter your username"
    if not password:
        errors["password"] = "Enter your password"
    context = {"next": _safe_next(next) or "", "values": {"username": username}}
    if errors:
        return render(request, "sign_in.html", {**context, "errors": errors}, status_code=400)
    with write_session(engine_of(request)) as session:
        hold = sign_in_hold(session, name, ip, settings)
        if hold is not None:
            audit(session, None, f"web:{name}", "sign-in-throttled",
                  data={"ip": ip, "limit": hold.scope})
            return render(request, "sign_in.html", {**context, "errors": {
                "username": _held_message(hold)}},
                status_code=429, headers={"retry-after": str(hold.seconds)})
        user = authenticate(session, name, password)
        record_login(session, name, ip, succeeded=user is not None, settings=settings)
        if user is None:
            audit(session, None, f"web:{name}", "sign-in-failed", data={"ip": ip})
        else:
            token = start_session(session, user, absolute=settings.session_absolute)
            audit(session, None, f"web:{user.username}", "signed-in", data={"ip": ip})
            role = user.role
    if user is None:
        # The same words whether the username or the password was wrong.
        return render(request, "sign_in.html", {**context, "errors": {
            "username": "Enter a correct username and password"}}, status_code=401)
    response = RedirectResponse(_safe_next(next) or _home(role), status_code=303)
    cookies.set_cookie(response, cookies.session_cookie(settings), token, settings,
                       max_age=int(settings.session_absolute.total_seconds()))
    cookies.clear_cookie(response, cookies.anon_cookie(settings), settings)
    return response


@router.post("/sign-out")
def sign_out(request: Request) -> Response:
    settings = settings_of(request)
    token = session_token(request)
    principal = principal_or_none(request)
    if token:
        with write_session(engine_of(request)) as session:
            end_session(session, token)
            if principal is not None:
                audit(session, None, principal.actor, "signed-out")
    response = RedirectResponse("/signed-out", status_code=303)
    cookies.clear_cookie(response, cookies.session_cookie(settings), settings)
    return response


@router.get("/signed-out")
def signed_out(request: Request) -> Response:
    return render(request, "signed_out.html")


@router.get("/accessibility")
def accessibility(request: Request) -> Response:
    return render(request, "accessibility.html")


@router.get("/privacy")
def privacy(request: Request) -> Response:
    return render(request, "privacy.html")
