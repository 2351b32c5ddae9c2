"""Exactly once under faults: a real SMTP server, the scheduler as its own process, and the
database failing just after the server accepted a message (another process holding SQLite's
write lock), a SIGKILL in that window, a connection that breaks before the server answers, a
claim's lease running out, and a restore."""

from __future__ import annotations

import asyncio
import signal
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from tests.scheduler_fixtures import (
    SchedEnv,
    SmtpRecorder,
    cli,
    cli_json,
    engine_process,
    free_port,
    state_letters_due_today,
    sweep_with_failures,
    wait_for,
)
from transfer_engine.outbox.delivery import FileBackend
from transfer_engine.outbox.queue import PlannedMessage, PlannedNotice, enqueue
from transfer_engine.outbox.recovery import CLAIM_LEASE, recover_in_doubt, worker_id
from transfer_engine.outbox.worker import deliver_due
from transfer_engine.store.database import get_engine, init_db, write_session
from transfer_engine.store.messages import NoticeKind

EMPLOYEES = 10


class LockingRecorder(SmtpRecorder):
    """A server that, on its n-th message, has another process take the database's write lock
    before it answers "250": the scheduler then cannot record what the server accepted."""

    def __init__(self, db_path: Path, lock_at: int) -> None:
        super().__init__()
        self.db_path, self.lock_at = db_path, lock_at
        self.locked = threading.Event()
        self.hold_for: float | None = None  # seconds; None: until unlock()
        self._holder: sqlite3.Connection | None = None

    async def handle_DATA(self, server, session, envelope):
        if self.data_count + 1 == self.lock_at:
            holder = sqlite3.connect(self.db_path, timeout=30, isolation_level=None,
                                     check_same_thread=False)
            holder.execute("BEGIN IMMEDIATE")  # as a second writer would, and keeps it
            self._holder = holder
            self.locked.set()
            if self.hold_for is not None:
                threading.Timer(self.hold_for, self.unlock).start()
        return await super().handle_DATA(server, session, envelope)

    def unlock(self) -> None:
        holder, self._holder = self._holder, None
        if holder is not None:
            holder.rollback()
            holder.close()


@pytest.fixture
def locking_server(sched_env: SchedEnv) -> Iterator[tuple[LockingRecorder, int]]:
    recorder = LockingRecorder(sched_env.db_path, lock_at=3)
    port = free_port()
    controller = Controller(recorder, hostname="127.0.0.1", port=port, ready_timeout=30)
    controller.start()
    try:
        yield recorder, port
    finally:
        recorder.unlock()
        controller.stop()


def _smtp(port: int) -> dict[str, str]:
    return {"TRANSFER_ENGINE_MAIL": "smtp", "TRANSFER_ENGINE_SMTP_HOST": "127.0.0.1",
            "TRANSFER_ENGINE_SMTP_PORT": str(port), "TRANSFER_ENGINE_SEND_TIME": "00:00",
            "TRANSFER_ENGINE_MAIL_RETRY_SECONDS": "1",
            # A second writer is waited for half a second per try, not thirty.
            "TRANSFER_ENGINE_DB_TIMEOUT": "0.5"}


def _statuses(env: SchedEnv) -> Counter[str]:
    return Counter(r["status"] for r in env.rows("SELECT status FROM outboxmessage"))


def _all_sent(env: SchedEnv, recorder: SmtpRecorder) -> bool:
    """Every message (the letters, and the digest or reminders the sweep decided besides) sent,
    and as many received."""
    statuses = _statuses(env)
    return set(statuses) == {"sent"} and recorder.count() == statuses["sent"]


def _log(env: SchedEnv) -> str:
    path = env.root / "scheduler.log"
    return path.read_text() if path.exists() else ""


def _received_once_each(recorder: SmtpRecorder) -> Counter[str]:
    received = Counter(m.message_id for m in recorder.received)
    assert all(n == 1 for n in received.values()), received.most_common(3)
    return received


def _stop(process) -> None:
    if process.poll() is None:
        process.kill()
        process.wait(10)


