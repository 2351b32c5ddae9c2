"""The clock the database keeps: timestamps are stored in UTC, timezone-aware."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

#: The day people in England and Wales say something happened on is a UK day.
_LONDON = ZoneInfo("Europe/London")


def utcnow() -> datetime:
    """Now, in UTC, timezone-aware."""
    return datetime.now(UTC)


def uk_date(moment: datetime) -> date:
    """The UK day of a stored moment (a naive value is UTC, as SQLite gives it back): an entry
    at 00:30 BST on 1 April was made on 1 April, not on 31 March."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(_LONDON).date()
