"""Bad data and faults: the scheduler says what happened, records it, and carries on."""

from __future__ import annotations

import logging
import time

import pytest

from tests.scheduler_fixtures import (
    SchedEnv,
    cli,
    cli_json,
    refusing_port,
    sweep_with_failures,
)
from transfer_engine.ops.scheduler import Runner

DAY = "2022-09-20"


def _decide_while_the_mail_server_is_down(env: SchedEnv,
                                          monkeypatch: pytest.MonkeyPatch) -> list[dict]:
    """Sweep with nothing listening on the SMTP port: every notice decided, none delivered."""
    cli("demo", "--as-of", DAY)
    monkeypatch.setenv("TRANSFER_ENGINE_MAIL", "smtp")
    monkeypatch.setenv("TRANSFER_ENGINE_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("TRANSFER_ENGINE_MAIL_RETRY_SECONDS", "1")
    with refusing_port() as port:
        monkeypatch.setenv("TRANSFER_ENGINE_SMTP_PORT", str(port))
        sweep_with_failures("--as-of", DAY)
    rows = cli_json("outbox")
    assert {r["status"] for r in rows} == {"pending", "failed"}
    monkeypatch.delenv("TRANSFER_ENGINE_MAIL")  # back to .eml files
    time.sleep(1.1)  # past the failed message's backoff
    return rows


def _notices(env: SchedEnv) -> dict[int, str]:
    return {n["id"]: n["step_id"] for n in env.rows("SELECT id, step_id FROM notice")}


def test_a_step_done_or_deleted_before_its_reminder_goes_out_is_not_reminded(
        sched_env: SchedEnv, monkeypatch: pytest.MonkeyPatch) -> None:
    _decide_while_the_mail_server_is_down(sched_env, monkeypatch)
    # Meanwhile HR records the decision (escalated as overdue) and a step is deleted.
    cli("advance", "ld-to-nct", "approve", "--note", "minutes of 7 Sep", "--as-of", DAY)
    sched_env.execute("DELETE FROM stepinstance WHERE step_id = 'notify_employees' AND "
                      "transfer_id = (SELECT id FROM transfer WHERE ref = 'ld-to-nct')")
    code, _, _ = cli("scheduler", "--once", "--as-of", DAY)
    assert code == 0
    steps = _notices(sched_env)
    rows = {(r["kind"], steps[r["notice_id"]]): r for r in cli_json("outbox")}
    decision = rows[("escalation", "decision")]
    assert decision["status"] == "cancelled"
    assert decision["last_error"] == "not sent: step decision is now done"
    deleted = rows[("reminder", "notify_employees")]
    assert deleted["status"] == "cancelled"
    assert "no longer exists" in deleted["last_error"]
    assert rows[("reminder", "eli")]["status"] == "sent"
    assert not any(r["status"] in ("pending", "sending") for r in rows.values())


def test_a_deleted_transfer_cancels_its_waiting_messages(
        sched_env: SchedEnv, monkeypatch: pytest.MonkeyPatch) -> None:
    _decide_while_the_mail_server_is_down(sched_env, monkeypatch)
    # Deleted behind the engine's back (foreign keys are off in a plain sqlite3 session).
    sched_env.execute("DELETE FROM transfer WHERE ref = 'ld-to-nct'")
    code, out, _ = cli("scheduler", "--once", "--as-of", DAY)
    assert code == 0
    rows = cli_json("outbox")
    of_transfer = [r for r in rows if r["transfer"] == "ld-to-nct"]
    assert of_transfer and all(r["status"] == "cancelled" for r in of_transfer)
    assert all(r["last_error"] == "not sent: transfer ld-to-nct no longer exists"
               for r in of_transfer)
    assert "cancelled" in out
    # The next day's sweep ignores its orphaned steps.
    assert cli("scheduler", "--once", "--as-of", "2022-09-21")[0] == 0


def test_a_transfer_whose_workflow_is_gone_is_skipped_and_the_rest_still_sent(
        sched_env: SchedEnv) -> None:
    cli("demo", "--as-of", DAY)
    sched_env.execute("UPDATE transfer SET workflow_id = 'withdrawn' WHERE ref = 'ld-to-nct'")
    code, _, err = cli("scheduler", "--once", "--as-of", "2022-10-20")
    assert code == 0
    assert "ld-to-nct: no deadline notices, its workflow 'withdrawn' cannot be loaded" in err
    rows = cli_json("outbox")
    assert rows and not any(r["transfer"] == "ld-to-nct" for r in rows)
    assert any(r["to"] == "hr.send-iass@example.org" for r in rows)  # send-iass's digest


def test_a_transfer_without_an_hr_owner_is_shown_to_hr_not_silently_dropped(
        sched_env: SchedEnv) -> None:
    cli("demo", "--as-of", DAY)
    sched_env.execute("UPDATE transfer SET hr_owner = NULL WHERE ref = 'ld-to-nct'")
    cli("scheduler", "--once", "--as-of", DAY)
    reminders = [r for r in cli_json("outbox") if r["kind"] == "reminder"]
    assert reminders and all(r["status"] == "permanent-failure" for r in reminders)
    assert all(r["last_error"] == "ld-to-nct has no HR owner email recorded, so nobody can be "
                                  "reminded" for r in reminders)
    _, listing, _ = cli("outbox")
    assert "Needs attention" in listing


def test_the_long_running_scheduler_survives_a_sweep_that_fails(
        sched_env: SchedEnv, caplog: pytest.LogCaptureFixture,
        monkeypatch: pytest.MonkeyPatch) -> None:
    # A database the sweep cannot open: the runner logs it and is ready for the next sweep.
    monkeypatch.setenv("TRANSFER_ENGINE_DATABASE_URL",
                       f"sqlite:///{sched_env.root / 'no-such-folder' / 'x.db'}")
    runner = Runner(interval=1)
    with caplog.at_level(logging.ERROR, logger="transfer_engine.ops.scheduler"):
        runner.run_sweep()
        runner.run_sweep()
    failures = [r for r in caplog.records if "the sweep failed" in r.getMessage()]
    assert len(failures) == 2 and runner.sweeps == 0


@pytest.mark.parametrize("who", ["Sample Employee LD-003", "the colleague LD\u200b-003"],
                         ids=["name", "reference"])
def test_a_representative_never_receives_an_employee_name_even_from_free_text(
        sched_env: SchedEnv, who: str) -> None:
    cli("demo", "--as-of", "2022-09-07")
    # Someone pasted an employee's name, or their reference with an invisible space in it,
    # into the reasons for the transfer, which the reg 13 letter to representatives quotes
    # (HR's regime_reason note no longer reaches letters).
    particulars = sched_env.root / "particulars.yaml"
    particulars.write_text(f"transfer:\n  reasons: Requested by {who} and colleagues.\n")
    cli("letters", "data", "ld-to-nct", str(particulars))
    for trigger, day in (("approve", "2022-09-07"), ("record_measures", "2022-09-14"),
                         ("inform_representatives", "2022-09-16")):
        cli("advance", "ld-to-nct", trigger, "--note", "test", "--as-of", day)
    cli("scheduler", "--once", "--as-of", "2022-09-16")
    to_reps = [r for r in cli_json("outbox") if r["audience"] == "representative"]
    assert len(to_reps) == 2
    assert all(r["status"] == "permanent-failure" and r["where"] is None for r in to_reps)
    assert all("would disclose an employee's personal data" in r["last_error"] for r in to_reps)
    assert not any(who in p.read_text()
                   for p in sched_env.outbox.glob("*.eml") if "information-under" in p.name)
