"""Commands that set things up: init and demo."""

from __future__ import annotations

from transfer_engine.cli.app import AsOfOption, app, as_of_date, console, guarded, print_table
from transfer_engine.config import get_settings
from transfer_engine.ops.demo import SEED_WORKFLOWS, load_demo
from transfer_engine.rules.timeline import timeline
from transfer_engine.store.database import init_db, read_session
from transfer_engine.store.faults import describe


@app.command("init")
@guarded
def init() -> None:
    """Create the database and its tables (safe to run again: data is kept)."""
    init_db()
    console.print(f"Database ready: {describe(get_settings().database_url)}", soft_wrap=True,
                  highlight=False)


@app.command("demo")
@guarded
def demo(as_of: str = AsOfOption) -> None:
    """Load the three transfers of the council reports with synthetic staff (sample data)."""
    today = as_of_date(as_of)  # a bad date is refused before anything is loaded
    init_db()
    report = load_demo()
    if report.created:
        console.print(f"Loaded {len(report.created)} transfer(s) as [yellow]sample data[/] "
                      "(synthetic employees and representatives; the reports name no one).")
    if report.skipped:
        console.print(f"Already loaded: {', '.join(report.skipped)}")
    with read_session() as session:
        for ref in SEED_WORKFLOWS:
            entries = timeline(session, ref, today)
            print_table(f"{ref}: deadlines", ["step", "due", "working due", "legal basis"],
                        [[e.step, e.due_date, e.working_due_date, e.legal_basis]
                         for e in entries if e.status != "not-applicable"])
    console.print("Next: transfer-engine status ld-to-nct, transfer-engine advance ld-to-nct "
                  "approve, transfer-engine history ld-to-nct")
