"""Reading form fields the GOV.UK way: dates as three boxes, messages that say what to fix."""

from __future__ import annotations

from datetime import date


def date_values(value: date | None) -> dict[str, str]:
    """The three boxes of a date input, filled in from ``value``."""
    if value is None:
        return {"day": "", "month": "", "year": ""}
    return {"day": str(value.day), "month": str(value.month), "year": str(value.year)}


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
    if not all(value.isdigit() for value in parts.values()):
        return None, f"{what.capitalize()} must be a real date, like 27 3 2023"
    if len(parts["year"]) != 4:
        return None, "Year must include 4 numbers"
    try:
        return date(int(parts["year"]), int(parts["month"]), int(parts["day"])), None
    except ValueError:
        return None, f"{what.capitalize()} must be a real date, like 27 3 2023"
