"""Settings, read once from the environment.

Every setting has a working default so that a newcomer can run the engine with no configuration:
an SQLite file in the working directory and the workflow definitions shipped with the project.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import time
from pathlib import Path

from transfer_engine.errors import ConfigurationError

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = PACKAGE_DIR.parent
# An installed wheel carries the workflows, letter templates and GOV.UK Frontend files in
# transfer_engine/shipped/ (see pyproject.toml); a checkout uses them where they are kept.
SHIPPED = PACKAGE_DIR / "shipped"


def shipped(in_wheel: str, in_checkout: Path) -> Path:
    """Where a file or folder that ships with the engine is, installed or in a checkout."""
    packaged = SHIPPED / in_wheel
    return packaged if packaged.exists() else PROJECT_ROOT / in_checkout


SHIPPED_WORKFLOWS = shipped("workflows", Path("workflows"))
SHIPPED_LETTERS = shipped("letters", Path("templates") / "letters")
SHIPPED_GOVUK = shipped("govuk", Path("node_modules") / "govuk-frontend" / "dist" / "govuk")

DEFAULT_DATABASE_URL = "sqlite:///transfer_engine.db"


def _path(name: str, default: Path) -> Path:
    value = os.environ.get(name)
    return Path(value) if value else default


def _text(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name, "").strip()
    return value or default


def _int(name: str, default: int, *, minimum: int = 0) -> int:
    value = _text(name)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        number = minimum - 1
    if number < minimum:
        raise ConfigurationError(f"{name}={value!r} must be a whole number of at least {minimum}")
    return number


def _float(name: str, default: float) -> float:
    value = _text(name)
    if value is None:
        return default
    try:
        number = float(value)
    except ValueError:
        number = -1.0
    if number <= 0:
        raise ConfigurationError(f"{name}={value!r} must be a positive number of seconds")
    return number


def _bool(name: str, default: bool) -> bool:
    value = _text(name)
    if value is None:
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ConfigurationError(f"{name}={value!r} must be yes or no")


def _choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    value = (_text(name) or default).lower()
    if value not in choices:
        raise ConfigurationError(f"{name}={value!r} must be one of {', '.join(choices)}")
    return value


def _time_of_day(name: str, default: str) -> time:
    value = _text(name, default) or default
    try:
        return time.fromisoformat(value)
    except ValueError:
        raise ConfigurationError(
            f"{name}={value!r} is not a time of day; write HH:MM, e.g. 09:00") from None


@dataclass(frozen=True)
class Settings:
    """What the engine needs to know about where it runs."""

    database_url: str = field(
        default_factory=lambda: os.environ.get("TRANSFER_ENGINE_DATABASE_URL", DEFAULT_DATABASE_URL)
    )
    # How long a command waits for a database another process is writing to (SQLite's write
    # lock), or for a connection to the server and for a transfer another session holds
    # (PostgreSQL: lock_timeout), before it gives up and says so.
    db_timeout: float = field(
        default_factory=lambda: _float("TRANSFER_ENGINE_DB_TIMEOUT", 30.0))
    # The workflows that ship with the engine, and an organisation's own beside them: a file
    # there adds a workflow, or replaces the shipped one with the same id.
    workflows_dir: Path = SHIPPED_WORKFLOWS
    own_workflows_dir: Path | None = field(
        default_factory=lambda: Path(v) if (v := _text("TRANSFER_ENGINE_WORKFLOWS")) else None)
    templates_dir: Path = field(
        default_factory=lambda: _path("TRANSFER_ENGINE_TEMPLATES", SHIPPED_LETTERS))
    timezone: str = field(
        default_factory=lambda: os.environ.get("TRANSFER_ENGINE_TIMEZONE", "Europe/London")
    )

    # Issued letters (see transfer_engine.letters.register): every rendered file, kept as
    # evidence of exactly what was sent. Paths in the register are relative to this folder.
    letters_dir: Path = field(
        default_factory=lambda: _path("TRANSFER_ENGINE_LETTERS_DIR", Path("letters")))
    # An organisation's own versions of letter templates or their parts (letterhead,
    # signature): files here, or in a sub-folder named after the organisation's slug, take
    # precedence over templates_dir without editing the package.
    letter_overrides_dir: Path | None = field(
        default_factory=lambda: Path(v) if (v := _text("TRANSFER_ENGINE_LETTER_OVERRIDES"))
        else None)

    # Deadline scheduler and mail (see transfer_engine.ops.scheduler and outbox.delivery).
    # "files" writes each message as an .eml file in outbox_dir: nothing to configure.
    mail_backend: str = field(
        default_factory=lambda: _choice("TRANSFER_ENGINE_MAIL", "files", ("files", "smtp")))
    outbox_dir: Path = field(
        default_factory=lambda: _path("TRANSFER_ENGINE_OUTBOX", Path("outbox")))
    mail_from: str = field(
        default_factory=lambda: _text("TRANSFER_ENGINE_MAIL_FROM", "transfer-engine@localhost")
        or "transfer-engine@localhost")
    smtp_host: str = field(
        default_factory=lambda: _text("TRANSFER_ENGINE_SMTP_HOST", "localhost") or "localhost")
    smtp_port: int = field(
        default_factory=lambda: _int("TRANSFER_ENGINE_SMTP_PORT", 25, minimum=1))
    smtp_starttls: bool = field(
        default_factory=lambda: _bool("TRANSFER_ENGINE_SMTP_STARTTLS", False))
    smtp_user: str | None = field(default_factory=lambda: _text("TRANSFER_ENGINE_SMTP_USER"))
    smtp_password: str | None = field(
        default_factory=lambda: _text("TRANSFER_ENGINE_SMTP_PASSWORD"), repr=False)
    # A private CA bundle for relays whose certificate the system does not trust.
    smtp_ca_file: Path | None = field(
        default_factory=lambda: Path(v) if (v := _text("TRANSFER_ENGINE_SMTP_CA_FILE")) else None)
    smtp_timeout: float = field(
        default_factory=lambda: _float("TRANSFER_ENGINE_SMTP_TIMEOUT", 30.0))
    # A message that failed is retried after retry_seconds, doubling each time, at most
    # max_attempts times in all; then it is a permanent failure, listed for HR.
    mail_max_attempts: int = field(
        default_factory=lambda: _int("TRANSFER_ENGINE_MAIL_MAX_ATTEMPTS", 8, minimum=1))
    mail_retry_seconds: int = field(
        default_factory=lambda: _int("TRANSFER_ENGINE_MAIL_RETRY_SECONDS", 60, minimum=1))
    sweep_interval: int = field(
        default_factory=lambda: _int("TRANSFER_ENGINE_SWEEP_INTERVAL", 300, minimum=1))
    # Reminders, escalations and notices planned for a day go out from this local time on.
    send_time: time = field(
        default_factory=lambda: _time_of_day("TRANSFER_ENGINE_SEND_TIME", "09:00"))
    # How far back a sweep makes up what was missed while the scheduler was not running.
    catch_up_days: int = field(
        default_factory=lambda: _int("TRANSFER_ENGINE_CATCH_UP_DAYS", 30, minimum=0))
    digest_days: int = field(
        default_factory=lambda: _int("TRANSFER_ENGINE_DIGEST_DAYS", 14, minimum=1))


    @property
    def workflow_folders(self) -> tuple[Path, ...]:
        """The folders workflows are read from, the organisation's own last (it wins)."""
        own = self.own_workflows_dir
        return (self.workflows_dir,) if own is None else (self.workflows_dir, own)


def get_settings() -> Settings:
    """Read the settings now (tests change the environment between runs)."""
    return Settings()
