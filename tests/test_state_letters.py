"""A state's letters: owed by the transition that enters it, issued once, just after it."""

from __future__ import annotations

import json
import threading
from datetime import date

import pytest

from tests.scheduler_fixtures import (
    INCOMPLETE,
    SchedEnv,
    cli,
    cli_json,
    sweep_with_failures,
    transfer_with_staff,
)
from transfer_engine.engine.advance import advance
from transfer_engine.letters.owed import IssueReport, issue_pending
from transfer_engine.store.database import get_engine, init_db

DAY = date(2022, 9, 16)
TO_CONSULTING = ("approve", "record_measures", "inform_representatives")


def _enter_consulting(env: SchedEnv, *, employees: int = 3) -> None:
    init_db(get_engine(env.url))
    transfer_with_staff("letters-test", employees=employees, representatives=1,
                        transfer_date=date(2022, 11, 1), decision=date(2022, 9, 1))
    for trigger in TO_CONSULTING:
        result = advance("letters-test", trigger, actor="test", note="test", today=DAY)
    assert result.to_state == "consulting"
    assert result.letters == ["reg13-information", "employee-notification"]


def _owed(env: SchedEnv) -> list[str]:
    return [r["letter"] for r in env.rows("SELECT letter FROM pendingletter ORDER BY id")]


def _messages(env: SchedEnv) -> list[tuple[str, str]]:
    """The letters (and alerts about letters) in the outbox; sweeps add reminders too."""
    return sorted((r["kind"], r["recipient"]) for r in env.rows(
        "SELECT kind, recipient FROM outboxmessage WHERE kind IN ('letter', 'hr_alert')"))


def test_a_transition_owes_its_letters_and_the_next_sweep_issues_them_once(
        sched_env: SchedEnv) -> None:
    _enter_consulting(sched_env)
    # The transition decided the letters and rendered nothing.
    assert _owed(sched_env) == ["reg13-information", "employee-notification"]
    assert _messages(sched_env) == []

    preview = cli_json("scheduler", "--once", "--as-of", DAY.isoformat(), "--dry-run")
    assert [o["letter"] for o in preview["letters_owed"]] == _owed(sched_env)
    assert _messages(sched_env) == []  # a dry run issues nothing

    report = cli_json("scheduler", "--once", "--as-of", DAY.isoformat())
    assert [(i["letter"], i["outcome"], i["recipients"]) for i in report["letters"]] == [
        ("reg13-information", "issued", 1), ("employee-notification", "issued", 3)]
    assert _owed(sched_env) == []
    assert _messages(sched_env) == [
        ("letter", "person.001@example.org"), ("letter", "person.002@example.org"),
        ("letter", "person.003@example.org"), ("letter", "rep.1@example.org")]
    letters_on_file = sched_env.rows("SELECT letter, letter_date FROM letter")
    assert len(letters_on_file) == 4
    assert {r["letter_date"] for r in letters_on_file} == {DAY.isoformat()}

    again = cli_json("scheduler", "--once", "--as-of", DAY.isoformat())
    assert again["letters"] == []
    assert len(_messages(sched_env)) == 4


def test_the_cli_issues_the_letters_of_the_state_it_entered(
        sched_env: SchedEnv) -> None:
    init_db(get_engine(sched_env.url))
    transfer_with_staff("letters-test", employees=2, representatives=1,
                        transfer_date=date(2022, 11, 1), decision=date(2022, 9, 1))
    for trigger in TO_CONSULTING[:-1]:
        cli("advance", "letters-test", trigger, "--note", "test", "--as-of", DAY.isoformat())
    result = cli_json("advance", "letters-test", TO_CONSULTING[-1], "--as-of", DAY.isoformat())
    assert [(i["letter"], i["outcome"], i["recipients"]) for i in result["letters"]] == [
        ("reg13-information", "issued", 1), ("employee-notification", "issued", 2)]
    assert result["letter_errors"] == []
    assert _owed(sched_env) == []
    assert len(_messages(sched_env)) == 3


def test_a_letter_owed_twice_for_one_day_is_issued_once(
        sched_env: SchedEnv) -> None:
    _enter_consulting(sched_env, employees=2)
    assert issue_pending().errors == []
    # The same letter owed again for the same day (a second process that recorded it too,
    # or a state left and entered again on one day): it is not issued a second time.
    sched_env.execute("INSERT INTO pendingletter (transfer_id, transfer_ref, letter, "
                      "letter_date, actor, created_at, attempts) SELECT id, ref, "
                      "'employee-notification', ?, 'test', '2022-09-16 10:00:00', 0 "
                      "FROM transfer", DAY.isoformat())
    report = issue_pending()
    assert [(i.letter, i.outcome) for i in report.issued] == [
        ("employee-notification", "already")]
    assert _owed(sched_env) == []
    assert len(_messages(sched_env)) == 3


