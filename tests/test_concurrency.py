"""Two people advancing the same transfer at once: one wins, the other gets a conflict."""

import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import Cli

RACE = """
import sys, time
from transfer_engine import ConflictError, advance
start = float(sys.argv[1])
while time.time() < start:
    pass
try:
    advance("ld-to-nct", "approve", actor=sys.argv[2], expected_version=int(sys.argv[3]))
    print("won")
except ConflictError as exc:
    print("conflict:", exc)
"""


def test_two_processes_advancing_at_once_one_wins_one_conflicts(
    demo, cli: Cli, tmp_path: Path
) -> None:
    version = cli.json("status", "ld-to-nct")["version"]
    script = tmp_path / "race.py"
    script.write_text(RACE)
    start = time.time() + 1.5
    procs = [subprocess.Popen([sys.executable, str(script), str(start), f"officer-{i}",
                               str(version)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for i in (1, 2)]
    outputs = [p.communicate(timeout=60) for p in procs]
    results = sorted(out.strip().split(":")[0] for out, _ in outputs)
    assert results == ["conflict", "won"], outputs
    assert "Nothing was written" in "".join(out for out, _ in outputs)
    status = cli.json("status", "ld-to-nct")
    assert status["state"] == "approved" and status["version"] == version + 1
    advances = [h for h in cli.json("history", "ld-to-nct") if h["action"] == "advance"]
    assert len(advances) == 1


def test_cli_expect_version_refuses_a_stale_view(demo, cli: Cli) -> None:
    version = cli.json("status", "ld-to-nct")["version"]
    cli("advance", "ld-to-nct", "approve", "--expect-version", str(version))
    code, _, err = cli("advance", "ld-to-nct", "advise_unions", "--expect-version",
                       str(version), ok=False)
    assert code == 1 and "changed by someone else" in err
    assert [h["action"] for h in cli.json("history", "ld-to-nct")].count("advance") == 1


def test_many_concurrent_writers_lose_nothing(demo, cli: Cli, tmp_path: Path) -> None:
    # Eight processes each add a note-only step to different transfers at the same moment:
    # every write lands (SQLite serialises them; none is lost or reported as a conflict).
    script = tmp_path / "writer.py"
    script.write_text(
        "import sys, time\n"
        "from transfer_engine import advance\n"
        "start = float(sys.argv[1])\n"
        "while time.time() < start: pass\n"
        "advance(sys.argv[2], 'approve', actor='officer', today=__import__('datetime')"
        ".date(2023, 1, 18))\n"
    )
    refs = [f"acsws-to-schools/school-{n:02d}" for n in (3, 5, 6, 7, 8, 9, 10, 11)]
    start = time.time() + 1.5
    procs = [subprocess.Popen([sys.executable, str(script), str(start), ref]) for ref in refs]
    assert [p.wait(timeout=60) for p in procs] == [0] * len(refs)
    assert {cli.json("status", ref)["state"] for ref in refs} == {"approved"}


SAME_TRIGGER = """
import sys, time
from transfer_engine import GuardRefusedError, advance
start = float(sys.argv[1])
while time.time() < start:
    pass
try:
    advance("ld-to-nct", "advise_unions", actor=sys.argv[2])
    print("recorded")
except GuardRefusedError as exc:
    print("refused:", exc)
"""


def test_ten_identical_triggers_at_once_are_recorded_once(demo, cli: Cli, tmp_path: Path) -> None:
    cli("advance", "ld-to-nct", "approve")
    script = tmp_path / "same.py"
    script.write_text(SAME_TRIGGER)
    start = time.time() + 3
    procs = [subprocess.Popen([sys.executable, str(script), str(start), f"officer-{i}"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for i in range(10)]
    outputs = [p.communicate(timeout=120) for p in procs]
    results = [out.strip() for out, _ in outputs]
    assert sorted(r.split(":")[0] for r in results) == ["recorded"] + ["refused"] * 9, outputs
    winner = next(f"officer-{i}" for i, r in enumerate(results) if r == "recorded")
    for refusal in (r for r in results if r != "recorded"):
        assert "already done: advise_unions" in refusal and f" by {winner}" in refusal
    entries = [h for h in cli.json("history", "ld-to-nct") if h["action"] == "advance"
               and h["data"]["trigger"] == "advise_unions"]
    assert len(entries) == 1 and entries[0]["actor"] == winner
