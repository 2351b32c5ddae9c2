"""Settings of the web app, on top of the engine's own (database, workflows, templates).

Everything has a working default for the single-machine setup (one process on 127.0.0.1 with
the embedded SQLite database), and is read from the environment when deployed.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from transfer_engine.config import SHIPPED_GOVUK, Settings, get_settings
from transfer_engine.errors import ConfigurationError
from transfer_engine.letters.issue_jobs import BACKGROUND_ABOVE


def _flag(name: str, default: bool) -> bool:
    value = os.environ.get(name, "").strip().lower()
    if not value:
        return default
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ConfigurationError(f"{name}={value!r} must be yes or no")


def _threads() -> int:
    value = os.environ.get("TRANSFER_ENGINE_WEB_THREADS", "").strip() or "4"
    if not (value.isascii() and value.isdigit()) or int(value) < 1:
        raise ConfigurationError(f"TRANSFER_ENGINE_WEB_THREADS={value!r} must be a whole "
                                 "number of threads, 1 or more")
    return int(value)


def _as_of() -> date | None:
    value = os.environ.get("TRANSFER_ENGINE_AS_OF", "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ConfigurationError(
            f"TRANSFER_ENGINE_AS_OF={value!r} is not a date; write YYYY-MM-DD") from None


_PROXIES = "TRANSFER_ENGINE_TRUSTED_PROXIES"


def _trusted_proxies() -> tuple[str, ...]:
    """TRANSFER_ENGINE_TRUSTED_PROXIES: the reverse proxies (addresses or networks, comma-
    separated) whose ``X-Forwarded-For`` says who the client is."""
    value = os.environ.get(_PROXIES, "")
    return tuple(part.strip() for part in value.split(",") if part.strip())


def _check_proxies(entries: tuple[str, ...]) -> None:
    """Refuse anything but addresses and networks. The server would take a mistyped entry for
    a host name that no proxy ever has, and trust none, without a word; and ``*`` would let
    any client claim any address."""
    if isinstance(entries, str):
        raise ConfigurationError(f"{_PROXIES}: give a list of addresses, not one string")
    for entry in entries:
        try:
            ipaddress.ip_network(entry)
        except ValueError:
            try:
                network = ipaddress.ip_network(entry, strict=False)
            except ValueError:
                raise ConfigurationError(
                    f"{_PROXIES}: {entry!r} is not an IP address or network. List the "
                    "addresses of your reverse proxies, comma-separated, e.g. "
                    "10.0.0.5,10.0.1.0/24 (not *: anyone could then claim any address)"
                ) from None
            raise ConfigurationError(
                f"{_PROXIES}: {entry!r} is not a network: its address has bits set beyond "
                f"the /{network.prefixlen}; write the network as {network}") from None


@dataclass(frozen=True)
class WebSettings:
    """What the web app needs beyond :class:`transfer_engine.config.Settings`."""

    engine: Settings = field(default_factory=get_settings)
    # Keys the CSRF tokens. Without TRANSFER_ENGINE_SECRET_KEY each process makes its own, so a
    # form left open across a restart is refused once with "the form expired, try again".
    secret_key: str = field(
        default_factory=lambda: os.environ.get("TRANSFER_ENGINE_SECRET_KEY")
        or secrets.token_urlsafe(32),
        repr=False,
    )
    # Secure cookies need HTTPS; the embedded default serves plain HTTP on 127.0.0.1.
    secure_cookies: bool = field(
        default_factory=lambda: _flag("TRANSFER_ENGINE_SECURE_COOKIES", False))
    assets_dir: Path = field(
        default_factory=lambda: Path(os.environ.get("TRANSFER_ENGINE_ASSETS")
                                     or SHIPPED_GOVUK))
    # Judge deadlines as if today were this date (demos and training); None means today.
    as_of: date | None = field(default_factory=_as_of)
    session_idle: timedelta = timedelta(hours=1)
    session_absolute: timedelta = timedelta(hours=10)
    # Sign-in attempts: failures allowed per account, and per address, within the window.
    login_window: timedelta = timedelta(minutes=15)
    login_max_failures_per_user: int = 5
    login_max_failures_per_ip: int = 30
    # A username that signed in from an address this recently is spared that address's brake.
    login_known_address: timedelta = timedelta(days=30)
    # Run the deadline scheduler in the same process (the single-machine default).
    run_scheduler: bool = field(
        default_factory=lambda: _flag("TRANSFER_ENGINE_WEB_SCHEDULER", True))
    # Threads a web process serves pages with. Few, on purpose: the pages are short pieces of
    # Python work, and forty threads (the default of the server) queue on Python's one
    # interpreter lock so badly that twenty clients wait twice as long (bench/web_bench.py).
    # Run more processes (serve --workers) to use more cores.
    threads: int = field(default_factory=_threads)
    # A letter to more recipients than this is issued in the background, with a progress page
    # (letters/issue_jobs.py), rather than inside the request.
    background_above: int = BACKGROUND_ABOVE
    service_name: str = "Manage staff transfers"
    # Changes waiting on their check page (an uploaded staff list, a new key date), kept
    # between the check and the confirmation. Personal data: readable by this service only;
    # every process serving the app must see the same folder (as with the letters folder).
    uploads_dir: Path = field(
        default_factory=lambda: Path(os.environ.get("TRANSFER_ENGINE_UPLOADS_DIR")
                                     or "uploads"))
    # /metrics answers a request with `Authorization: Bearer <this>` from anywhere; without it
    # set, only a request from this machine (not relayed by a proxy).
    metrics_token: str | None = field(
        default_factory=lambda: os.environ.get("TRANSFER_ENGINE_METRICS_TOKEN") or None,
        repr=False)
    # Behind a reverse proxy every request comes from the proxy's address: the sign-in brake
    # per address would then hold everyone back for one person's wrong passwords, and the
    # audit would record the proxy. Requests from these addresses (none by default) are taken
    # to be from the client their X-Forwarded-For names; from anywhere else it is ignored,
    # since a client can write any header it likes.
    trusted_proxies: tuple[str, ...] = field(default_factory=_trusted_proxies)
    # Whether /readyz checks the scheduler's heartbeat; unset: when it runs in this process.
    expect_scheduler: bool | None = field(
        default_factory=lambda: _flag("TRANSFER_ENGINE_EXPECT_SCHEDULER", False)
        if os.environ.get("TRANSFER_ENGINE_EXPECT_SCHEDULER", "").strip() else None)

    def __post_init__(self) -> None:
        _check_proxies(self.trusted_proxies)

    def scheduler_expected(self) -> bool:
        return self.run_scheduler if self.expect_scheduler is None else self.expect_scheduler

    def heartbeat_max_age(self) -> timedelta:
        """How old the last finished sweep may be before /readyz says the scheduler is stuck:
        three sweep intervals (a sweep may be skipped while a long one runs), at least 10
        minutes."""
        return timedelta(seconds=max(3 * self.engine.sweep_interval, 600))

    def today(self) -> date:
        """The date deadlines are judged against."""
        return self.as_of or date.today()

    def check_assets(self) -> None:
        """Refuse to start without GOV.UK Frontend, saying how to get it."""
        if not (self.assets_dir / "govuk-frontend.min.css").is_file():
            raise ConfigurationError(
                f"GOV.UK Frontend is not installed (looked in {self.assets_dir}). Run `npm ci` "
                "in the project folder (it reads package-lock.json), or set "
                "TRANSFER_ENGINE_ASSETS to a copy of govuk-frontend's dist/govuk folder.")
