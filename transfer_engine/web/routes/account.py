"""Your account: password, calendar subscription link and API tokens.

Secrets (a calendar link, an API token) are shown once, on the page that creates them, and
never again: only their hashes are kept.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import col, select

from transfer_engine.dates.clock import utcnow
from transfer_engine.errors import ValidationError
from transfer_engine.store.accounts import ApiToken, CalendarFeedToken, Role, User
from transfer_engine.store.database import read_session, write_session
from transfer_engine.store.queries import audit
from transfer_engine.web.auth import (
    Principal,
    authenticate,
    issue_api_token,
    issue_calendar_token,
    set_password,
)
from transfer_engine.web.deps import SignedIn, engine_of, flash, hr_staff, settings_of
from transfer_engine.web.errors import PageNotFound
from transfer_engine.web.rendering import render
from transfer_engine.web.security import account_hold, record_login

router = APIRouter()


def _context(request: Request, principal: Principal) -> dict[str, Any]:
    with read_session(engine_of(request)) as session:
        tokens = session.exec(select(ApiToken).where(ApiToken.user_id == principal.id)
                              .order_by(col(ApiToken.id).desc())).all()
        calendar = session.exec(select(CalendarFeedToken).where(
            CalendarFeedToken.user_id == principal.id,
            col(CalendarFeedToken.revoked_at).is_(None))).first()
    return {"tokens": tokens, "has_calendar": calendar is not None}


def _page(request: Request, principal: Principal, status_code: int = 200,
          headers: dict[str, str] | None = None, **extra: Any) -> Response:
    return render(request, "account.html", {**_context(request, principal), **extra},
                  status_code=status_code, headers=headers)


@router.get("/account")
def account(request: Request, principal: SignedIn) -> Response:
    return _page(request, principal)


@router.post("/account/password")
def change_password(request: Request, principal: SignedIn,
                    current: Annotated[str, Form()] = "", new: Annotated[str, Form()] = "",
                    confirm: Annotated[str, Form()] = "") -> Response:
    errors: dict[str, str] = {}
    settings = settings_of(request)
    ip = request.client.host if request.client else "unknown"
    with write_session(engine_of(request)) as session:
        # Someone at an unattended, signed-in computer must not get unlimited guesses at the
        # password: wrong current passwords count towards the account's sign-in limit.
        hold = account_hold(session, principal.username, settings)
        if hold is not None:
            audit(session, None, principal.actor, "password-change-throttled",
                  data={"user": principal.username, "ip": ip})
        elif authenticate(session, principal.username, current) is None:
            record_login(session, principal.username, ip, succeeded=False, settings=settings)
            audit(session, None, principal.actor, "password-check-failed",
                  data={"user": principal.username, "ip": ip})
            errors["current"] = "Enter your current password correctly"
        elif new != confirm:
            errors["confirm"] = "The new passwords do not match"
        else:
            user = session.get(User, principal.id)
            assert user is not None
            try:
                set_password(session, user, new, actor=principal.actor)
            except ValidationError as exc:
                errors["new"] = str(exc).capitalize()
    if hold is not None:
        return _page(request, principal, status_code=429, headers={
            "retry-after": str(hold.seconds)}, errors={"current": (
                f"Too many wrong passwords. Wait {hold.minutes} minute"
                f"{'s' if hold.minutes != 1 else ''} and try again, or ask an HR administrator "
                "to reset your password")})
    if errors:
        return _page(request, principal, status_code=422, errors=errors)
    # Every session was ended, this one included: sign in again with the new password.
    return RedirectResponse("/sign-in", status_code=303)


@router.post("/account/calendar")
def new_calendar_link(request: Request, principal: SignedIn) -> Response:
    hr_staff(request, principal)
    with write_session(engine_of(request)) as session:
        user = session.get(User, principal.id)
        assert user is not None
        token = issue_calendar_token(session, user, actor=principal.actor)
    url = str(request.base_url).rstrip("/") + f"/calendar/{token}.ics"
    return _page(request, principal, calendar_url=url)


@router.post("/account/tokens")
def new_token(request: Request, principal: SignedIn,
              name: Annotated[str, Form()] = "") -> Response:
    with write_session(engine_of(request)) as session:
        user = session.get(User, principal.id)
        assert user is not None
        try:
            token = issue_api_token(session, user, name, actor=principal.actor)
        except ValidationError as exc:
            token, error = None, str(exc).capitalize()
    if token is None:
        return _page(request, principal, status_code=422, errors={"name": error})
    return _page(request, principal, new_token=token)


@router.post("/account/tokens/{token_id}/revoke")
def revoke_token(request: Request, principal: SignedIn, token_id: int) -> Response:
    """Revoke an API token: one's own, or (for an administrator) anyone's.

    Anyone else's token answers 404, like a token that does not exist, so that trying ids
    reveals nothing; the attempt is in the audit log either way.
    """
    message = ""
    with write_session(engine_of(request)) as session:
        row = session.get(ApiToken, token_id)
        owner = session.get(User, row.user_id) if row is not None else None
        allowed = owner is not None and (owner.id == principal.id
                                         or principal.role == Role.hr_admin)
        if row is None or owner is None or not allowed:
            audit(session, None, principal.actor, "api-token-revoke-refused",
                  data={"token_id": token_id, "exists": row is not None})
        elif row.revoked_at is None:
            row.revoked_at = utcnow()
            session.add(row)
            audit(session, None, principal.actor, "api-token-revoked",
                  data={"user": owner.username, "name": row.name, "prefix": row.prefix})
            message = "The token was revoked; it no longer works."
        else:
            message = "The token had already been revoked; it does not work."
    if not allowed or owner is None:
        raise PageNotFound()
    flash(request, message)
    if owner.id != principal.id:
        return RedirectResponse(f"/admin/users/{owner.id}#api", status_code=303)
    return RedirectResponse("/account#api", status_code=303)
