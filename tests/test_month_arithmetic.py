"""Months by the corresponding-date rule (Dodds v Walker [1981] 1 WLR 1441, HL).

"Within three months beginning with" a date ends the day before the same-numbered day three
months on; where that month has no such day, on the last day of that month. The rule is stated
again here by walking the calendar a day at a time (no month lengths, no clamping), and every
day from 2020 to 2030 is checked against it.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.conftest import Cli
from transfer_engine.dates.deadlines import Deadline, DeadlineSyntaxError
from transfer_engine.workflow.loader import library

FIRST, LAST = date(2020, 1, 1), date(2030, 12, 31)


def _every_day() -> list[date]:
    return [FIRST + timedelta(days=n) for n in range((LAST - FIRST).days + 1)]


def last_day_of_period(start: date, months: int) -> date:
    """The last day of ``months`` months beginning with ``start``, found by walking forward.

    Walk a day at a time, counting the month boundaries crossed. In the month reached after
    ``months`` crossings, the day numbered like ``start`` is the corresponding date: the period
    ends the day before it. If the walk leaves that month without meeting such a day, the month
    had none, and the period ends on the month's last day, the day the walk stood on.
    """
    day, crossed = start, 0
    while True:
        following = day + timedelta(days=1)
        if following.month != day.month:
            crossed += 1
            if crossed > months:
                return day
        if crossed == months and following.day == start.day:
            return day
        day = following


def test_the_calendar_walk_states_the_rule_of_the_cases() -> None:
    # The statement used as the oracle below agrees with the cases the rule is known by.
    assert last_day_of_period(date(1981, 9, 30), 4) == date(1982, 1, 29)  # Dodds v Walker
    assert last_day_of_period(date(2022, 10, 31), 3) == date(2023, 1, 30)


DAYS = _every_day()


@pytest.mark.parametrize("text", ["3 months beginning with transfer",
                                  "within 3 months beginning with transfer",
                                  "3 months after transfer less 1 day"])
def test_every_claims_window_from_2020_to_2030_follows_the_corresponding_date_rule(
        text: str) -> None:
    deadline = Deadline.parse(text)
    wrong = [(day, deadline.resolve(day), last_day_of_period(day, 3)) for day in DAYS
             if deadline.resolve(day) != last_day_of_period(day, 3)]
    assert len(DAYS) == 4018
    assert wrong == []


@pytest.mark.parametrize("months", [1, 2, 6, 12])
def test_other_periods_in_months_follow_the_rule_too(months: int) -> None:
    deadline = Deadline.parse(f"{months} months beginning with decision")
    wrong = [day for day in DAYS if deadline.resolve(day) != last_day_of_period(day, months)]
    assert wrong == []


def test_the_shipped_claims_window_follows_the_rule_for_every_transfer_date() -> None:
    # The step as the workflow files define it, for every transfer date, and every workflow
    # that keeps the step.
    checked = 0
    for definition in library().all():
        step = definition.steps.get("claims_window")
        if step is None:
            continue
        for day in DAYS:
            rule = step.rule_for(day)
            assert rule is not None
            assert rule.due.resolve(day) == last_day_of_period(day, 3), (definition.id, day)
            checked += 1
    assert checked >= 4 * len(DAYS)  # tupe-base and the workflows that extend it


@pytest.mark.parametrize(("transfer", "last_day"), [
    (date(2022, 10, 31), date(2023, 1, 30)),   # 31 Jan exists: the day before it
    (date(2023, 11, 30), date(2024, 2, 29)),   # no 30 Feb 2024: the end of February
    (date(2023, 11, 29), date(2024, 2, 28)),   # 29 Feb 2024 exists: the day before it
    (date(2022, 11, 30), date(2023, 2, 28)),   # no 30 Feb 2023
    (date(2022, 8, 31), date(2022, 11, 30)),   # no 31 Nov: the end of November
    (date(2022, 5, 31), date(2022, 8, 30)),    # 31 Aug exists
    (date(2022, 12, 1), date(2023, 2, 28)),    # 1 Mar: the day before is the month's end
    (date(2022, 11, 1), date(2023, 1, 31)),    # ld-to-nct
    (date(2023, 4, 1), date(2023, 6, 30)),     # send-iass-to-wnc
])
def test_named_claims_windows(transfer: date, last_day: date) -> None:
    assert Deadline.parse("3 months beginning with transfer").resolve(transfer) == last_day
    assert Deadline.parse("3 months after transfer less 1 day").resolve(transfer) == last_day


def test_months_after_without_less_is_the_corresponding_date_or_the_months_end() -> None:
    one_month = Deadline.parse("1 month after transfer")
    assert one_month.resolve(date(2023, 1, 31)) == date(2023, 2, 28)
    assert one_month.resolve(date(2022, 11, 1)) == date(2022, 12, 1)
    assert Deadline.parse("3 months before transfer").resolve(date(2023, 5, 31)) == date(
        2023, 2, 28)


def test_periods_in_days_and_weeks_beginning_with_a_date_include_that_date() -> None:
    assert Deadline.parse("28 days beginning with transfer").resolve(date(2022, 11, 1)) == date(
        2022, 11, 28)
    assert Deadline.parse("1 week beginning with decision").resolve(date(2022, 9, 7)) == date(
        2022, 9, 13)


def test_a_period_of_nothing_is_refused_with_the_way_to_write_it() -> None:
    with pytest.raises(DeadlineSyntaxError, match="write 'on KEY'"):
        Deadline.parse("0 months beginning with transfer")
    with pytest.raises(DeadlineSyntaxError, match="3 months beginning with transfer"):
        Deadline.parse("three months from transfer")


def test_a_transfer_on_30_november_2023_shows_its_claims_window_ending_29_february(
        database, cli: Cli) -> None:
    cli("organisations", "add", "council", "--name", "A Council", "--kind", "council")
    cli("organisations", "add", "contractor", "--name", "Contractor Ltd", "--kind", "company")
    cli("create", "leap-year", "--title", "Cleaning contract out", "--from", "council", "--to",
        "contractor", "--transfer-date", "2023-11-30", "--regime-reason",
        "outsourcing of a service, reg 3(1)(b)(ii)")
    window = {row["step"]: row for row in cli.json("timeline", "leap-year")}["claims_window"]
    assert window["due_date"] == "2024-02-29"
    assert "reg 15(12)" in window["legal_basis"]


def test_the_longest_deadlines_from_the_outermost_key_dates_are_real_dates() -> None:
    for text in ("1200 months after transfer less 366 days", "1200 months before transfer",
                 "5200 weeks after transfer", "36600 working days before transfer",
                 "36600 days after transfer less 366 days"):
        for key_date in (date(1990, 1, 1), date(2199, 12, 31)):
            Deadline.parse(text).resolve(key_date)  # raises if the date does not exist
    with pytest.raises(DeadlineSyntaxError, match="at most 1200 months"):
        Deadline.parse("1201 months beginning with transfer")
    with pytest.raises(DeadlineSyntaxError, match="at most 36600 working days"):
        Deadline.parse("36601 working days after decision")


def test_a_transfer_date_no_transfer_could_have_is_refused_with_a_message(
        database, cli: Cli) -> None:
    cli("organisations", "add", "council", "--name", "A Council", "--kind", "council")
    cli("organisations", "add", "contractor", "--name", "Contractor Ltd", "--kind", "company")
    create = ("create", "far-off", "--title", "Cleaning contract out", "--from", "council",
              "--to", "contractor", "--regime-reason", "outsourcing of a service, reg 3(1)(b)(ii)")
    code, _, err = cli(*create, "--transfer-date", "9999-12-20", ok=False)
    assert code != 0 and "Traceback" not in err
    assert "9999-12-20 is not a plausible date for a transfer" in " ".join(err.split())
    cli(*create, "--transfer-date", "2023-11-30")
    code, _, err = cli("reschedule", "far-off", "transfer", "9999-12-20", "--reason",
                       "the contract was extended", ok=False)
    assert code != 0 and "Traceback" not in err
    assert "between 1990-01-01 and 2199-12-31" in " ".join(err.split())
    assert cli.json("status", "far-off")["key_dates"]["transfer"] == "2023-11-30"
