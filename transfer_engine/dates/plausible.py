"""How long before the transfer a date given for it can be: the test for a mistyped year.

People give the day things happened: a step done or overridden, a decision minuted, an
employee's objection. A year typed wrong (2002 for 2022, or a form's 1900) would make a late
step look on time, and put a false date in the record a tribunal reads. The law sets no first
day for these, so the limit is one of plausibility: :data:`YEARS_BEFORE_TRANSFER` years before
the transfer date. That covers the longest run-up a public-sector transfer has (a procurement,
then the governance decision, then informing and consulting, which are months, not years); a
date earlier still is almost certainly the wrong year, and the message says to check it.
"""

from __future__ import annotations

from datetime import date

from transfer_engine.errors import FieldProblem

__all__ = ["YEARS_BEFORE_TRANSFER", "earliest_plausible", "implausibly_early"]

YEARS_BEFORE_TRANSFER = 3


def earliest_plausible(transfer_date: date) -> date:
    """The first day a date given for the transfer may be (29 February: the 28th)."""
    year = transfer_date.year - YEARS_BEFORE_TRANSFER
    try:
        return transfer_date.replace(year=year)
    except ValueError:  # 29 February, and that year is not a leap year
        return transfer_date.replace(year=year, day=28)


def implausibly_early(field: str, label: str, day: date | None,
                      transfer_date: date | None) -> FieldProblem | None:
    """The problem with ``day`` if it is before :func:`earliest_plausible`, else None."""
    if day is None or transfer_date is None:
        return None
    first = earliest_plausible(transfer_date)
    if day >= first:
        return None
    because = f"{YEARS_BEFORE_TRANSFER} years before the transfer date: check the year"
    return FieldProblem(field, f"must be on or after {first.isoformat()}, {because}", label,
                        "implausible", earliest=first, earliest_because=because)
