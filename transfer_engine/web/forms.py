"""Reading form fields the GOV.UK way: dates as three boxes, messages that say what to fix."""

from __future__ import annotations

from datetime import date


def date_values(value: date | None) -> dict[str, str]:
    """The three boxes of a date input, filled in from ``value``."""
    if value is None:
        return {"day": "", "month": "", "year": ""}
    return {"day": str(value.day), "month": str(value.month), "year": str(value.year)}


def whole_number(text: str | None, *, max_digits: int = 9) -> int | None:
    """``text`` as a whole number, or None when it is not one written in at most ``max_digits``
    ASCII digits. ``str.isdigit`` also accepts "²" and other digits ``int`` refuses, and a
    number without a limit may not fit the database (nine digits fit any integer column)."""
    if text is None:
        return None
    text = text.strip()
    if not text or len(text) > max_digits or not (text.isascii() and text.isdigit()):
        return None
    return int(text)


def parse_date_fields(day: str, month: str, year: str, what: str) -> tuple[date | None, str | None]:
    """A date from day, month and year boxes; or the GOV.UK-style message saying what is wrong.

    All three empty is no date (and no error): callers decide whether the date is required.
    """
    parts = {"day": day.strip(), "month": month.strip(), "year": year.strip()}
    if not any(parts.values()):
        return None, None
    missing = [name for name, value in parts.items() if not value]
    if missing:
        return None, f"{what.capitalize()} must include a {' and '.join(missing)}"
    if any(whole_number(value) is None for value in parts.values()):
        return None, f"{what.capitalize()} must be a real date, like 27 3 2023"
    if len(parts["year"]) != 4:
        return None, "Year must include 4 numbers"
    try:
        return date(int(parts["year"]), int(parts["month"]), int(parts["day"])), None
    except (ValueError, OverflowError):  # no such day, or a number too large to be one
        return None, f"{what.capitalize()} must be a real date, like 27 3 2023"
