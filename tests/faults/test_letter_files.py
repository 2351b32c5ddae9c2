"""Letter files under faults: a bulk issue killed mid-chunk leaves no letter file behind that the
register does not own, once swept; `letters verify` lists such files until then.

Runs on the suite's database: SQLite, or PostgreSQL when TRANSFER_ENGINE_TEST_POSTGRES is set
(there the killed client's transaction is rolled back by the server).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from datetime import date
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Engine

from tests.scheduler_fixtures import transfer_with_staff, wait_for

EMPLOYEES = 240


def _files(root: Path, pattern: str) -> list[Path]:
    return sorted(root.rglob(pattern)) if root.exists() else []


def test_a_kill_during_bulk_issue_leaves_no_orphan_after_the_sweep(
        database: Engine, cli, tmp_path: Path) -> None:
    transfer_with_staff("orphans", employees=EMPLOYEES, transfer_date=date(2030, 4, 1))
    letters = tmp_path / "letters"
    process = subprocess.Popen(
        [sys.executable, "-m", "transfer_engine", "letters", "issue", "orphans",
         "employee-notification"], cwd=tmp_path, env=dict(os.environ),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    def between_chunks() -> bool:
        # A chunk committed, and only letters not committed yet staged. Not merely "a PDF and
        # a staged file": a committed chunk's staged files are put in place one by one after
        # its commit, and a kill then would leave files of letters that were registered. A
        # file's name starts with its letter's id; the disk is read before the register, so a
        # staged file whose id is above every registered one was not committed when it was
        # seen. (The next chunk may still commit between this check and the kill: about a
        # millisecond in the second a chunk takes.)
        staged = [int(path.name[:7]) for path in _files(letters, "*.part")]
        with database.connect() as connection:
            newest = connection.execute(text("SELECT max(id) FROM letter")).scalar_one()
        return bool(staged) and newest is not None and min(staged) > newest

    try:
        wait_for(between_chunks, 120, "the issue to commit a chunk and start the next")
        process.send_signal(signal.SIGKILL)
        process.wait(10)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)
    staged = _files(letters, "*.part")
    assert staged, "the kill came between two chunks; nothing was left to sweep"
    with database.connect() as connection:
        registered = connection.execute(text("SELECT count(*) FROM letter")).scalar_one()
        owned = set(connection.execute(text("SELECT path FROM letterfile")).scalars())
    assert 0 < registered < EMPLOYEES
    on_disk = {p.relative_to(letters).as_posix() for p in letters.rglob("*") if p.is_file()}
    assert on_disk - owned  # the killed chunk's files: names, addresses and pay of employees

    # verify lists them (by path), and fails while they are there.
    code, out, _ = cli("letters", "verify", "orphans", ok=False)
    assert code == 1 and "ORPHAN" in out
    code, out, _ = cli("letters", "verify", "orphans", "--json", ok=False)
    listed = {o["path"] for o in json.loads(out)["orphans"]}
    assert listed == on_disk - owned
    assert all(path.endswith(".part") for path in listed)

    # A dry run removes nothing; a sweep that spares young files (an issue may be running)
    # removes nothing either; a sweep without that margin removes them all.
    dry = cli.json("letters", "sweep-orphans", "--dry-run", "--min-age", "0")
    assert {o["path"] for o in dry["removed"]} == listed and _files(letters, "*.part")
    assert cli.json("letters", "sweep-orphans")["removed"] == []
    swept = cli.json("letters", "sweep-orphans", "--min-age", "0")
    assert {o["path"] for o in swept["removed"]} == listed
    on_disk = {p.relative_to(letters).as_posix() for p in letters.rglob("*") if p.is_file()}
    assert on_disk == owned
    assert cli("letters", "verify", "orphans")[0] == 0

    # Running the issue again finishes it: every employee holds one letter, every file owned.
    cli("letters", "issue", "orphans", "employee-notification")
    with database.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM letter")).scalar_one() == EMPLOYEES
    assert cli("letters", "verify", "orphans")[0] == 0
    assert not _files(letters, "*.part")