def test_a_database_locked_when_the_server_accepts_is_waited_for_and_the_message_recorded_sent(
        sched_env: SchedEnv, locking_server) -> None:
    recorder, port = locking_server
    letters = state_letters_due_today(sched_env, "fault-test", employees=EMPLOYEES)
    # The lock goes away after 3 s: within the worker's retries (about 9 s), not its first try.
    recorder.hold_for = 3.0
    process = engine_process(sched_env, "scheduler", "--once", **_smtp(port))
    try:
        assert process.wait(120) == 0, _log(sched_env)
    finally:
        _stop(process)
    assert recorder.locked.is_set()
    assert _all_sent(sched_env, recorder) and _statuses(sched_env)["sent"] >= letters
    received = _received_once_each(recorder)
    assert set(received) == {r["message_id"] for r in sched_env.rows(
        "SELECT message_id FROM outboxmessage")}
    assert "could not record the outcome of outbox" in _log(sched_env)
    assert not any(r["in_doubt"] for r in sched_env.rows("SELECT in_doubt FROM outboxmessage"))


def test_killed_while_it_cannot_record_an_accepted_message_it_is_held_not_sent_again(
        sched_env: SchedEnv, locking_server) -> None:
    recorder, port = locking_server
    state_letters_due_today(sched_env, "fault-test", employees=EMPLOYEES)
    first = engine_process(sched_env, "scheduler", "--interval", "1", **_smtp(port))
    try:
        wait_for(lambda: "could not record the outcome of outbox" in _log(sched_env), 60,
                 "the scheduler to find the database locked after the server accepted")
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    finally:
        _stop(first)
    recorder.unlock()
    assert recorder.count() == 3
    accepted = recorder.received[-1].message_id
    row = sched_env.rows("SELECT id, status, in_doubt FROM outboxmessage WHERE message_id = ?",
                         accepted)[0]
    assert (row["status"], row["in_doubt"]) == ("sending", 1)  # with the server, unrecorded

    second = engine_process(sched_env, "scheduler", "--interval", "1", **_smtp(port))
    try:
        def all_but_the_held_one_sent() -> bool:
            statuses = _statuses(sched_env)
            return set(statuses) == {"sent", "pending"} and statuses["pending"] == 1 and \
                recorder.count() == statuses["sent"] + 1

        wait_for(all_but_the_held_one_sent, 90, "every other message to be sent after the restart")
        time.sleep(3)  # more sweeps: the held one must not go out again
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(30)
        _stop(second)
    _received_once_each(recorder)
    # Nothing lost, nothing twice: the held one was received once, before the kill.
    assert recorder.count() == len(sched_env.rows("SELECT id FROM outboxmessage"))
    outbox = {r["id"]: r for r in cli_json("outbox")}
    assert outbox[row["id"]]["held"] and outbox[row["id"]]["status"] == "pending"
    assert outbox[row["id"]]["last_error"].startswith("held: it may have been delivered before")
    assert sum(r["held"] for r in outbox.values()) == 1
    assert "held in doubt for HR, not sent again" in _log(sched_env)


def test_a_live_scheduler_records_an_accepted_message_once_the_database_is_back(
        sched_env: SchedEnv, locking_server) -> None:
    """The lock outlasts every retry: the process keeps the answer, stops sending, and writes
    it at a later sweep; it never sends the message again."""
    recorder, port = locking_server
    state_letters_due_today(sched_env, "fault-test", employees=EMPLOYEES)
    process = engine_process(sched_env, "scheduler", "--interval", "1", **_smtp(port))
    try:
        wait_for(lambda: "was ACCEPTED by the mail server but the database could not record"
                 in _log(sched_env), 90, "the worker to give up recording for this run")
        assert recorder.count() == 3  # it stopped sending meanwhile
        recorder.unlock()
        wait_for(lambda: _all_sent(sched_env, recorder), 90,
                 "every message to be recorded as sent")
        time.sleep(2)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(30)
        _stop(process)
    _received_once_each(recorder)
    assert _all_sent(sched_env, recorder)
    assert "recorded as sent at last" in _log(sched_env)


