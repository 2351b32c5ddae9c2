"""Working-day arithmetic across the one-off bank holidays of 2022 and 2023."""

from datetime import date

from transfer_engine.dates.deadlines import Deadline
from transfer_engine.dates.working_days import (
    add_working_days,
    bank_holiday_name,
    is_working_day,
    last_working_day_on_or_before,
    working_days_between,
)


def test_state_funeral_19_september_2022_is_not_a_working_day() -> None:
    assert not is_working_day(date(2022, 9, 19))
    assert "Funeral" in (bank_holiday_name(date(2022, 9, 19)) or "")
    # Friday 16 September plus one working day skips the weekend and the bank holiday.
    assert add_working_days(date(2022, 9, 16), 1) == date(2022, 9, 20)
    assert add_working_days(date(2022, 9, 20), -1) == date(2022, 9, 16)
    assert last_working_day_on_or_before(date(2022, 9, 19)) == date(2022, 9, 16)


def test_coronation_8_may_2023_is_not_a_working_day() -> None:
    assert not is_working_day(date(2023, 5, 8))
    assert "Coronation" in (bank_holiday_name(date(2023, 5, 8)) or "")
    assert add_working_days(date(2023, 5, 5), 1) == date(2023, 5, 9)
    # The week of 1 May 2023 had two bank holidays: 1 May and 8 May.
    assert working_days_between(date(2023, 4, 28), date(2023, 5, 9)) == 5


def test_weekend_deadline_moves_back_to_friday_for_hr_but_stays_for_the_law() -> None:
    saturday = date(2023, 3, 4)
    assert last_working_day_on_or_before(saturday) == date(2023, 3, 3)
    assert last_working_day_on_or_before(date(2023, 3, 3)) == date(2023, 3, 3)


def test_working_day_deadlines_skip_bank_holidays() -> None:
    five_after = Deadline.parse("5 working days after decision")
    # 14 Sep 2022 + 5 working days: 15, 16, (19 holiday), 20, 21, 22.
    assert five_after.resolve(date(2022, 9, 14)) == date(2022, 9, 22)
    three_before = Deadline.parse("3 working days before transfer")
    # 10 May 2023 - 3 working days: 9, (8 holiday), 5, 4.
    assert three_before.resolve(date(2023, 5, 10)) == date(2023, 5, 4)


def test_month_arithmetic_clamps_to_the_end_of_the_month() -> None:
    assert Deadline.parse("1 month after transfer").resolve(date(2023, 1, 31)) == date(2023, 2, 28)
    # Reg 15(12): three months beginning with the transfer date end the day before.
    claims = Deadline.parse("3 months after transfer less 1 day")
    assert claims.resolve(date(2022, 11, 1)) == date(2023, 1, 31)
