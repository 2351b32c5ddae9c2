"""Exactly once: a real SMTP server, the scheduler as its own process, SIGKILL mid-batch."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

from tests.scheduler_fixtures import (
    SchedEnv,
    cli,
    cli_json,
    engine_process,
    state_letters_due_today,
    subprocess_env,
    wait_for,
)
from transfer_engine.outbox.recovery import claimer_gone, worker_id

EMPLOYEES = 30


def _statuses(env: SchedEnv) -> Counter[str]:
    return Counter(r["status"] for r in env.rows("SELECT status FROM outboxmessage"))


def test_sigkill_in_the_middle_of_a_batch_then_restart_delivers_each_message_once(
        sched_env: SchedEnv, smtp_server) -> None:
    recorder, port = smtp_server
    letters = state_letters_due_today(sched_env, "kill-test", employees=EMPLOYEES)
    assert letters == EMPLOYEES + 2
    recorder.hold_at = 10  # the server sits on the 10th message without answering
    settings = {"TRANSFER_ENGINE_MAIL": "smtp", "TRANSFER_ENGINE_SMTP_HOST": "127.0.0.1",
                "TRANSFER_ENGINE_SMTP_PORT": str(port), "TRANSFER_ENGINE_SEND_TIME": "00:00",
                "TRANSFER_ENGINE_MAIL_RETRY_SECONDS": "1"}

    first = engine_process(sched_env, "scheduler", "--interval", "1", **settings)
    try:
        assert recorder.holding.wait(60), "the scheduler never reached the 10th message"
        # Mid-batch: nine accepted and recorded, one with the server, the rest still to go.
        statuses = _statuses(sched_env)
        assert statuses["sent"] == 9 and statuses["sending"] == 1, statuses
        assert statuses["pending"] >= letters - 10
        in_flight = sched_env.rows("SELECT id FROM outboxmessage WHERE status = 'sending'")
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    finally:
        if first.poll() is None:
            first.kill()
            first.wait(10)
    assert first.returncode == -signal.SIGKILL
    # The server never answered, so it never took the 10th message (aiosmtpd drops it).
    assert recorder.dropped.wait(10)
    assert recorder.count() == 9
    assert _statuses(sched_env)["sending"] == 1

    second = engine_process(sched_env, "scheduler", "--interval", "1", **settings)
    try:
        def all_but_the_held_one_sent() -> bool:
            statuses = _statuses(sched_env)
            return set(statuses) == {"sent", "pending"} and statuses["pending"] == 1 and \
                recorder.count() == statuses["sent"]

        wait_for(all_but_the_held_one_sent, 90, "every other message to be sent after the restart")
        total = recorder.count()
        time.sleep(3)  # a few more sweeps: the one the server had may have arrived; not resent
        assert recorder.count() == total
        held = sched_env.rows("SELECT id, in_doubt FROM outboxmessage WHERE status = 'pending'")
        assert [(r["id"], r["in_doubt"]) for r in held] == [(in_flight[0]["id"], 1)]
        # HR asks the recipient (the server dropped it: it never arrived) and releases it.
        cli("outbox", "release", str(in_flight[0]["id"]), "--reason", "not received")

        def all_sent() -> bool:
            statuses = _statuses(sched_env)
            return set(statuses) == {"sent"} and recorder.count() == sum(statuses.values())

        wait_for(all_sent, 60, "the released message to be sent")
        second.send_signal(signal.SIGTERM)
        assert second.wait(30) == 0
    finally:
        if second.poll() is None:
            second.kill()
            second.wait(10)

    rows = sched_env.rows("SELECT id, message_id, recipient, status, in_doubt FROM outboxmessage")
    received = Counter(m.message_id for m in recorder.received)
    assert all(n == 1 for n in received.values()), received.most_common(3)
    assert set(received) == {r["message_id"] for r in rows}
    assert len(recorder.received) == len(rows) >= letters
    # Each message went to its one recipient only, in the headers and in the envelope.
    by_id = {r["message_id"]: r["recipient"] for r in rows}
    for message in recorder.received:
        assert message.envelope_to == [message.to] == [by_id[message.message_id]]
    # The message the server was holding was held until released, and arrived once.
    assert not any(r["in_doubt"] for r in rows)
    log = (sched_env.root / "scheduler.log").read_text()
    assert "held in doubt for HR, not sent again" in log


def test_two_sweeps_at_the_same_time_decide_and_send_each_notice_once(
        sched_env: SchedEnv) -> None:
    cli("demo", "--as-of", "2022-09-20")
    env = subprocess_env(sched_env)
    command = [sys.executable, "-m", "transfer_engine", "scheduler", "--once",
               "--as-of", "2022-10-05"]
    processes = [subprocess.Popen(command, cwd=sched_env.root, env=env, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for _ in range(3)]
    for process in processes:
        _, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
    rows = cli_json("outbox")
    assert rows and all(r["status"] == "sent" and r["attempts"] == 1 for r in rows)
    files = sorted(sched_env.outbox.glob("*.eml"))
    assert sorted(r["where"] for r in rows) == sorted(str(f.resolve()) for f in files)
    assert len(set(r["message_id"] for r in rows)) == len(rows)
    assert cli_json("scheduler", "--once", "--as-of", "2022-10-05")["decided"] == []


def test_a_claim_is_only_taken_back_from_a_process_that_is_gone() -> None:
    now = datetime.now(UTC)
    host = socket.gethostname()
    # This very process is alive, and it is the claimer: never taken back.
    assert not claimer_gone(worker_id(), now, now)
    # Same pid but another token: an earlier process whose pid this one reuses.
    assert claimer_gone(f"{host}:{os.getpid()}:00000000", now, now)
    # A process that has exited.
    finished = subprocess.Popen([sys.executable, "-c", "pass"])
    finished.wait()
    assert claimer_gone(f"{host}:{finished.pid}:abcdef12", now, now)
    # Another host: cannot be checked, so only a claim older than the lease is taken back.
    assert not claimer_gone("elsewhere:1234:abcdef12", now - timedelta(minutes=5), now)
    assert claimer_gone("elsewhere:1234:abcdef12", now - timedelta(hours=1), now)
