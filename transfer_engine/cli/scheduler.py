"""Commands of the deadline scheduler: ``scheduler`` (run it) and ``outbox`` (what it sent)."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import TextIO

import typer
from sqlmodel import col, select

from transfer_engine.cli.app import (
    EXIT_INCOMPLETE,
    AsOfOption,
    JsonOption,
    app,
    console,
    err_console,
    fail,
    guarded,
    parse_date,
    print_json,
)
from transfer_engine.config import get_settings
from transfer_engine.ops.logs import formatter
from transfer_engine.ops.scheduler import Runner, SweepReport, summary, sweep
from transfer_engine.outbox.recovery import is_held
from transfer_engine.store.database import read_session
from transfer_engine.store.messages import OutboxMessage, OutboxStatus

_PROBLEMS = (OutboxStatus.permanent_failure, OutboxStatus.failed)


class _StderrHandler(logging.StreamHandler[TextIO]):
    """Writes to whatever ``sys.stderr`` is when a line is logged (test runners swap it)."""

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _value: TextIO) -> None:
        pass


def _configure_logging(level: int) -> None:
    """Log the engine's lines to stderr (once per process, whatever the command's level)."""
    engine_log = logging.getLogger("transfer_engine")
    handler = next((h for h in engine_log.handlers if isinstance(h, _StderrHandler)), None)
    if handler is None:
        handler = _StderrHandler()
        engine_log.addHandler(handler)
    # Text, or one JSON object a line (TRANSFER_ENGINE_LOG_FORMAT=json) for a log collector.
    handler.setFormatter(formatter())
    engine_log.setLevel(level)
    # APScheduler reports every run of every job; our own lines say what each sweep did.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)


@app.command("scheduler", epilog=(
    "Exit status of --once: 0 everything due went out; 4 the sweep ran but a message was not "
    "delivered or a letter not issued (each is listed; temporary failures are retried at the "
    "next sweep); 3 the database or a folder could not be used (nothing was sent); 1 refused "
    "(a setting, an option). Without --once it runs until stopped, logging each failure and "
    "sweeping again at the next interval."))
@guarded
def scheduler(
    once: bool = typer.Option(False, "--once", help="Run one sweep and exit."),
    as_of: str = AsOfOption,
    dry_run: bool = typer.Option(False, "--dry-run",
                                 help="With --once: show what would be sent; send nothing."),
    interval: int = typer.Option(None, "--interval", min=1,
                                 help="Seconds between sweeps (default: "
                                      "TRANSFER_ENGINE_SWEEP_INTERVAL, 300)."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log more detail."),
    as_json: bool = JsonOption,
) -> None:
    """Send reminders, escalations, digests and letters when they are due.

    Without --once: runs until stopped (Ctrl-C or SIGTERM), sweeping at start-up,
    every --interval seconds and at the send time.

    --once --as-of DATE: one sweep as if it were that date; --dry-run shows what would go out.
    """
    if not once and (as_of or dry_run):
        fail("--as-of and --dry-run work with --once only, e.g. "
             "transfer-engine scheduler --once --as-of 2022-09-20 --dry-run")
    settings = get_settings()
    # The long-running process logs each action; a single sweep prints its own report.
    _configure_logging(logging.DEBUG if verbose else logging.WARNING if once else logging.INFO)
    if not once:
        Runner(settings, interval=interval).run_forever()
        return
    report = sweep(as_of=parse_date(as_of, "--as-of"), dry_run=dry_run, settings=settings)
    if as_json:
        print_json(report.as_json())
    else:
        _print_report(report)
    failures = report.failures()
    if failures:
        # A script or cron job must be able to tell that something needs attention.
        err_console.print(f"[bold red]error:[/] {len(failures)} thing(s) did not go through in "
                          "this sweep (listed above); temporary failures are tried again at "
                          "the next sweep", highlight=False)
        raise typer.Exit(EXIT_INCOMPLETE)


def _line(*parts: object) -> None:
    console.print("  ".join(str(p) for p in parts if p not in (None, "")), markup=False,
                  highlight=False, soft_wrap=True)


def _print_report(report: SweepReport) -> None:
    for warning in report.warnings:
        _line("warning:", warning)
    decided = [(n, m) for n in report.decided for m in n.messages]
    if decided:
        console.print(f"[bold]{'Would decide' if report.dry_run else 'Decided'}[/] "
                      f"(sweep for {report.day}"
                      f"{'; dry run: nothing is written or sent' if report.dry_run else ''}):")
    for notice, message in decided:
        where = "/".join(p for p in (notice.transfer_ref, notice.step_id) if p)
        _line(f"  {notice.planned_for}", "LATE" if notice.late else "    ",
              f"{notice.kind.value:<10}", where, "->", message.recipient or "(no address)",
              f"| {message.subject}", f"| NOT SENDABLE: {message.problem}"
              if message.problem else "")
    if report.letters:
        console.print("[bold]Owed state letters issued:[/]")
    for letter in report.letters:
        _line(f"  {letter.transfer_ref}", letter.describe())
    if report.letters_owed:
        console.print("[bold]State letters owed, would be issued:[/]")
    for owed in report.letters_owed:
        _line(f"  {owed['transfer']}", owed["letter"], f"(for {owed['day']})",
              f"| last attempt failed: {owed['last_error']}" if owed["last_error"] else "")
    if report.dry_run:
        if report.would_deliver:
            console.print("[bold]Already in the outbox, would be delivered:[/]")
        for row in report.would_deliver:
            _line(f"  #{row['id']}", row["planned_for"], row["kind"], row["transfer"], "->",
                  row["to"], f"| {row['subject']}")
        if not decided and not report.would_deliver and not report.letters_owed:
            _line(f"Nothing is due on {report.day}.")
        return
    if report.deliveries:
        console.print("[bold]Delivered:[/]")
    for d in report.deliveries:
        _line(f"  #{d.id}", d.status.upper(), "LATE" if d.late else "", "->", d.recipient,
              f"| {d.subject}", f"| {d.where if d.status == OutboxStatus.sent.value else d.error}")
    _line(summary(report))
    if not decided and not report.deliveries and not report.letters:
        _line("Nothing was due. The sample transfers run in 2022-2023: try "
              "transfer-engine scheduler --once --as-of 2022-09-20 --dry-run")
    for error in report.errors:
        _line("error:", error)
    if report.stopped_early:
        _line("Delivery stopped early:", report.stopped_early)


outbox_app = typer.Typer(help="The outbox: every message, and HR's release of those in doubt.")
app.add_typer(outbox_app, name="outbox")


@outbox_app.callback(invoke_without_command=True)
def outbox(
    context: typer.Context,
    status: str = typer.Option(None, "--status",
                               help="Only this status: pending, sending, sent, failed, "
                                    "permanent-failure, cancelled"),
    transfer: str = typer.Option(None, "--transfer", help="Only this transfer"),
    limit: int = typer.Option(None, "--limit", min=1, help="Only the newest N messages"),
    as_json: bool = JsonOption,
) -> None:
    """Every message the scheduler decided: where it went, or why it could not be sent.

    Messages held in doubt (they may already have reached the recipient) are listed first;
    `transfer-engine outbox release ID --reason ...` sends one again once checked.
    """
    # Not guarded itself: `outbox release --help` must answer without a database.
    if context.invoked_subcommand is None:
        _list_outbox(status, transfer, limit, as_json)


@guarded
def _list_outbox(status: str | None, transfer: str | None, limit: int | None,
                 as_json: bool) -> None:
    query = select(OutboxMessage)
    if status:
        try:
            query = query.where(OutboxMessage.status == OutboxStatus(status))
        except ValueError:
            fail(f"--status {status!r}: use one of {', '.join(s.value for s in OutboxStatus)}")
    if transfer:
        query = query.where(OutboxMessage.transfer_ref == transfer)
    query = query.order_by(col(OutboxMessage.id).desc())
    if limit:
        query = query.limit(limit)
    with read_session() as session:
        rows = list(reversed(session.exec(query).all()))
    if as_json:
        print_json([_row_json(r) for r in rows])
        return
    held = [r for r in rows if is_held(r)]
    if held:
        console.print(f"[bold red]{len(held)} message(s) are held in doubt:[/] they may already "
                      "have reached the recipient, so they are not sent again until released. "
                      "Check with the recipient, then: transfer-engine outbox release ID "
                      "--reason \"...\"  (or --all).")
        for row in held:
            _show(row, row.last_error or "")
            # The engine's note says why it is held; the command to release it is the CLI's.
            _line("     ", f"to release it: transfer-engine outbox release {row.id} "
                           "--reason \"...\"")
        console.print()
    problems = [r for r in rows if r.status in _PROBLEMS]
    if problems:
        console.print(f"[bold red]{len(problems)} message(s) could not be delivered.[/] "
                      "Permanent failures are not retried: correct the address (or give the "
                      "letter by hand) and record what was done. Temporary ones are retried.")
        console.print("[bold]Needs attention:[/]")
        for row in problems:
            _show(row, row.last_error or "")
        console.print()
    if not rows:
        console.print("The outbox is empty: run transfer-engine scheduler --once "
                      "(or --once --as-of DATE) to send what is due.")
        return
    console.print(f"[bold]Outbox ({len(rows)} message(s)):[/]")
    for row in rows:
        note = (_where(row.delivery_ref) if row.status == OutboxStatus.sent
                else row.last_error or "")
        _show(row, note)


def _where(reference: str | None) -> str:
    """A file in the outbox as a path relative to here when it is under here."""
    if not reference:
        return ""
    path = Path(reference)
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return reference


def _show(row: OutboxMessage, note: str) -> None:
    sent = f" sent {row.sent_on}" if row.sent_on else ""
    flags = "".join([" LATE" if row.late else "", " HELD IN DOUBT" if is_held(row)
                     else "", f" after {row.attempts} attempt(s)" if row.attempts > 1 else ""])
    _line(f"#{row.id}", row.status.value, f"planned {row.planned_for}{sent}{flags}",
          row.kind.value, row.transfer_ref, "->", row.recipient or "(no address)")
    _line("     ", row.subject)
    if note:
        _line("     ", note)


def _row_json(row: OutboxMessage) -> dict[str, object]:
    return {
        "id": row.id, "status": row.status.value, "kind": row.kind.value,
        "transfer": row.transfer_ref, "recipient_ref": row.recipient_ref, "to": row.recipient,
        "audience": row.audience, "subject": row.subject, "planned_for": row.planned_for,
        "sent_on": row.sent_on, "sent_at": row.sent_at, "late": row.late,
        "attempts": row.attempts, "in_doubt": row.in_doubt, "held": is_held(row),
        "last_error": row.last_error,
        "next_attempt_at": row.next_attempt_at, "message_id": row.message_id,
        "where": row.delivery_ref, "notice_id": row.notice_id,
    }
