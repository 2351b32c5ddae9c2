"""Deadline expressions: how a workflow says when a step is due.

A deadline is written the way HR and lawyers say it, relative to a named key date of the
transfer::

    on transfer
    28 days before transfer           (calendar days: reg 11(6))
    5 working days after decision     (England and Wales working days)
    6 weeks before transfer
    3 months after transfer less 1 day

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
      | (?P<count>\d+)\s+(?P<unit>calendar\s+days?|days?|working\s+days?|weeks?|months?)\s+
        (?P<direction>before|after)\s+(?P<key>[a-z][a-z0-9_]*)
    )(?:\s+less\s+(?P<less>\d+)\s+days?)?\s*$""",
    re.VERBOSE,
)


class DeadlineSyntaxError(ValueError):
    """A deadline expression does not follow the grammar in this module's docstring."""


@dataclass(frozen=True)
class Deadline:
    """``count`` ``unit`` before (negative) or after (positive) the key date ``key``."""

    key: str
    count: int = 0
    unit: Unit = "days"
    less_days: int = 0
    text: str = ""

    @classmethod
    def parse(cls, text: str) -> Deadline:
        match = _EXPRESSION.match(text)
        if not match:
            raise DeadlineSyntaxError(
                f"{text!r} is not a deadline; write e.g. 'on transfer', '28 days before transfer', "
                "'5 working days after decision', '6 weeks before transfer' or "
                "'3 months after transfer less 1 day'"
            )
        less = int(match["less"] or 0)
        if match["on"]:
            return cls(key=match["on"], less_days=less, text=text.strip())
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
        sign = -1 if match["direction"] == "before" else 1
        return cls(key=match["key"], count=sign * count, unit=unit, less_days=less,
                   text=text.strip())

    def resolve(self, key_date: date) -> date:
        """The statutory due date counted from ``key_date``."""
        if self.unit == "days":
            due = key_date + timedelta(days=self.count)
        elif self.unit == "weeks":
            due = key_date + timedelta(weeks=self.count)
        elif self.unit == "months":
            due = add_months(key_date, self.count)
        else:
            due = add_working_days(key_date, self.count)
        return due - timedelta(days=self.less_days)


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later, or the month's last day when it is shorter."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))
