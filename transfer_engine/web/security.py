"""Response security headers, and the brake on password guessing.

Headers: a Content-Security-Policy that allows nothing but this service's own files (no inline
script or style anywhere, so injected markup cannot run), no framing (clickjacking), no MIME
sniffing, no referrer to other sites, and ``no-store`` on every page: pages show personal data
and must not stay in a shared computer's cache after signing out.

Sign-in rate limiting lives in the database, so it holds across restarts and across processes:
after ``login_max_failures_per_user`` failed attempts on one account within ``login_window``
(counted since its last successful sign-in), that account cannot sign in until the window has
passed; one address may fail ``login_max_failures_per_ip`` times in the window, whatever the
accounts it tries.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func
from sqlmodel import Session, select
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from transfer_engine.dates.clock import utcnow
from transfer_engine.store.accounts import LoginAttempt
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
                extra = dict(HEADERS)
                if self.hsts:
                    extra["strict-transport-security"] = "max-age=31536000; includeSubDomains"
                if not path.startswith(CACHEABLE):
                    extra["cache-control"] = "no-store"
                for name, value in extra.items():
                    if name.encode() not in present:
                        headers.append((name.encode(), value.encode()))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def login_wait(session: Session, username: str, ip: str, settings: WebSettings) -> int | None:
    """Seconds before this account (or address) may try again, or None if it may now."""
    now = utcnow()
    since = now - settings.login_window
    last_success = session.exec(
        select(func.max(LoginAttempt.at))
        .where(LoginAttempt.username == username, LoginAttempt.succeeded.is_(True))
    ).one()
    user_since = max(since, _utc(last_success)) if last_success else since
    waits = []
    for column, value, start, limit in (
        (LoginAttempt.username, username, user_since, settings.login_max_failures_per_user),
        (LoginAttempt.ip, ip, since, settings.login_max_failures_per_ip),
    ):
        failures = session.exec(
            select(LoginAttempt.at).where(column == value, LoginAttempt.succeeded.is_(False),
                                          LoginAttempt.at > start)
            .order_by(LoginAttempt.at.desc()).limit(limit)
        ).all()
        if len(failures) >= limit:
            # Free again when the oldest of the last `limit` failures leaves the window.
            oldest = _utc(failures[-1])
            waits.append(int((oldest + settings.login_window - now).total_seconds()) + 1)
    return max(waits) if waits else None


def record_login(session: Session, username: str, ip: str, *, succeeded: bool) -> None:
    session.add(LoginAttempt(username=username, ip=ip, succeeded=succeeded))
    # Attempts older than a day no longer matter to any limit.
    session.execute(delete(LoginAttempt).where(LoginAttempt.at < utcnow() - timedelta(days=1)))
