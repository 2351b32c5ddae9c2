"""Walking the L&D transfer to NCT through time, one day at a time, with the real CLI.

Each day the scheduler sweeps in the morning (``scheduler --once --as-of DAY``); HR then does
that day's work with ``advance --as-of DAY``, and on those days a second sweep sends the letters
the new state issues. The expected reminder days are worked out by hand below from the
workflow (offsets 14, 7, 1 and 0 days; go_live 7, 1, 0) and the England and Wales calendar.
"""

from __future__ import annotations

from datetime import date, timedelta

from tests.scheduler_fixtures import SchedEnv, body_text, cli, cli_json, read_eml

START, END = date(2022, 9, 7), date(2022, 11, 2)
STATE_FUNERAL = date(2022, 9, 19)  # one-off bank holiday

# HR's work, done after the morning sweep of the day. ELI is left undone past 4 October.
ACTIONS: dict[date, list[tuple[str, str | None]]] = {
    date(2022, 9, 7): [("approve", None)],
    date(2022, 9, 12): [("advise_unions", None)],
    date(2022, 9, 14): [("record_measures", None)],
    date(2022, 9, 16): [("inform_representatives", None)],
    date(2022, 9, 22): [("notify_employees", None)],
    date(2022, 10, 6): [("send_eli", None)],
    date(2022, 10, 14): [("agree_change_control", None)],
    date(2022, 10, 20): [("conclude_consultation", None)],
    date(2022, 10, 21): [("confirm_pensions", None)],
    date(2022, 10, 25): [("confirm_readiness", None)],
    date(2022, 10, 31): [("agree_revised_sla", None)],
    date(2022, 11, 1): [("go_live", "ELI was sent two days late; the transferee agreed in "
                                    "writing to proceed on the planned date")],
}

ELI_LATE = date(2022, 10, 6)
ELI_LATE_REASON = "The payroll system was replaced in September; particulars were not ready"
HR = "hr.ld-transfer@example.org"
HEAD = "head.of.hr@example.org"

# (day planned, step) of every reminder to the HR owner, worked out by hand.
EXPECTED_REMINDERS = [
    ("2022-09-06", "inform_representatives"),  # 14 days before 20 Sep; sent on 7 Sep, late
    ("2022-09-07", "advise_unions"),           # 7 days before 14 Sep (done 12 Sep: no more)
    # The transferee's measures are due 14 Sep (a week after the decision), before the reg 13
    # letter that gives them (ld-to-nct.yaml; they were due 22 Sep, after it): 7 days before,
    # 1 day before, and on the day, in the morning sweep before HR records them.
    ("2022-09-07", "measures"),
    ("2022-09-13", "measures"),
    ("2022-09-14", "measures"),
    ("2022-09-13", "inform_representatives"),
    ("2022-09-13", "notify_employees"),        # 14 days before 27 Sep
    ("2022-09-16", "inform_representatives"),  # 1 day before: Mon 19 Sep is a bank holiday
    ("2022-09-20", "eli"),                     # 14 days before Tue 4 Oct
    ("2022-09-20", "notify_employees"),
    ("2022-09-27", "eli"),
    ("2022-10-03", "eli"),
    ("2022-10-04", "change_control"),          # 14 days before 18 Oct
    ("2022-10-04", "eli"),                     # on the day
    ("2022-10-11", "change_control"),
    ("2022-10-11", "consultation"),            # 14 days before 25 Oct
    ("2022-10-11", "pensions"),
    ("2022-10-13", "readiness"),               # 14 days before Thu 27 Oct
    ("2022-10-17", "revised_sla"),             # 14 days before Mon 31 Oct
    ("2022-10-18", "consultation"),
    ("2022-10-18", "funding_transfer"),        # 14 days before 1 Nov
    ("2022-10-18", "pensions"),
    ("2022-10-20", "readiness"),
    ("2022-10-24", "revised_sla"),
    ("2022-10-25", "funding_transfer"),
    ("2022-10-25", "go_live"),                 # go_live reminds at 7, 1 and 0 days
    ("2022-10-28", "revised_sla"),             # 1 day before: Sun 30 Oct -> Fri 28 Oct
    ("2022-10-31", "funding_transfer"),
    ("2022-10-31", "go_live"),
    ("2022-10-31", "revised_sla"),
    ("2022-11-01", "funding_transfer"),
    ("2022-11-01", "go_live"),
]


def _walk(env: SchedEnv) -> list[dict]:
    cli("demo", "--as-of", START.isoformat())
    day = START
    while day <= END:
        cli("scheduler", "--once", "--as-of", day.isoformat())
        if day == ELI_LATE:  # reg 11(6): a late ELI says why, and is then given
            cli("eli", "late-reason", "ld-to-nct", "--reason", ELI_LATE_REASON)
        for trigger, reason in ACTIONS.get(day, []):
            extra = ["--override-reason", reason] if reason else []
            cli("advance", "ld-to-nct", trigger, "--note", f"{trigger} (test)",
                "--as-of", day.isoformat(), *extra)
        if day in ACTIONS:
            cli("scheduler", "--once", "--as-of", day.isoformat())
        day += timedelta(days=1)
    return cli_json("outbox")


