"""Scheduler sweep cost: what it costs when nothing is due, and how fast due work is queued.

1. A database holding N transfers whose deadlines are all months away (N x 14 steps: 71,429
   transfers make a million pending deadlines). A sweep on a day with nothing due must read
   next to nothing: the median of several sweeps is printed (target: under 50 ms at 1,000,000).
2. Then transfers whose deadlines fall due together are added, and one sweep decides and queues
   their reminders in the outbox (no delivery): notices queued per second (target: 2,000/s for
   10,000 due reminders).

    python bench/scheduler_bench.py                       # 1,000,000 pending deadlines
    python bench/scheduler_bench.py --sizes 1000,10000,100000 --due 2000   # growth table
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy.engine import Engine

sys.path.insert(0, str(Path(__file__).resolve().parent))

from populate import populate

from transfer_engine.config import get_settings
from transfer_engine.ops.scheduler import SweepReport, plan, sweep
from transfer_engine.outbox.queue import enqueue_many
from transfer_engine.store.database import get_engine, init_db, write_session

SWEEP_DAY = date(2026, 1, 5)          # a Monday
FUTURE = date(2027, 6, 1)             # background deadlines: all well after the sweep day
STEPS_PER_TRANSFER = 14


def quiet_sweeps(engine: Engine, rounds: int) -> list[float]:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        report = sweep(as_of=SWEEP_DAY, engine=engine)
        times.append(time.perf_counter() - started)
        assert not report.decided and not report.deliveries, "something was due"
    return times


def queue_due(engine: Engine) -> tuple[int, float]:
    """Decide and queue what is due on the sweep day (delivery is not part of this figure)."""
    settings = get_settings()
    started = time.perf_counter()
    with write_session(engine) as session:
        notices = plan(session, SWEEP_DAY, settings, SweepReport(SWEEP_DAY, False))
        enqueue_many(session, notices, settings)
    return len(notices), time.perf_counter() - started


def run(size: int, due: int, rounds: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as folder:
        os.environ["TRANSFER_ENGINE_OUTBOX"] = str(Path(folder) / "outbox")
        engine = init_db(get_engine(f"sqlite:///{Path(folder) / 'bench.db'}"))
        started = time.perf_counter()
        populate(engine, size, centre=FUTURE, spread_days=120, employees_per_transfer=0)
        filled = time.perf_counter() - started
        quiet_sweeps(engine, 2)  # warm caches: workflow files, statements, bank holidays
        quiet = quiet_sweeps(engine, rounds)
        # ELI (28 days before transfer) falls 7 days after the sweep day: a 7-day reminder.
        populate(engine, due, centre=SWEEP_DAY + timedelta(days=35), spread_days=0,
                 employees_per_transfer=0, prefix="due")
        queued, seconds = queue_due(engine)
        engine.dispose()
    return {"transfers": size, "deadlines": size * STEPS_PER_TRANSFER, "fill_s": filled,
            "quiet_ms": statistics.median(quiet) * 1000, "queued": queued,
            "queue_rate": queued / seconds if seconds else 0.0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="71429",
                        help="comma-separated transfer counts (71,429 = 1,000,000 deadlines)")
    parser.add_argument("--due", type=int, default=2_500,
                        help="transfers falling due together (each gives ~4 reminders)")
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    results = []
    for size in (int(s) for s in args.sizes.split(",")):
        results.append(run(size, args.due, args.rounds))
        print(f"done {size:,} transfers", file=sys.stderr)
    print("| transfers | pending deadlines | quiet sweep, median ms | notices queued "
          "| queued per second |")
    print("|---|---|---|---|---|")
    for r in results:
        print(f"| {r['transfers']:,} | {r['deadlines']:,} | {r['quiet_ms']:.1f} | "
              f"{r['queued']:,} | {r['queue_rate']:,.0f} |")


if __name__ == "__main__":
    main()
