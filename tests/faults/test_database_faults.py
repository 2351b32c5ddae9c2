"""Storage faults an operator can meet, met for real: each gives a clear message and an exit
status (or the web's 503 page), never a traceback, and loses or repeats nothing.

* another process holds SQLite's write lock past the timeout (TRANSFER_ENGINE_DB_TIMEOUT, one
  second here) while ``advance``, ``scheduler --once`` (mail to a real SMTP server) and a web
  form run; once it lets go, every message goes out exactly once;
* the letters folder cannot be written (``letters issue`` and ``advance``);
* the mail server is down, or the outbox folder cannot be written (``scheduler --once``);
* the database file does not exist (``list`` says where it looked, and creates nothing).

The commands run as separate processes, as an operator runs them.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import text

from tests.conftest import POSTGRES, run_cli
from tests.scheduler_fixtures import (
    SchedEnv,
    SmtpRecorder,
    free_port,
    subprocess_env,
    transfer_with_staff,
)
from tests.web_fixtures import WebEnv
from transfer_engine.config import get_settings
from transfer_engine.engine.advance import advance
from transfer_engine.letters.owed import issue_pending
from transfer_engine.ops.scheduler import Runner

DAY = date(2022, 9, 16)  # the transfer below enters consultation that day
TIMEOUT = "1"            # seconds a command waits for the write lock

_HOLD_WRITE_LOCK = """
import sqlite3, sys
connection = sqlite3.connect(sys.argv[1], isolation_level=None)
connection.execute("BEGIN IMMEDIATE")  # a change in progress: the write lock is taken
print("locked", flush=True)
sys.stdin.readline()                   # held until the test lets go
connection.execute("ROLLBACK")
"""


@contextmanager
def write_lock_held(database: Path) -> Iterator[None]:
    """Another process holds ``database``'s write lock for the duration of the block."""
    holder = subprocess.Popen([sys.executable, "-c", _HOLD_WRITE_LOCK, str(database)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert holder.stdin is not None and holder.stdout is not None
    try:
        assert holder.stdout.readline().strip() == "locked"
        yield
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
        holder.stdout.close()


def run(env: SchedEnv, *args: str, **settings: str) -> subprocess.CompletedProcess[str]:
    """``transfer-engine ARGS`` as its own process, in the test's folder."""
    return subprocess.run([sys.executable, "-m", "transfer_engine", *args], cwd=env.root,
                          env=subprocess_env(env, **settings), capture_output=True, text=True,
                          timeout=120)


def no_traceback(result: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in result.stderr + result.stdout, result.stderr


def consulting(ref: str, *, letters: bool = True) -> None:
    """A transfer that entered consultation on DAY; with ``letters``, its letters (to three
    employees and a representative) are issued into the outbox, as the command line does."""
    transfer_with_staff(ref, employees=3, representatives=1, transfer_date=date(2022, 11, 1),
                        decision=date(2022, 9, 1))
    for trigger in ("approve", "record_measures", "inform_representatives"):
        advance(ref, trigger, actor="test", note="test", today=DAY)
    if letters:
        assert not issue_pending().errors


def smtp_settings(port: int) -> dict[str, str]:
    return {"TRANSFER_ENGINE_MAIL": "smtp", "TRANSFER_ENGINE_SMTP_HOST": "127.0.0.1",
            "TRANSFER_ENGINE_SMTP_PORT": str(port), "TRANSFER_ENGINE_SMTP_TIMEOUT": "30",
            "TRANSFER_ENGINE_DB_TIMEOUT": TIMEOUT}


# ---------------------------------------------------------------------------------------------
# A database locked by another process


def test_a_locked_database_stops_advance_and_the_scheduler_clearly_and_loses_nothing(
        sched_env: SchedEnv, smtp_server: tuple[SmtpRecorder, int]) -> None:
    recorder, port = smtp_server
    consulting("lock-test")
    queued = [r["message_id"] for r in sched_env.rows(
        "SELECT message_id FROM outboxmessage WHERE status = 'pending'")]
    assert len(queued) >= 4  # three employees' letters and the representative's
    before = sched_env.rows("SELECT state, version FROM transfer WHERE ref = 'lock-test'")[0]
    history = len(sched_env.rows("SELECT id FROM auditentry"))
    settings = smtp_settings(port)

    with write_lock_held(sched_env.db_path):
        started = time.monotonic()
        advanced = run(sched_env, "advance", "lock-test", "notify_employees", "--note",
                       "individual meetings held", "--as-of", DAY.isoformat(), **settings)
        swept = run(sched_env, "scheduler", "--once", "--as-of", DAY.isoformat(), **settings)
        waited = time.monotonic() - started
    for result in (advanced, swept):
        assert result.returncode == 3, result.stderr
        no_traceback(result)
        # What happened, where, and what to do.
        assert f"the database {sched_env.db_path} is busy" in result.stderr
        assert "not saved" in result.stderr and "TRANSFER_ENGINE_DB_TIMEOUT" in result.stderr
    assert waited < 60  # each waited its one second, not the default thirty
    assert recorder.count() == 0
    after = sched_env.rows("SELECT state, version FROM transfer WHERE ref = 'lock-test'")[0]
    assert tuple(after) == tuple(before)
    assert len(sched_env.rows("SELECT id FROM auditentry")) == history

    # Once the lock is let go, every message goes out once; a second sweep sends nothing more.
    swept = run(sched_env, "scheduler", "--once", "--as-of", DAY.isoformat(), **settings)
    assert swept.returncode == 0, swept.stdout + swept.stderr
    received = sorted(r.message_id for r in recorder.received)
    assert set(queued) <= set(received)  # with the reminders this sweep decided
    again = run(sched_env, "scheduler", "--once", "--as-of", DAY.isoformat(), **settings)
    assert again.returncode == 0, again.stdout + again.stderr
    # Each message reached the server once: no duplicates, and every one recorded as sent.
    assert sorted(r.message_id for r in recorder.received) == received
    assert len(set(received)) == len(received)
    assert sorted(r["message_id"] for r in sched_env.rows(
        "SELECT message_id FROM outboxmessage WHERE status = 'sent'")) == received
    # And the change refused under the lock can now be made.
    advanced = run(sched_env, "advance", "lock-test", "notify_employees", "--note",
                   "individual meetings held", "--as-of", DAY.isoformat(), **settings)
    assert advanced.returncode == 0, advanced.stderr


def test_the_long_running_scheduler_logs_a_locked_database_and_sweeps_again(
        sched_env: SchedEnv, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    consulting("runner-test")
    monkeypatch.setenv("TRANSFER_ENGINE_DB_TIMEOUT", TIMEOUT)
    runner = Runner(get_settings())
    with write_lock_held(sched_env.db_path), caplog.at_level(logging.INFO, "transfer_engine"):
        runner.run_sweep()  # must not raise: the process outlives the outage
    failed = [r for r in caplog.records if "the sweep failed" in r.getMessage()]
    assert len(failed) == 1 and failed[0].levelno == logging.ERROR
    assert "is busy" in failed[0].getMessage() and failed[0].exc_info is None  # no traceback
    assert runner.sweeps == 0

    runner.run_sweep()  # the next sweep, once the lock is let go, does the work
    assert runner.sweeps == 1
    statuses = {r["status"] for r in sched_env.rows("SELECT status FROM outboxmessage")}
    assert statuses == {"sent"}
    assert len(list((sched_env.root / "outbox").glob("*.eml"))) == len(
        sched_env.rows("SELECT id FROM outboxmessage"))


@pytest.fixture
def short_db_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    """A one-second wait for the write lock (requested before ``web`` makes the engine)."""
    monkeypatch.setenv("TRANSFER_ENGINE_DB_TIMEOUT", TIMEOUT)


def test_a_form_sent_while_the_database_is_locked_gets_the_unavailable_page(
        short_db_timeout: None, web: WebEnv) -> None:
    if web.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's write lock; PostgreSQL locks rows instead")
    database = Path(str(web.engine.url.database))
    officer = web.as_role("hr_officer")
    ld = web.ids["ld-to-nct"]
    form = {"trigger": "approve", "version": str(web.version("ld-to-nct")),
            "note": "Joint Committee minute 7", "csrf_token": officer.token(f"/transfers/{ld}")}
    api = web.api("officer@example.org")

    with write_lock_held(database):
        page = officer.client.post(f"/transfers/{ld}/advance", data=form)
        call = api.post(f"/api/v1/transfers/{ld}/advance", json={"trigger": "approve"})

    assert page.status_code == 503
    assert "Sorry, the service is unavailable" in page.text
    assert "nothing you sent has been saved" in page.text
    assert str(database) not in page.text  # the details are for the operator's log
    assert call.status_code == 503 and "nothing was saved" in call.json()["detail"]
    for response in (page, call):
        assert int(response.headers["retry-after"]) > 0
        # The app's own response, with the security headers of every page.
        assert "default-src" in response.headers["content-security-policy"]
        assert response.headers["cache-control"] == "no-store"
    with web.engine.connect() as connection:
        state = connection.exec_driver_sql(
            "SELECT state FROM transfer WHERE ref = 'ld-to-nct'").scalar_one()
    assert state == "proposed"
    # Once the lock is let go, the same form goes through.
    moved = officer.client.post(f"/transfers/{ld}/advance", data=form)
    assert moved.status_code == 303
    with web.engine.connect() as connection:
        assert connection.exec_driver_sql(
            "SELECT state FROM transfer WHERE ref = 'ld-to-nct'").scalar_one() == "approved"


# ---------------------------------------------------------------------------------------------
# Folders that cannot be written


def unwritable(folder: Path) -> Callable[[], None]:
    """Make ``folder`` impossible to write into; returns how to put it right.

    Permissions stop anyone but root; the tests may run as root, who writes through them, so
    then a file stands where the folder should be, which stops root too.
    """
    if os.geteuid() != 0:
        folder.mkdir(parents=True, exist_ok=True)
        folder.chmod(0o500)
        return lambda: folder.chmod(0o700)
    folder.write_text("not a folder\n")

    def fix() -> None:
        folder.unlink()
        folder.mkdir()

    return fix


def test_an_unwritable_letters_folder_is_reported_and_nothing_is_issued(
        sched_env: SchedEnv) -> None:
    letters = sched_env.root / "issued-letters"
    settings = {"TRANSFER_ENGINE_LETTERS_DIR": str(letters)}
    transfer_with_staff("folder-test", employees=3, representatives=1,
                        transfer_date=date(2022, 11, 1), decision=date(2022, 9, 1))
    for trigger in ("approve", "record_measures"):
        advance("folder-test", trigger, actor="test", note="test", today=DAY)
    fix = unwritable(letters)

    advanced = run(sched_env, "advance", "folder-test", "inform_representatives", "--note",
                   "reg 13 letter", "--as-of", DAY.isoformat(), **settings)
    # Dated DAY, as HR would: dated today it would fall after the transfer, which the sense
    # checks refuse before the folder is touched.
    issued = run(sched_env, "letters", "issue", "folder-test", "employee-notification",
                 "--as-of", DAY.isoformat(), **settings)
    # The transition stands (exit 4: done, but its letters were not); the issue did nothing.
    assert advanced.returncode == 4, advanced.stdout + advanced.stderr
    assert "consulting" in advanced.stdout
    assert issued.returncode == 3, issued.stdout + issued.stderr
    for result in (advanced, issued):
        no_traceback(result)
        assert str(letters) in result.stdout + result.stderr
        assert "TRANSFER_ENGINE_LETTERS_DIR" in result.stdout + result.stderr
    assert sched_env.rows("SELECT id FROM letter") == []
    assert sched_env.rows("SELECT id FROM outboxmessage WHERE kind = 'letter'") == []
    owed = sched_env.rows("SELECT letter, attempts, last_error FROM pendingletter")
    assert owed and all(r["attempts"] == 1 and str(letters) in r["last_error"] for r in owed)
    assert not list(sched_env.root.rglob("*.part")) and not list(sched_env.root.rglob("*.pdf"))

    # Put right: the letters owed by the state and the one issued by hand go out, with files.
    fix()
    issued = run(sched_env, "letters", "issue", "folder-test", "employee-notification",
                 "--as-of", DAY.isoformat(), **settings)
    assert issued.returncode == 0, issued.stdout + issued.stderr
    swept = run(sched_env, "scheduler", "--once", "--as-of", DAY.isoformat(), **settings)
    assert swept.returncode == 0, swept.stdout + swept.stderr
    assert sched_env.rows("SELECT id FROM pendingletter") == []
    files = sched_env.rows("SELECT path FROM letterfile")
    assert files and all((letters / r["path"]).is_file() for r in files)


@pytest.mark.parametrize("fault", ["smtp server down", "outbox folder unwritable"])
def test_the_scheduler_exits_non_zero_when_a_message_is_not_delivered(
        sched_env: SchedEnv, fault: str) -> None:
    consulting("mail-test")
    if fault == "smtp server down":
        settings = smtp_settings(free_port())  # nothing listens there
    else:
        outbox = sched_env.root / "mail-out"
        unwritable(outbox)
        settings = {"TRANSFER_ENGINE_OUTBOX": str(outbox)}

    swept = run(sched_env, "scheduler", "--once", "--as-of", DAY.isoformat(), **settings)
    assert swept.returncode == 4, swept.stdout + swept.stderr
    no_traceback(swept)
    assert "FAILED" in swept.stdout and "did not go through" in swept.stderr
    statuses = {r["status"] for r in sched_env.rows("SELECT status FROM outboxmessage")}
    assert "sent" not in statuses and "failed" in statuses  # kept, to be tried again

    # A script reading --json gets the same status, and what failed.
    as_json = run(sched_env, "scheduler", "--once", "--as-of", DAY.isoformat(), "--json",
                  **settings)
    assert as_json.returncode == 4, as_json.stdout + as_json.stderr
    assert "not delivered" in json.loads(as_json.stdout)["failures"][0]


# ---------------------------------------------------------------------------------------------
# No database where the settings point


def test_a_missing_database_is_reported_and_not_created(sched_env: SchedEnv) -> None:
    missing = sched_env.root / "elsewhere" / "transfers.db"
    missing.parent.mkdir()
    settings = {"TRANSFER_ENGINE_DATABASE_URL": f"sqlite:///{missing}"}
    for command in (["list"], ["scheduler", "--once"], ["outbox"]):
        result = run(sched_env, *command, **settings)
        assert result.returncode == 3, result.stdout + result.stderr
        no_traceback(result)
        assert f"no transfer-engine database at {missing}" in result.stderr
        assert "transfer-engine init" in result.stderr
        assert list(missing.parent.iterdir()) == []  # nothing created, not even empty
    # Help needs no database; init makes one, and then the commands work.
    assert run(sched_env, "list", "--help", **settings).returncode == 0
    assert list(missing.parent.iterdir()) == []
    made = run(sched_env, "init", **settings)
    assert made.returncode == 0 and str(missing) in made.stdout
    listed = run(sched_env, "list", "--json", **settings)
    assert listed.returncode == 0 and listed.stdout.strip() == "[]"


@pytest.mark.skipif(not POSTGRES, reason="a PostgreSQL row lock (SQLite's write lock: above)")
def test_a_transfer_locked_by_a_stuck_session_is_reported_not_waited_for(demo) -> None:
    # Another session holds the transfer's row (as a stuck command would, mid-change).
    with demo.connect() as stuck:
        stuck.execute(text("SELECT id FROM transfer WHERE ref = 'ld-to-nct' FOR UPDATE"))
        started = time.monotonic()
        blocked = run_cli("advance", "ld-to-nct", "approve", "--as-of", "2022-09-07",
                          env={"TRANSFER_ENGINE_DB_TIMEOUT": "1"})
        waited = time.monotonic() - started
        stuck.rollback()

    assert blocked.returncode == 3, blocked.stdout + blocked.stderr
    assert "Traceback" not in blocked.stderr
    assert "is busy" in blocked.stderr and "not saved" in blocked.stderr
    assert "TRANSFER_ENGINE_DB_TIMEOUT" in blocked.stderr
    assert waited < 30  # its one second, not for ever
    with demo.connect() as connection:
        state = connection.execute(text("SELECT state FROM transfer WHERE ref = 'ld-to-nct'"))
        assert state.scalar_one() == "proposed"
    # Once the session lets go, the same command goes through.
    done = run_cli("advance", "ld-to-nct", "approve", "--as-of", "2022-09-07",
                   env={"TRANSFER_ENGINE_DB_TIMEOUT": "1"})
    assert done.returncode == 0, done.stderr