class DroppingRecorder(SmtpRecorder):
    """A server that, on its n-th message, takes the whole message and then closes the
    connection without answering: the client cannot know whether it was accepted."""

    def __init__(self, drop_at: int) -> None:
        super().__init__()
        self.drop_at = drop_at
        self.dropped_one = threading.Event()

    async def handle_DATA(self, server, session, envelope):
        if self.data_count + 1 == self.drop_at and not self.dropped_one.is_set():
            self.data_count += 1
            self.dropped_one.set()
            server.transport.close()  # after the data, before the answer
            await asyncio.sleep(3600)  # cancelled as the connection goes: no reply is sent
        return await super().handle_DATA(server, session, envelope)


def test_a_connection_broken_before_the_servers_answer_is_held_not_retried_then_sent_once(
        sched_env: SchedEnv, monkeypatch: pytest.MonkeyPatch) -> None:
    recorder = DroppingRecorder(drop_at=2)
    port = free_port()
    controller = Controller(recorder, hostname="127.0.0.1", port=port, ready_timeout=30)
    controller.start()
    try:
        for name, value in _smtp(port).items():
            monkeypatch.setenv(name, value)
        engine = init_db(get_engine(sched_env.url))
        today = date.today()
        with write_session(engine) as session:
            for who in ("a", "b", "c"):
                enqueue(session, PlannedNotice(
                    key=f"drop-test:{who}", kind=NoticeKind.hr_alert, planned_for=today,
                    decided_on=today, messages=(PlannedMessage(
                        "hr-owner", f"{who}@example.org", "hr", f"Alert {who}", "Body"),)))
        sweep_with_failures()
        assert recorder.dropped_one.is_set()
        rows = {r["recipient"]: r for r in sched_env.rows(
            "SELECT id, recipient, status, in_doubt, attempts, last_error FROM outboxmessage")}
        dropped = rows["b@example.org"]
        assert (dropped["status"], dropped["in_doubt"], dropped["attempts"]) == ("pending", 1, 1)
        assert dropped["last_error"].startswith("held: it may have been delivered before")
        assert "transfer-engine" not in dropped["last_error"]
        assert "the connection to the mail server 127.0.0.1" in dropped["last_error"]

        # More sweeps, past the retry interval: the others go, the held one does not.
        time.sleep(1.5)
        cli("scheduler", "--once")
        cli("scheduler", "--once")
        assert sorted(m.to for m in recorder.received) == ["a@example.org", "c@example.org"]
        listing = cli("outbox")[1]
        assert "HELD IN DOUBT" in listing
        assert f"transfer-engine outbox release {dropped['id']} --reason" in listing
        assert [r["id"] for r in cli_json("outbox") if r["held"]] == [dropped["id"]]

        # HR asks the recipient, who never got it, and releases it: it goes once.
        cli("outbox", "release", str(dropped["id"]), "--reason", "b has not got it")
        cli("scheduler", "--once")
        cli("scheduler", "--once")
    finally:
        controller.stop()
    received = _received_once_each(recorder)
    assert len(received) == 3
    assert sorted(m.to for m in recorder.received) == [
        "a@example.org", "b@example.org", "c@example.org"]
    assert set(_statuses(sched_env)) == {"sent"}


def test_a_claim_past_its_lease_is_held_if_it_was_with_the_server_and_requeued_if_not(
        sched_env: SchedEnv) -> None:
    engine = init_db(get_engine(sched_env.url))
    today = date.today()
    with write_session(engine) as session:
        for who in ("a", "b"):
            enqueue(session, PlannedNotice(
                key=f"lease-test:{who}", kind=NoticeKind.hr_alert, planned_for=today,
                decided_on=today, messages=(PlannedMessage(
                    "hr-owner", f"{who}@example.org", "hr", f"Alert {who}", "Body"),)))
    claimed = datetime.now(UTC) - CLAIM_LEASE - timedelta(minutes=1)
    # Both claimed by this very process (alive) long ago; only "a" was handed to the server.
    sched_env.execute("UPDATE outboxmessage SET status = 'sending', claimed_by = ?, "
                      "claimed_at = ?, in_doubt = (recipient = 'a@example.org')",
                      worker_id(), claimed.strftime("%Y-%m-%d %H:%M:%S.%f"))
    recovered = recover_in_doubt(engine)
    assert len(recovered.held) == 1 and len(recovered.requeued) == 1
    report = deliver_due(FileBackend(sched_env.outbox), today=today, engine=engine)
    assert [d.recipient for d in report.deliveries] == ["b@example.org"]
    rows = {r["recipient"]: r for r in sched_env.rows(
        "SELECT recipient, status, in_doubt FROM outboxmessage")}
    assert (rows["a@example.org"]["status"], rows["a@example.org"]["in_doubt"]) == ("pending", 1)
    assert rows["b@example.org"]["status"] == "sent"
    assert len(list(sched_env.outbox.glob("*.eml"))) == 1


