"""Engine throughput: transfers driven through their whole lifecycle, one commit per trigger.

Creates N transfers from the base TUPE workflow (each with synthetic staff and a union
representative), then fires every trigger of the lifecycle on each, as HR would: guards
evaluated (the evidence of every step they need judged again), state changed, steps completed,
audit entry written, the state's letters owed, one committed transaction per trigger. Prints
committed transitions per second (median of the rounds; wall clock and the process's CPU time)
and peak memory, beside a baseline measured in the same run: the same number of bare committed
transactions (one UPDATE and one INSERT each) through the same database driver, so the ratio
shows what the engine adds.

A step is done only with its evidence: informing the representatives needs the reg 13 letter
issued to them, the employees' step their notifications, the ELI a schedule for every
employee, the confirmations the new employer's letters. So, as a real run does, the letters a
trigger owed (the state's and the trigger's own) are issued after it, as the CLI, the web app
and the scheduler issue them: rendered, filed as PDF, DOCX and HTML, registered and queued, in
transactions of their own. That happens between the triggers, outside the transitions' timing;
it is timed on its own and printed as letters issued per second (one per recipient: 11 per
transfer).

    python bench/engine_bench.py                 # 1,000 transfers on a temporary SQLite file
    python bench/engine_bench.py --transfers 300 --database postgresql+psycopg://...
    python bench/engine_bench.py --transfers 300 --background 1000,10000,100000   # growth

``--background`` first fills the database with that many other transfers (bulk, see
populate.py), so the table shows whether a transition costs more when more transfers exist.
On PostgreSQL the CPU time is this process's only (the server's is not counted).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

sys.path.insert(0, str(Path(__file__).resolve().parent))
from populate import populate as bulk_populate

from transfer_engine.domain import OrganisationKind, RepresentativeKind
from transfer_engine.engine.advance import advance
from transfer_engine.engine.create import create_transfer, parse_transfer_create
from transfer_engine.engine.planning import refresh_steps
from transfer_engine.letters.owed import issue_pending
from transfer_engine.letters.sample_particulars import fill_synthetic
from transfer_engine.store.database import get_engine, init_db, write_session
from transfer_engine.store.organisations import Organisation
from transfer_engine.store.people import Employee, Representative

LIFECYCLE = ["approve", "advise_unions", "record_measures", "inform_representatives",
             "notify_employees", "send_eli", "conclude_consultation", "confirm_pensions",
             "confirm_readiness", "go_live", "confirm_employment", "close"]
TRANSFER_DATE = date(2025, 6, 2)


def populate(engine: Engine, count: int) -> list[str]:
    refs = []
    with write_session(engine) as session:
        council = Organisation(slug="bench-council", name="Bench Council",
                               kind=OrganisationKind.council)
        session.add(council)
        session.add(Organisation(slug="bench-provider", name="Bench Provider",
                                 kind=OrganisationKind.company))
        session.flush()
        council_id = council.id
        assert council_id is not None  # given by the flush
    for start in range(0, count, 500):
        with write_session(engine) as session:
            for n in range(start, min(start + 500, count)):
                ref = f"bench-{n:06d}"
                transfer = create_transfer(session, parse_transfer_create({
                    "ref": ref, "title": f"Benchmark transfer {n}", "workflow_id": "tupe-base",
                    "regime": "TUPE", "regime_reason": "synthetic benchmark transfer",
                    "sample_data": True, "hr_owner": "hr.owner@example.org",
                    "transferor": "bench-council", "transferee": "bench-provider",
                    "key_dates": {"decision": TRANSFER_DATE - timedelta(days=90),
                                  "transfer": TRANSFER_DATE},
                }), actor="bench")
                assert transfer.id is not None  # given by create_transfer's flush
                for e in range(3):
                    session.add(Employee(transfer_id=transfer.id, employee_ref=f"E{e}",
                                         full_name=f"Synthetic {e}", role="Officer",
                                         email=f"e{e}.{n}@example.org",
                                         fte=Decimal(1), weekly_pay=Decimal(500),
                                         synthetic=True))
                session.add(Representative(transfer_id=transfer.id, organisation_id=council_id,
                                           kind=RepresentativeKind.recognised_union,
                                           name="Synthetic rep", union="UNISON",
                                           email="rep@example.org"))
                session.flush()
                refresh_steps(session, transfer)
                # What the letters need beyond the staff list (addresses, reasons), made up.
                fill_synthetic(session, transfer, actor="bench")
                refs.append(ref)
    return refs


@dataclass
class Timing:
    """Work done, and the wall-clock and CPU seconds it took."""

    count: int = 0
    seconds: float = 0.0
    cpu: float = 0.0

    def add(self, count: int, started: tuple[float, float]) -> None:
        self.count += count
        self.seconds += time.perf_counter() - started[0]
        self.cpu += time.process_time() - started[1]

    @property
    def rate(self) -> float:
        return self.count / self.seconds if self.seconds else 0.0

    @property
    def cpu_rate(self) -> float:
        return self.count / self.cpu if self.cpu else 0.0


def _clocks() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()


def drive(engine: Engine, refs: list[str]) -> tuple[Timing, Timing]:
    """Fire the lifecycle on every transfer, one trigger at a time across them all, issuing the
    letters each trigger owed before the next: (transitions, letters issued), timed apart."""
    transitions, letters = Timing(), Timing()
    for trigger in LIFECYCLE:
        today = TRANSFER_DATE if trigger in ("go_live", "confirm_employment", "close") else \
            TRANSFER_DATE - timedelta(days=40)
        started = _clocks()
        for ref in refs:
            advance(ref, trigger, actor="bench", today=today, engine=engine)
        transitions.add(len(refs), started)
        issue_owed(engine, letters)
    return transitions, letters


def issue_owed(engine: Engine, timing: Timing) -> None:
    """Issue every letter the last trigger owed (its steps' evidence), as the CLI does after
    a transition; each owed letter in a transaction of its own, one file set per recipient."""
    with engine.connect() as connection:
        before = connection.execute(text("SELECT count(*) FROM letter")).scalar_one()
    started = _clocks()
    report = issue_pending(engine)
    with engine.connect() as connection:
        issued = connection.execute(text("SELECT count(*) FROM letter")).scalar_one() - before
    timing.add(issued, started)
    assert not report.errors, report.errors[:3]
    # An alert instead of a letter (HR told what is missing) would leave a step without its
    # evidence, and the next trigger would be refused.
    assert all(i.outcome == "issued" for i in report.issued), \
        [i.describe() for i in report.issued if i.outcome != "issued"][:3]


def baseline(engine: Engine, count: int) -> Timing:
    """Bare committed transactions: one UPDATE and one INSERT each, same driver."""
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE IF NOT EXISTS bench_rows "
                                "(id INTEGER PRIMARY KEY, n INTEGER)"))
        connection.execute(text("CREATE TABLE IF NOT EXISTS bench_log (n INTEGER)"))
        connection.execute(text("INSERT INTO bench_rows (id, n) VALUES (1, 0)"))
    timing = Timing()
    started = _clocks()
    for n in range(count):
        with engine.begin() as connection:
            connection.execute(text("UPDATE bench_rows SET n = :n WHERE id = 1"), {"n": n})
            connection.execute(text("INSERT INTO bench_log (n) VALUES (:n)"), {"n": n})
    timing.add(count, started)
    return timing


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--transfers", type=int, default=1_000)
    parser.add_argument("--rounds", type=int, default=3, help="rounds of --transfers each")
    parser.add_argument("--database", help="database URL (default: a temporary SQLite file)")
    parser.add_argument("--background", default="0",
                        help="comma-separated counts of other transfers already stored")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
    backend = (args.database or "sqlite").split(":")[0]
    print(f"| database | other transfers | driven transfers | transitions/s (median of "
          f"{args.rounds}; wall / CPU) | bare commits/s (wall / CPU) | engine / bare (wall / "
          "CPU) | peak RSS | owed letters issued between triggers/s (wall / CPU) |")
    print("|---|---|---|---|---|---|---|---|")
    for background in (int(b) for b in args.background.split(",")):
        runs: list[tuple[Timing, Timing, Timing]] = []
        peaks = []
        for round_number in range(args.rounds):
            with tempfile.TemporaryDirectory() as folder:
                os.environ["TRANSFER_ENGINE_OUTBOX"] = str(Path(folder) / "outbox")
                os.environ["TRANSFER_ENGINE_LETTERS_DIR"] = str(Path(folder) / "letters")
                url = args.database or f"sqlite:///{Path(folder) / 'bench.db'}"
                engine = init_db(get_engine(url))
                if background:
                    bulk_populate(engine, background)
                refs = populate(engine, args.transfers)
                # Peak resident memory, not tracemalloc: tracing every allocation would slow
                # the very code being measured several times over.
                transitions, letters = drive(engine, refs)
                peaks.append(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)
                base = baseline(engine, min(transitions.count, 20_000))
                runs.append((transitions, base, letters))
                print(f"background {background}, round {round_number + 1}: "
                      f"{transitions.count} transitions in {transitions.seconds:.1f} s "
                      f"({transitions.rate:,.0f}/s; CPU {transitions.cpu:.1f} s, "
                      f"{transitions.cpu_rate:,.0f}/s); baseline {base.rate:,.0f} commits/s "
                      f"(CPU {base.cpu_rate:,.0f}/s); {letters.count} letters issued in "
                      f"{letters.seconds:.1f} s", file=sys.stderr)
                if args.database:
                    _empty(engine)
                engine.dispose()

        def median(pick: Callable[[tuple[Timing, Timing, Timing]], float],
                   runs: list[tuple[Timing, Timing, Timing]] = runs) -> float:
            return statistics.median(pick(run) for run in runs)

        rate, cpu_rate = median(lambda r: r[0].rate), median(lambda r: r[0].cpu_rate)
        bare, bare_cpu = median(lambda r: r[1].rate), median(lambda r: r[1].cpu_rate)
        print(f"| {backend} | {background:,} | {args.transfers:,} | {rate:,.0f} / "
              f"{cpu_rate:,.0f} | {bare:,.0f} / {bare_cpu:,.0f} | {rate / bare:.2f} / "
              f"{cpu_rate / bare_cpu:.2f} | {max(peaks) / 2**20:.0f} MiB | "
              f"{median(lambda r: r[2].rate):,.0f} / {median(lambda r: r[2].cpu_rate):,.0f} |",
              flush=True)


def _empty(engine: Engine) -> None:
    # TRUNCATE fires no row triggers, so the audit log's append-only trigger lets it empty the
    # tables between rounds of a benchmark (never do this to a real database).
    tables = ", ".join(table.name for table in SQLModel.metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(text("DROP TABLE IF EXISTS bench_rows, bench_log"))
        connection.execute(text(f"TRUNCATE {tables} CASCADE"))


if __name__ == "__main__":
    main()
