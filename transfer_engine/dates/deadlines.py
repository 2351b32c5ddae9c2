"""Deadline expressions: how a workflow says when a step is due.

A deadline is written the way HR and lawyers say it, relative to a named key date of the
transfer::

    on transfer
    28 days before transfer           (calendar days: reg 11(6))
    5 working days after decision     (England and Wales working days)
    6 weeks before transfer
    3 months beginning with transfer  (the last day of a period that starts on the key date)
    3 months after transfer less 1 day
    3 months beginning with transfer plus 1 day   (the first day after that period)

Months follow the corresponding-date rule (Dodds v Walker [1981] 1 WLR 1441, HL): N months
after a date is the day with the same number N months on; where that month has no such day (31
August + 3 months), the period's end is that month's last day (30 November). So a period of
"3 months beginning with" 31 October ends on 30 January (the day before the corresponding date,
31 January), and one beginning with 30 November 2023 ends on 29 February 2024: it is never
"clamp to the month's end, then take a day off" (which would give 28 February).
"N months after X less 1 day" is the same period written the older way, and means the same.
"plus N days" counts on from the day the rest gives, whatever the month: the day after a period
beginning with 30 November 2023 is 1 March 2024 (the first day something can be said of the
period as closed, such as the claims window of reg 15(12)).

A statutory date that falls on a weekend or bank holiday does not move; the engine also shows the
last working day on or before it (see :mod:`transfer_engine.dates.working_days`).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from transfer_engine.dates.working_days import add_working_days

Unit = Literal["days", "working days", "weeks", "months"]

_EXPRESSION = re.compile(
    r"""^\s*(?:
        on\s+(?P<on>[a-z][a-z0-9_]*)
      | (?:within\s+)?(?P<period>\d+)\s+(?P<period_unit>(?:calendar\s+)?days?|weeks?|months?)\s+
        beginning\s+with\s+(?P<start>[a-z][a-z0-9_]*)
      | (?P<count>\d+)\s+(?P<unit>calendar\s+days?|days?|working\s+days?|weeks?|months?)\s+
        (?P<direction>before|after)\s+(?P<key>[a-z][a-z0-9_]*)
    )(?:\s+less\s+(?P<less>\d+)\s+days?)?(?:\s+plus\s+(?P<plus>\d+)\s+days?)?\s*$""",
    re.VERBOSE,
)


class DeadlineSyntaxError(ValueError):
    """A deadline expression does not follow the grammar in this module's docstring."""


# The longest count of each unit a deadline may name: about a century, far beyond any period in
# a transfer, and small enough that every due date it gives is a real date.
MAX_COUNT: dict[str, int] = {"months": 1200, "weeks": 5200, "days": 36600, "working days": 36600}
MAX_LESS_DAYS = 366


def _check_size(text: str, count: int, unit: Unit, less: int, plus: int = 0) -> None:
    if plus > MAX_LESS_DAYS:
        raise DeadlineSyntaxError(
            f"{text.strip()!r}: 'plus {plus} days' is too many; at most {MAX_LESS_DAYS} days may "
            "be added")
    if count > MAX_COUNT[unit]:
        raise DeadlineSyntaxError(
            f"{text.strip()!r}: {count} {unit} is too long; a deadline may count at most "
            f"{MAX_COUNT[unit]} {unit} from its key date")
    if less > MAX_LESS_DAYS:
        raise DeadlineSyntaxError(
            f"{text.strip()!r}: 'less {less} days' is too many; at most {MAX_LESS_DAYS} days may "
            "be taken off")


@dataclass(frozen=True)
class Deadline:
    """``count`` ``unit`` before (negative) or after (positive) the key date ``key``."""

    key: str
    count: int = 0
    unit: Unit = "days"
    less_days: int = 0
    text: str = ""
    plus_days: int = 0   # added to the day the rest gives (see the module)

    @classmethod
    def parse(cls, text: str) -> Deadline:
        match = _EXPRESSION.match(text)
        if not match:
            raise DeadlineSyntaxError(
                f"{text!r} is not a deadline; write e.g. 'on transfer', '28 days before transfer', "
                "'5 working days after decision', '6 weeks before transfer' or "
                "'3 months beginning with transfer'"
            )
        less, plus = int(match["less"] or 0), int(match["plus"] or 0)
        if match["period"]:
            # "N months beginning with X" ends the day before the corresponding date: the same
            # period as "N months after X less 1 day" (more days off still count back from it).
            if int(match["period"]) == 0:
                raise DeadlineSyntaxError(
                    f"{text!r}: a period beginning with a key date lasts at least 1 day, week or "
                    "month; for the key date itself write 'on KEY'")
            word = match["period_unit"]
            period_unit: Unit = ("months" if word.startswith("month") else
                                 "weeks" if word.startswith("week") else "days")
            _check_size(text, int(match["period"]), period_unit, less, plus)
            return cls(key=match["start"], count=int(match["period"]), unit=period_unit,
                       less_days=less + 1, text=text.strip(), plus_days=plus)
        if match["on"]:
            _check_size(text, 0, "days", less, plus)
            return cls(key=match["on"], less_days=less, text=text.strip(), plus_days=plus)
        unit_word = match["unit"].split()
        unit: Unit
        if unit_word[0] == "working":
            unit = "working days"
        elif unit_word[0].startswith("week"):
            unit = "weeks"
        elif unit_word[0].startswith("month"):
            unit = "months"
        else:
            unit = "days"
        count = int(match["count"])
        _check_size(text, count, unit, less, plus)
        sign = -1 if match["direction"] == "before" else 1
        return cls(key=match["key"], count=sign * count, unit=unit, less_days=less,
                   text=text.strip(), plus_days=plus)

    def resolve(self, key_date: date) -> date:
        """The statutory due date counted from ``key_date``."""
        return self._resolved(key_date) + timedelta(days=self.plus_days)

    def _resolved(self, key_date: date) -> date:
        if self.unit == "months":
            return months_less_days(key_date, self.count, self.less_days)
        if self.unit == "days":
            due = key_date + timedelta(days=self.count)
        elif self.unit == "weeks":
            due = key_date + timedelta(weeks=self.count)
        else:
            due = add_working_days(key_date, self.count)
        return due - timedelta(days=self.less_days)


def _month_after(day: date, months: int) -> tuple[int, int]:
    index = day.month - 1 + months
    return day.year + index // 12, index % 12 + 1


def add_months(day: date, months: int) -> date:
    """The corresponding date ``months`` on (or back), or that month's last day when the month
    has no day with the same number (31 August + 3 months is 30 November)."""
    year, month = _month_after(day, months)
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def months_less_days(day: date, months: int, less_days: int) -> date:
    """``months`` after ``day`` less ``less_days`` days, by the corresponding-date rule.

    Days are taken off the corresponding date. Where the month has no corresponding date, the
    period runs to the end of that month: the days are taken off the day after its last day, so
    "less 1 day" ends on the last day of the month (Dodds v Walker). Clamping to the last day
    first and then taking the day off would end such a period a day early.
    """
    if less_days == 0:
        return add_months(day, months)
    year, month = _month_after(day, months)
    month_length = calendar.monthrange(year, month)[1]
    if day.day <= month_length:
        corresponding = date(year, month, day.day)
    else:  # no such day in that month: the period ends with the month
        corresponding = date(year, month, month_length) + timedelta(days=1)
    return corresponding - timedelta(days=less_days)