def test_after_a_restore_nothing_is_sent_again_until_hr_releases_it_then_once(
        sched_env: SchedEnv, smtp_server, monkeypatch: pytest.MonkeyPatch) -> None:
    recorder, port = smtp_server
    for name, value in _smtp(port).items():
        monkeypatch.setenv(name, value)
    letters = state_letters_due_today(sched_env, "fault-test", employees=EMPLOYEES)
    backup = sched_env.root / "backups" / "before-sending.db"
    cli("backup", str(backup))
    cli("scheduler", "--once")
    # The letters, and what the sweep decided besides (a digest, reminders): sent after the
    # backup was taken.
    sent = len(sched_env.rows("SELECT id FROM outboxmessage WHERE status = 'sent'"))
    assert sent >= letters and recorder.count() == sent
    first_ids = {m.message_id for m in recorder.received}

    out = cli("restore", str(backup), "--yes")[1]
    assert f"{letters} message(s) not yet sent when the backup was taken are held" in \
        " ".join(out.split())
    cli("scheduler", "--once")
    cli("scheduler", "--once")
    assert recorder.count() == sent  # nothing sent again without HR
    outbox = cli_json("outbox")
    # The backup's letters, and the notices decided again since the restore: all held.
    assert len(outbox) == sent and all(r["held"] for r in outbox)
    code, _, err = cli("outbox", "release", "--all", "--reason", " ", ok=False)
    assert code == 1 and "--reason is required: say what was checked" in " ".join(err.split())

    # HR checks with one recipient, who never got it (say), and releases that one only.
    chosen = outbox[0]
    cli("outbox", "release", str(chosen["id"]), "--reason", "the recipient has not got it")
    cli("scheduler", "--once")
    cli("scheduler", "--once")
    assert recorder.count() == sent + 1
    again = recorder.received[-1]
    assert again.to == chosen["to"]
    # The same Message-ID as the first time: the receiving system can tell it is a repeat.
    assert again.message_id == chosen["message_id"] and again.message_id in first_ids
    assert sum(r["held"] for r in cli_json("outbox")) == sent - 1
    code, _, err = cli("outbox", "release", str(chosen["id"]), "--reason", "again", ok=False)
    assert code == 1 and "not held in doubt" in err
    audit = sched_env.rows("SELECT action, data FROM auditentry WHERE action IN "
                           "('database-restored', 'outbox-message-released') ORDER BY id")
    assert [a["action"] for a in audit] == ["database-restored", "outbox-message-released"]
    assert "the recipient has not got it" in audit[1]["data"]
    assert chosen["to"] not in audit[1]["data"]  # by reference: no address in the audit log


def test_a_notice_decided_again_after_a_restore_is_held(sched_env: SchedEnv) -> None:
    """The backup predates the notice: the restored database decides it afresh, and that new
    row may be a repeat of what went out before the restore."""
    cli("demo", "--as-of", "2022-09-20")
    backup = sched_env.root / "before.db"
    cli("backup", str(backup))
    first = cli_json("scheduler", "--once", "--as-of", "2022-10-05")
    assert first["counts"]["sent"] > 0
    cli("restore", str(backup), "--yes")
    again = cli_json("scheduler", "--once", "--as-of", "2022-10-05")
    assert again["decided"] and again["counts"]["sent"] == 0
    assert all(r["held"] for r in cli_json("outbox"))
