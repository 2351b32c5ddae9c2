"""Days missed, clocks put back, weekend deadlines, the send time, and the query windows."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from tests.scheduler_fixtures import SchedEnv, cli, cli_json, read_eml
from transfer_engine.config import get_settings
from transfer_engine.notices.planner import (
    escalation_day,
    escalation_range,
    reminder_days,
    reminder_ranges,
)
from transfer_engine.ops.scheduler import SweepClock


def _decided(report: dict) -> set[tuple[str, str | None, str, bool]]:
    return {(n["kind"], n["step"], n["planned_for"], n["late"]) for n in report["decided"]
            if n["transfer"] in ("ld-to-nct", None)}


def test_days_missed_are_caught_up_on_restart_and_marked_late(
        sched_env: SchedEnv) -> None:
    cli("demo", "--as-of", "2022-09-07")
    cli("scheduler", "--once", "--as-of", "2022-09-07")
    # The scheduler is down from 8 to 20 September; it comes back on Wednesday 21st.
    report = cli_json("scheduler", "--once", "--as-of", "2022-09-21")
    assert any("catching up 13 day(s) missed" in w for w in report["warnings"])
    assert _decided(report) == {
        # The latest reminder only: notify_employees' 14-day reminder (13th) is superseded by
        # its 7-day one (20th).
        ("reminder", "notify_employees", "2022-09-20", True),
        ("reminder", "eli", "2022-09-20", True),
        # Every step left open past its deadline is escalated, late where its day was missed.
        ("escalation", "decision", "2022-09-08", True),
        ("escalation", "advise_unions", "2022-09-15", True),
        # The transferee's measures are due 14 Sep, before the reg 13 letter that gives them
        # (ld-to-nct.yaml; they were due 22 Sep, after it, and were reminded here instead).
        ("escalation", "measures", "2022-09-15", True),
        ("escalation", "inform_representatives", "2022-09-21", False),
        # Only today's digest: the missed ones are superseded.
        ("digest", None, "2022-09-21", False),
    }
    late = [d for d in report["deliveries"] if d["late"]]
    assert len(late) == 5 and all(d["status"] == "sent" for d in report["deliveries"])
    message = read_eml(next(d["where"] for d in late if "liability" in d["subject"]))
    assert message["X-Transfer-Engine-Late"] == "planned for 2022-09-20"
    assert "sent late: the scheduler was not running then" in " ".join(
        message.get_content().split())


def test_a_clock_put_back_decides_nothing_new_and_does_not_crash(
        sched_env: SchedEnv) -> None:
    cli("demo", "--as-of", "2022-09-20")
    cli("scheduler", "--once", "--as-of", "2022-09-21")
    before = len(cli_json("outbox"))
    code, out, _ = cli("scheduler", "--once", "--as-of", "2022-09-16")
    assert code == 0 and "clock moved backwards" in " ".join(out.split())
    back = cli_json("scheduler", "--once", "--as-of", "2022-09-20")
    assert back["decided"] == [] and len(cli_json("outbox")) == before
    assert any("clock moved backwards" in w for w in back["warnings"])
    # Once the clock is past the last day swept again, sweeping carries on as normal.
    # (The first reminder after the 21st: notify_employees, due Tuesday 27th, the day before.
    # The measures' reminder on the 22nd it once used went when they became due on the 14th.)
    onward = cli_json("scheduler", "--once", "--as-of", "2022-09-26")
    assert ("reminder", "notify_employees", "2022-09-26", False) in _decided(onward)


def test_a_saturday_deadline_is_reminded_on_the_friday_once_and_escalated_on_monday(
        sched_env: SchedEnv) -> None:
    # SEND IASS: the ELI is due on Saturday 4 March 2023, so its 1-day and on-the-day reminders
    # both fall on Friday 3 March: one reminder, not two.
    cli("demo", "--as-of", "2023-02-27")
    day = date(2023, 2, 27)
    while day <= date(2023, 3, 7):
        cli("scheduler", "--once", "--as-of", day.isoformat())
        day += timedelta(days=1)
    notices = {n["id"]: n for n in sched_env.rows(
        "SELECT id, step_id, kind FROM notice WHERE transfer_ref = 'send-iass-to-wnc'")}
    rows = [r for r in cli_json("outbox") if r["transfer"] == "send-iass-to-wnc"]
    eli = sorted((r["kind"], r["planned_for"], r["sent_on"]) for r in rows
                 if notices[r["notice_id"]]["step_id"] == "eli")
    assert eli == [
        ("escalation", "2023-03-06", "2023-03-06"),
        ("reminder", "2023-02-24", "2023-02-27"),  # 7 days before: Sat 25 Feb -> Fri 24 Feb
        ("reminder", "2023-03-03", "2023-03-03"),
    ]
    assert reminder_days(date(2023, 3, 4), (14, 7, 1, 0)) == [
        date(2023, 2, 17), date(2023, 2, 24), date(2023, 3, 3)]
    assert escalation_day(date(2023, 3, 4)) == date(2023, 3, 6)


def test_in_service_nothing_for_a_day_goes_out_before_the_send_time(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRANSFER_ENGINE_SEND_TIME", "09:00")
    settings = get_settings()
    # 20 September 2022 is in British Summer Time: 09:00 in London is 08:00 UTC.
    before = SweepClock.at(None, settings, datetime(2022, 9, 20, 7, 59, tzinfo=UTC))
    after = SweepClock.at(None, settings, datetime(2022, 9, 20, 8, 0, tzinfo=UTC))
    assert (before.day, before.today) == (date(2022, 9, 19), date(2022, 9, 20))
    assert (after.day, after.today) == (date(2022, 9, 20), date(2022, 9, 20))
    replay = SweepClock.at(date(2022, 9, 20), settings, datetime(2030, 1, 1, tzinfo=UTC))
    assert (replay.day, replay.today, replay.replay) == (date(2022, 9, 20), date(2022, 9, 20),
                                                        True)


@pytest.mark.parametrize("catch_up", [0, 3, 30])
def test_the_query_windows_find_exactly_the_deadlines_due(catch_up: int) -> None:
    """The due-date ranges the sweep asks the database for, against a day-by-day count.

    Christmas and Easter 2023 make the longest runs of days that are not working days.
    """
    offsets = (14, 7, 1, 0)
    days = [date(2022, 12, 15) + timedelta(n) for n in range(30)]
    days += [date(2023, 3, 30) + timedelta(n) for n in range(15)]
    for day in days:
        start = day - timedelta(catch_up)
        candidates = [day + timedelta(n) for n in range(-80, 80)]
        expected = {d for d in candidates if d >= day
                    and any(start <= r <= day for r in reminder_days(d, offsets))}
        ranges = reminder_ranges(start, day, offsets)
        found = {d for d in candidates if any(low <= d <= high for low, high in ranges)}
        assert found == expected, day
        low, high = escalation_range(start, day)
        expected = {d for d in candidates if start <= escalation_day(d) <= day}
        assert {d for d in candidates if low <= d <= high} == expected, day


def test_a_moved_deadline_gets_its_own_reminders_and_escalation(
        sched_env: SchedEnv) -> None:
    cli("demo", "--as-of", "2022-09-20")
    day = date(2022, 9, 20)
    while day <= date(2022, 10, 20):
        cli("scheduler", "--once", "--as-of", day.isoformat())
        if day == date(2022, 9, 21):  # the transfer slips two weeks: ELI now due 18 October
            cli("reschedule", "ld-to-nct", "transfer", "2022-11-15", "--reason",
                "joint committee deferred the date", "--as-of", day.isoformat())
        day += timedelta(days=1)
    notices = {n["id"]: n for n in sched_env.rows(
        "SELECT id, step_id, due_date FROM notice WHERE transfer_ref = 'ld-to-nct'")}
    eli = sorted((r["kind"], notices[r["notice_id"]]["due_date"], r["planned_for"])
                 for r in cli_json("outbox") if r["transfer"] == "ld-to-nct"
                 and notices[r["notice_id"]]["step_id"] == "eli")
    assert eli == [
        ("escalation", "2022-10-18", "2022-10-19"),
        ("reminder", "2022-10-04", "2022-09-20"),  # sent before the date moved
        ("reminder", "2022-10-18", "2022-10-04"),
        ("reminder", "2022-10-18", "2022-10-11"),
        ("reminder", "2022-10-18", "2022-10-17"),
        ("reminder", "2022-10-18", "2022-10-18"),
    ]
