"""Engine throughput: transfers driven through their whole lifecycle, one commit per trigger.

Creates N transfers from the base TUPE workflow (each with synthetic staff and a union
representative), then fires every trigger of the lifecycle on each, as HR would: guards
evaluated, state changed, steps completed, audit entry written, the state's letters owed, one
committed transaction per trigger. Prints committed transitions per second (median of the
rounds) and peak memory, beside a baseline measured in the same run: the same number of bare
committed transactions (one UPDATE and one INSERT each) through the same database driver, so
the ratio shows what the engine adds.

The letters the transitions owed (3 per transfer: the reg 13 information, the employees'
notifications and the transfer confirmations) are then issued for a sample of 200 transfers as
the CLI, the web app or the scheduler issue them, after the transitions and in transactions of
their own; their rate is printed too (letters rendered, filed as PDF, DOCX and HTML, registered
and queued per second, one per recipient).

    python bench/engine_bench.py                 # 10,000 transfers on a temporary SQLite file
    python bench/engine_bench.py --transfers 1000 --database postgresql+psycopg://...
    python bench/engine_bench.py --transfers 1000 --background 1000,10000,100000   # growth

``--background`` first fills the database with that many other transfers (bulk, see
populate.py), so the table shows whether a transition costs more when more transfers exist.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Engine

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


def drive(engine: Engine, refs: list[str]) -> tuple[int, float]:
    fired = 0
    started = time.perf_counter()
    for trigger in LIFECYCLE:
        today = TRANSFER_DATE if trigger in ("go_live", "confirm_employment", "close") else \
            TRANSFER_DATE - timedelta(days=40)
        for ref in refs:
            advance(ref, trigger, actor="bench", today=today, engine=engine)
            fired += 1
    return fired, time.perf_counter() - started


def issue_letters(engine: Engine, sample: int = 200) -> float:
    """Issue the letters the first ``sample`` transfers' transitions owed; letters (one per
    recipient) issued per second. A sample: all 10,000 transfers' would take minutes."""
    with engine.connect() as connection:
        ids = list(connection.execute(text("SELECT DISTINCT transfer_id FROM pendingletter "
                                           "ORDER BY transfer_id LIMIT :n"),
                                      {"n": sample}).scalars())
        before = connection.execute(text("SELECT count(*) FROM letter")).scalar_one()
    started = time.perf_counter()
    for transfer_id in ids:
        report = issue_pending(engine, transfer_id=transfer_id)
        assert not report.errors, report.errors[:3]
        assert all(i.outcome == "issued" for i in report.issued), report.issued
    seconds = time.perf_counter() - started
    with engine.connect() as connection:
        issued = connection.execute(text("SELECT count(*) FROM letter")).scalar_one() - before
    return issued / seconds


def baseline(engine: Engine, count: int) -> float:
    """Bare committed transactions: one UPDATE and one INSERT each, same driver."""
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE IF NOT EXISTS bench_rows "
                                "(id INTEGER PRIMARY KEY, n INTEGER)"))
        connection.execute(text("CREATE TABLE IF NOT EXISTS bench_log (n INTEGER)"))
        connection.execute(text("INSERT INTO bench_rows (id, n) VALUES (1, 0)"))
    started = time.perf_counter()
    for n in range(count):
        with engine.begin() as connection:
            connection.execute(text("UPDATE bench_rows SET n = :n WHERE id = 1"), {"n": n})
            connection.execute(text("INSERT INTO bench_log (n) VALUES (:n)"), {"n": n})
    return count / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--transfers", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3, help="rounds of --transfers each")
    parser.add_argument("--database", help="database URL (default: a temporary SQLite file)")
    parser.add_argument("--background", default="0",
                        help="comma-separated counts of other transfers already stored")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
    backend = (args.database or "sqlite").split(":")[0]
    print(f"| database | other transfers | driven transfers | transitions/s (median of "
          f"{args.rounds}) | bare commits/s | engine / bare | peak RSS | owed letters then "
          "issued/s |")
    print("|---|---|---|---|---|---|---|---|")
    for background in (int(b) for b in args.background.split(",")):
        rates, bases, peaks, letters = [], [], [], []
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
                fired, seconds = drive(engine, refs)
                peaks.append(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)
                rates.append(fired / seconds)
                letters.append(issue_letters(engine))
                bases.append(baseline(engine, min(fired, 20_000)))
                print(f"background {background}, round {round_number + 1}: {fired} transitions "
                      f"in {seconds:.1f} s ({rates[-1]:,.0f}/s); baseline {bases[-1]:,.0f} "
                      "commits/s", file=sys.stderr)
                if args.database:
                    _empty(engine)
                engine.dispose()
        median, base = statistics.median(rates), statistics.median(bases)
        print(f"| {backend} | {background:,} | {args.transfers:,} | {median:,.0f} | "
              f"{base:,.0f} | {median / base:.2f} | {max(peaks) / 2**20:.0f} MiB | "
              f"{statistics.median(letters):,.0f} |", flush=True)


def _empty(engine: Engine) -> None:
    # TRUNCATE fires no row triggers, so the audit log's append-only trigger lets it empty the
    # tables between rounds of a benchmark (never do this to a real database).
    with engine.begin() as connection:
        connection.execute(text("DROP TABLE IF EXISTS bench_rows, bench_log"))
        connection.execute(text(
            "TRUNCATE auditentry, outboxmessage, notice, pendingletter, letterfile, letter, "
            "lettertemplateversion, letterparticulars, stepinstance, keydate, "
            "representedemployee, representative, employee, transfer, organisation CASCADE"))


if __name__ == "__main__":
    main()
