"""Commands that look after the database: migrations, backups, retention."""

from __future__ import annotations

import os
from pathlib import Path

import typer

from transfer_engine.cli.app import (
    AsOfOption,
    actor,
    app,
    console,
    err_console,
    guarded,
    parse_date,
)
from transfer_engine.ops.retention import backup, purge_personal_data, restore
from transfer_engine.store.database import (
    current_revision,
    head_revision,
    upgrade,
    write_session,
)
from transfer_engine.store.definitions import store_missing_definitions
from transfer_engine.store.queries import audit

db_app = typer.Typer(help="Schema migrations.", no_args_is_help=True)
app.add_typer(db_app, name="db")

DEFAULT_RETENTION_DAYS = 6 * 365  # Limitation Act 1980 s.5: six years for contract claims


@db_app.command("upgrade")
@guarded
def db_upgrade(revision: str = typer.Argument("head")) -> None:
    """Apply the schema migrations (safe to run again; data is kept)."""
    before = current_revision()
    after = upgrade(revision=revision)
    console.print(f"Schema at {after}" + (f" (was {before})" if before != after else ""))
    if after == head_revision():
        # Transfers made before workflow versions were kept get theirs from the files now.
        with write_session() as session:
            stored = store_missing_definitions(session, actor=actor())
            if stored:
                audit(session, None, actor(), "workflow-versions-stored",
                      data={"workflows": stored})
        if stored:
            console.print(f"Kept the workflow versions running transfers use: "
                          f"{', '.join(stored)}")


@db_app.command("current")
@guarded
def db_current() -> None:
    """The schema revision of the database."""
    console.print(current_revision() or "(empty database)")


@app.command("backup")
@guarded
def backup_command(target: Path) -> None:
    """Copy the SQLite database to a new file while it is in use."""
    console.print(f"Backed up to {backup(target)}")


@app.command("restore")
@guarded
def restore_command(
    backup_file: Path,
    yes: bool = typer.Option(False, "--yes", help="Confirm: the current data is replaced"),
) -> None:
    """Replace the SQLite database with a backup (stop the app and scheduler first)."""
    if not yes:
        console.print("This replaces every transfer with the backup's. Run again with --yes.")
        raise typer.Exit(1)
    destination, held, (kept, stuck) = restore(backup_file, actor=actor())
    console.print(f"Restored {destination} from {backup_file}")
    if kept:
        # Issued after the backup: the register no longer has them, but they may have gone out.
        folder = kept[0].split("/", 2)[:2]
        console.print(f"{len(kept)} letter file(s) issued after the backup was taken are kept "
                      f"in {'/'.join(folder)} under the letters folder: the restored register "
                      "does not know them, and they are the record of what may have been sent",
                      highlight=False)
    if stuck:
        err_console.print(f"[bold red]error:[/] the database is restored, but {len(stuck)} letter "
                          "file(s) issued after the backup could not be moved aside: "
                          f"{'; '.join(stuck[:5])}. Stop the scheduler, move them under "
                          "issued-after-backup/ in the letters folder yourself (the orphan "
                          "sweep would remove them), then start it again", highlight=False)
        raise typer.Exit(4)
    if held:
        # What the backup holds as unsent may have gone out after it was taken.
        console.print(f"{len(held)} message(s) not yet sent when the backup was taken are held "
                      "in doubt, not sent again: check with the recipients, then run "
                      "transfer-engine outbox release ID (or --all) --reason ...",
                      highlight=False)


@app.command("purge-personal-data")
@guarded
def purge_command(
    retention_days: int = typer.Option(
        int(os.environ.get("TRANSFER_ENGINE_RETENTION_DAYS", DEFAULT_RETENTION_DAYS)),
        "--retention-days", help="Keep personal data this long after the transfer date"),
    dry_run: bool = typer.Option(False, "--dry-run", help="Only say what would be purged"),
    as_of: str = AsOfOption,
) -> None:
    """Remove employees' personal data from finished transfers past the retention period."""
    report = purge_personal_data(retention_days=retention_days, today=parse_date(as_of, "--as-of"),
                                 actor=actor(), dry_run=dry_run)
    verb = "Would purge" if dry_run else "Purged"
    console.print(f"{verb} personal data of {report.employees} employee(s) in "
                  f"{len(report.transfers)} transfer(s)"
                  + (f": {', '.join(report.transfers)}" if report.transfers else ""))
