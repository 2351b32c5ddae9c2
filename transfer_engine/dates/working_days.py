"""Working days in England and Wales.

A statutory deadline that falls on a weekend or bank holiday does not move, but HR needs the
last working day on or before it. Bank holidays come from the ``holidays`` package, which
includes one-off days such as the State Funeral of Queen Elizabeth II (19 September 2022) and
the Coronation of King Charles III (8 May 2023). England and Wales share one list.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import holidays


@lru_cache(maxsize=64)
def _bank_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=year))


def bank_holiday_name(day: date) -> str | None:
    """The bank holiday on ``day`` in England and Wales, if any."""
    if day not in _bank_holidays(day.year):
        return None
    return holidays.country_holidays("GB", subdiv="ENG", years=day.year).get(day)


def is_working_day(day: date) -> bool:
    """Monday to Friday and not a bank holiday in England and Wales."""
    return day.weekday() < 5 and day not in _bank_holidays(day.year)


def last_working_day_on_or_before(day: date) -> date:
    """The day itself if it is a working day, otherwise the nearest working day before it."""
    while not is_working_day(day):
        day -= timedelta(days=1)
    return day


def next_working_day_on_or_after(day: date) -> date:
    """The day itself if it is a working day, otherwise the nearest working day after it."""
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


def add_working_days(day: date, count: int) -> date:
    """Move ``count`` working days from ``day`` (backwards when negative).

    ``day`` itself is not counted: one working day after Friday 16 September 2022 is Tuesday 20
    September, because Monday 19 September was a bank holiday.
    """
    step = 1 if count >= 0 else -1
    remaining = abs(count)
    while remaining:
        day += timedelta(days=step)
        if is_working_day(day):
            remaining -= 1
    return day


def working_days_between(start: date, end: date) -> int:
    """Working days after ``start`` up to and including ``end`` (negative if end is earlier)."""
    if end < start:
        return -working_days_between(end, start)
    return sum(
        1 for offset in range(1, (end - start).days + 1)
        if is_working_day(start + timedelta(days=offset))
    )