def test_two_processes_issuing_at_once_issue_each_letter_once(
        sched_env: SchedEnv) -> None:
    _enter_consulting(sched_env, employees=20)
    start = threading.Barrier(2)
    reports: list[IssueReport] = []

    def issuer() -> None:
        start.wait()
        reports.append(issue_pending())

    threads = [threading.Thread(target=issuer) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert [r.errors for r in reports] == [[], []]
    issued = sorted((i.letter, i.outcome) for r in reports for i in r.issued)
    assert [i for i in issued if i[1] == "issued"] == [
        ("employee-notification", "issued"), ("reg13-information", "issued")]
    recipients = [r for _, r in _messages(sched_env)]
    assert len(recipients) == len(set(recipients)) == 21
    assert _owed(sched_env) == []


def test_a_letter_that_cannot_be_filed_stays_owed_says_why_and_is_issued_once_fixed(
        sched_env: SchedEnv, monkeypatch: pytest.MonkeyPatch) -> None:
    _enter_consulting(sched_env, employees=2)
    blocked = sched_env.root / "letters-here"
    blocked.write_text("a file where the letters folder should be")
    monkeypatch.setenv("TRANSFER_ENGINE_LETTERS_DIR", str(blocked / "issued"))

    report = json.loads(sweep_with_failures("--as-of", DAY.isoformat(), "--json")[0])
    assert report["letters"] == []
    assert len(report["errors"]) == 2 and "letter reg13-information" in report["errors"][0]
    owed = sched_env.rows("SELECT letter, attempts, last_error FROM pendingletter")
    assert [(r["letter"], r["attempts"]) for r in owed] == [
        ("reg13-information", 1), ("employee-notification", 1)]
    assert all("letters-here" in r["last_error"] for r in owed)
    assert _messages(sched_env) == []  # nothing half-issued
    _, out, _ = cli("scheduler", "--once", "--as-of", DAY.isoformat(), "--dry-run")
    assert "last attempt failed" in out

    blocked.unlink()
    report = cli_json("scheduler", "--once", "--as-of", DAY.isoformat())
    assert [i["outcome"] for i in report["letters"]] == ["issued", "issued"]
    assert _owed(sched_env) == [] and len(_messages(sched_env)) == 3


def test_a_letter_missing_data_alerts_the_hr_owner_instead(
        sched_env: SchedEnv) -> None:
    init_db(get_engine(sched_env.url))
    transfer_with_staff("letters-test", employees=2, representatives=1,
                        transfer_date=date(2022, 11, 1), decision=date(2022, 9, 1),
                        letter_particulars=False)
    for trigger in TO_CONSULTING:
        advance("letters-test", trigger, actor="test", note="test", today=DAY)
    report = issue_pending()
    assert report.errors == []
    alerts = [i for i in report.issued if i.outcome == "alert"]
    assert alerts and all(i.problem for i in alerts)
    rows = sched_env.rows("SELECT recipient, subject FROM outboxmessage WHERE kind = 'hr_alert'")
    assert rows and {r["recipient"] for r in rows} == {"hr.owner@example.org"}
    assert "cannot be sent automatically" in rows[0]["subject"]
    assert _owed(sched_env) == []


def test_the_cli_says_in_its_exit_status_that_a_letter_was_not_issued(
        sched_env: SchedEnv) -> None:
    """The transition stands and the HR owner is alerted, but a script running `advance` must
    not read a reg 13 letter not issued as a full success: exit status 4, and why."""
    init_db(get_engine(sched_env.url))
    transfer_with_staff("letters-test", employees=2, representatives=1,
                        transfer_date=date(2022, 11, 1), decision=date(2022, 9, 1),
                        letter_particulars=False)
    for trigger in TO_CONSULTING[:-1]:
        cli("advance", "letters-test", trigger, "--note", "test", "--as-of", DAY.isoformat())
    code, out, err = cli("advance", "letters-test", TO_CONSULTING[-1], "--as-of",
                         DAY.isoformat(), ok=False)
    assert code == INCOMPLETE
    assert "NOT issued, the HR owner was alerted" in out
    assert "moved on, but 2 of its letters were not issued" in " ".join(err.split())
    assert cli_json("status", "letters-test", "--as-of", DAY.isoformat())["state"] == \
        "consulting"