def test_walking_ld_to_nct_sends_each_notice_on_the_right_working_day(
        sched_env: SchedEnv) -> None:
    rows = _walk(sched_env)
    assert rows, "nothing was sent"
    assert all(r["status"] == "sent" for r in rows), [r for r in rows if r["status"] != "sent"]

    ld = [r for r in rows if r["transfer"] == "ld-to-nct"]
    # Which step each reminder was for: read from the notice behind it.
    notices = {n["id"]: n for n in sched_env.rows("SELECT id, step_id, due_date FROM notice")}
    actual = sorted((r["planned_for"], notices[r["notice_id"]]["step_id"])
                    for r in ld if r["kind"] == "reminder")
    assert actual == sorted(EXPECTED_REMINDERS)
    assert all(r["to"] == HR for r in ld if r["kind"] == "reminder")

    # Each on its day; only the one planned before the scheduler first ran is late.
    for r in ld:
        if r["planned_for"] == "2022-09-06":
            assert (r["sent_on"], r["late"]) == ("2022-09-07", True)
        else:
            assert (r["sent_on"], r["late"]) == (r["planned_for"], False), r

    # Nothing at all goes out at weekends or on the bank holiday.
    sent_days = {date.fromisoformat(r["sent_on"]) for r in rows}
    assert STATE_FUNERAL not in sent_days
    assert all(d.weekday() < 5 for d in sent_days)

    # The ELI step, left undone after its deadline, is escalated once, the next working day.
    escalations = [(r["planned_for"], notices[r["notice_id"]]["step_id"], r["to"])
                   for r in ld if r["kind"] == "escalation"]
    assert escalations == [("2022-10-05", "eli", HEAD)]

    # Letters on the day their state is entered: reg 13 information to each representative,
    # a letter to each employee, then confirmation of the transfer.
    letters = sorted((r["planned_for"], notices[r["notice_id"]]["step_id"], r["audience"])
                     for r in ld if r["kind"] == "letter")
    assert letters == sorted(
        [("2022-09-16", "reg13-information", "representative")] * 2
        + [("2022-09-16", "employee-notification", "employee")] * 6
        # send_eli gives the ELI: a cover letter and a schedule for each employee (reg 11).
        + [("2022-10-06", "eli-cover", "transferee")]
        + [("2022-10-06", "eli-schedule", "transferee")] * 6
        + [("2022-11-01", "transfer-confirmation", "employee")] * 6)
    assert len({r["to"] for r in ld if r["kind"] == "letter" and r["audience"] == "employee"
                and r["planned_for"] == "2022-09-16"}) == 6

    # The HR owner's digest: every working day while something is due within 14 days.
    digests = sorted(r["planned_for"] for r in rows if r["kind"] == "digest" and r["to"] == HR)
    days = [START + timedelta(days=n) for n in range((date(2022, 11, 1) - START).days + 1)]
    working = [d.isoformat() for d in days if d.weekday() < 5 and d != STATE_FUNERAL]
    assert digests == working


def test_representatives_get_counts_never_employee_names_or_pay(
        sched_env: SchedEnv) -> None:
    cli("demo", "--as-of", "2022-09-07")
    for trigger, day in (("approve", "2022-09-07"), ("record_measures", "2022-09-14"),
                         ("inform_representatives", "2022-09-16")):
        cli("advance", "ld-to-nct", trigger, "--note", "test", "--as-of", day)
    cli("scheduler", "--once", "--as-of", "2022-09-16")
    rows = [r for r in cli_json("outbox") if r["kind"] == "letter"]
    to_reps = [r for r in rows if r["audience"] == "representative"]
    to_staff = [r for r in rows if r["audience"] == "employee"]
    assert len(to_reps) == 2 and len(to_staff) == 6

    for row in to_reps:
        message = read_eml(row["where"])
        assert message.get_all("To") == [row["to"]] and message["Cc"] is None
        # A rendered letter: text and HTML alternatives, the PDF attached.
        text = body_text(message)
        assert "6 expected to transfer" in text
        assert "Sample Employee" not in text and "705.00" not in text
        assert "sample.ld-" not in text
    for row in to_staff:
        message = read_eml(row["where"])
        text = body_text(message)
        # Addressed to that employee alone, and naming nobody else.
        ref = row["recipient_ref"].split(":")[1]
        assert message.get_all("To") == [row["to"]] == [f"sample.{ref.lower()}@example.org"]
        assert f"Dear Sample Employee {ref}," in text
        named = {word for word in text.split() if word.startswith("LD-0")}
        assert {w.strip(".,()/") for w in named} == {ref}


def test_a_second_sweep_the_same_day_sends_nothing_again(sched_env: SchedEnv) -> None:
    cli("demo", "--as-of", "2022-09-20")
    first = cli_json("scheduler", "--once", "--as-of", "2022-09-20")
    second = cli_json("scheduler", "--once", "--as-of", "2022-09-20")
    assert first["counts"]["sent"] >= 5
    assert second["decided"] == [] and second["deliveries"] == []
    assert len(list(sched_env.outbox.glob("*.eml"))) == first["counts"]["sent"]


def test_dry_run_shows_what_would_go_out_and_changes_nothing(
        sched_env: SchedEnv) -> None:
    cli("demo", "--as-of", "2022-09-20")
    _, out, _ = cli("scheduler", "--once", "--as-of", "2022-09-20", "--dry-run")
    assert "dry run" in out and "ld-to-nct/eli" in out and "hr.ld-transfer@example.org" in out
    dry = cli_json("scheduler", "--once", "--as-of", "2022-09-20", "--dry-run")
    assert cli_json("outbox") == []
    assert not sched_env.outbox.exists()
    assert sched_env.rows("SELECT count(*) AS n FROM notice")[0]["n"] == 0

    real = cli_json("scheduler", "--once", "--as-of", "2022-09-20")
    assert [n["key"] for n in real["decided"]] == [n["key"] for n in dry["decided"]]
    assert real["counts"]["sent"] == sum(len(n["recipients"]) for n in dry["decided"])
