"""Times as people in England and Wales read them: UK time, saying whether it is GMT or BST.

The database keeps every moment in UTC. A page that showed UTC beside a UK working day would be
an hour out for half the year (an entry at 00:30 BST on 1 April shows as 31 March), so every
time shown is converted to Europe/London, with the zone's abbreviation so nobody has to guess.
Date ranges people type (a day in the history's filter) are UK days, turned back into UTC
bounds to query with.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

__all__ = ["LONDON", "day_bounds", "london", "time_text"]

LONDON = ZoneInfo("Europe/London")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def london(moment: datetime) -> datetime:
    """``moment`` in UK time. A naive value is UTC (SQLite gives back what was written as
    UTC without its zone)."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(LONDON)


def time_text(moment: datetime | None) -> str:
    """``7 Sep 2022, 3:05pm BST`` (GOV.UK style: "midday" and "midnight" rather than 12pm and
    12am, which people misread); ``""`` for no time."""
    if moment is None:
        return ""
    local = london(moment)
    if (local.hour, local.minute) == (12, 0):
        clock = "midday"
    elif (local.hour, local.minute) == (0, 0):
        clock = "midnight"
    else:
        suffix = "am" if local.hour < 12 else "pm"
        clock = f"{local.hour % 12 or 12}:{local.minute:02d}{suffix}"
    return f"{local.day} {_MONTHS[local.month - 1]} {local.year}, {clock} {local.tzname()}"


def day_bounds(first: date | None, last: date | None) -> tuple[datetime | None, datetime | None]:
    """The UTC moments from the start of UK day ``first`` up to (not including) the start of
    the UK day after ``last``; ``None`` for an open end."""
    start = (datetime.combine(first, time(), LONDON).astimezone(UTC) if first else None)
    end = (datetime.combine(last + timedelta(days=1), time(), LONDON).astimezone(UTC)
           if last else None)
    return start, end
