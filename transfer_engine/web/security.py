"""Response security headers, and the brake on password guessing.

Headers: a Content-Security-Policy that allows nothing but this service's own files (no inline
script or style anywhere, so injected markup cannot run), no framing (clickjacking), no MIME
sniffing, no referrer to other sites, and ``no-store`` on every page: pages show personal data
and must not stay in a shared computer's cache after signing out.

Sign-in limits live in the database, so they hold across restarts and across processes. Two
brakes, each aimed at one kind of attack, and neither letting one address lock everyone out:

* **Per account** (someone guessing one person's password, from anywhere): after
  ``login_max_failures_per_user`` wrong passwords for one username within ``login_window``,
  from any address, that username cannot sign in until the oldest of them leaves the window.
  Failures count from the account's last successful sign-in or password change, so an
  administrator's reset lifts the lock at once. Wrong current passwords on the change-password
  form count too. Names with no account are counted the same way, so that the answers do not
  reveal which usernames exist; locking a name nobody has harms nobody.
* **Per address** (someone trying many usernames from one address): after
  ``login_max_failures_per_ip`` failures from one address within the window, that address is
  refused, but only for usernames that have not signed in successfully from it within
  ``login_known_address``. Staff behind one council proxy share an address, so a guesser there
  cannot lock out colleagues who sign in from it every day; anyone else from that address
  waits, and the per-account brake still holds for everyone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from sqlalchemy import delete, func
from sqlmodel import Session, col, select
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from transfer_engine.dates.clock import utcnow
from transfer_engine.store.accounts import LoginAttempt, User
from transfer_engine.web.settings import WebSettings

CSP = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self'",
    "font-src 'self'",
    "connect-src 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "object-src 'none'",
])

HEADERS = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=(), payment=()",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
}

# Static files may be cached; everything else is (or may be) personal.
CACHEABLE = ("/assets/", "/static/")


def headers_for(path: str, *, hsts: bool) -> dict[str, str]:
    """The security headers of a response to ``path``."""
    extra = dict(HEADERS)
    if hsts:
        extra["strict-transport-security"] = "max-age=31536000; includeSubDomains"
    if not path.startswith(CACHEABLE):
        extra["cache-control"] = "no-store"
    return extra


class SecurityHeaders:
    """ASGI middleware adding :data:`HEADERS` (and HSTS over HTTPS) to every response."""

    def __init__(self, app: ASGIApp, *, hsts: bool) -> None:
        self.app = app
        self.hsts = hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                for name, value in headers_for(path, hsts=self.hsts).items():
                    if name.encode() not in present:
                        headers.append((name.encode(), value.encode()))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Hold:
    """Sign-in refused for now: how long to wait, and which brake holds it."""

    seconds: int
    scope: Literal["account", "address"]

    @property
    def minutes(self) -> int:
        return max(1, round(self.seconds / 60))


def _release(failures: list[datetime], limit: int, now: datetime,
             settings: WebSettings) -> int | None:
    """Seconds until the oldest of the last ``limit`` failures leaves the window, if held."""
    if len(failures) < limit:
        return None
    return int((_utc(failures[-1]) + settings.login_window - now).total_seconds()) + 1


def account_hold(session: Session, username: str, settings: WebSettings) -> Hold | None:
    """The per-account brake: too many wrong passwords for ``username`` lately."""
    now = utcnow()
    starts = [now - settings.login_window]
    last_success = session.exec(
        select(func.max(LoginAttempt.at))
        .where(LoginAttempt.username == username, col(LoginAttempt.succeeded).is_(True))).one()
    changed = session.exec(select(User.password_changed_at)
                           .where(User.username == username)).first()
    starts += [_utc(moment) for moment in (last_success, changed) if moment is not None]
    limit = settings.login_max_failures_per_user
    failures = session.exec(
        select(LoginAttempt.at).where(LoginAttempt.username == username,
                                      col(LoginAttempt.succeeded).is_(False),
                                      LoginAttempt.at > max(starts))
        .order_by(col(LoginAttempt.at).desc()).limit(limit)).all()
    wait = _release(list(failures), limit, now, settings)
    return Hold(wait, "account") if wait is not None else None


def address_hold(session: Session, username: str, ip: str,
                 settings: WebSettings) -> Hold | None:
    """The per-address brake, which spares usernames already known at this address."""
    now = utcnow()
    known = session.exec(
        select(LoginAttempt.id).where(LoginAttempt.username == username, LoginAttempt.ip == ip,
                                      col(LoginAttempt.succeeded).is_(True),
                                      LoginAttempt.at > now - settings.login_known_address)
        .limit(1)).first()
    if known is not None:
        return None
    limit = settings.login_max_failures_per_ip
    failures = session.exec(
        select(LoginAttempt.at).where(LoginAttempt.ip == ip,
                                      col(LoginAttempt.succeeded).is_(False),
                                      LoginAttempt.at > now - settings.login_window)
        .order_by(col(LoginAttempt.at).desc()).limit(limit)).all()
    wait = _release(list(failures), limit, now, settings)
    return Hold(wait, "address") if wait is not None else None


def sign_in_hold(session: Session, username: str, ip: str,
                 settings: WebSettings) -> Hold | None:
    """Whether a sign-in as ``username`` from ``ip`` must wait, and for how long."""
    holds = [hold for hold in (account_hold(session, username, settings),
                               address_hold(session, username, ip, settings)) if hold]
    return max(holds, key=lambda hold: hold.seconds) if holds else None


def record_login(session: Session, username: str, ip: str, *, succeeded: bool,
                 settings: WebSettings) -> None:
    """Remember a password check (a sign-in, or the current password when changing it)."""
    session.add(LoginAttempt(username=username, ip=ip, succeeded=succeeded))
    # Failures older than a day no longer matter to any limit; successes are kept as long as
    # they make an address known for their username.
    now = utcnow()
    session.execute(delete(LoginAttempt).where(
        col(LoginAttempt.at) < now - max(settings.login_window, timedelta(days=1)),
        col(LoginAttempt.succeeded).is_(False)))
    session.execute(delete(LoginAttempt).where(
        col(LoginAttempt.at) < now - settings.login_known_address,
        col(LoginAttempt.succeeded).is_(True)))
