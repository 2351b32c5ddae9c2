"""``transfer-engine eli``: the employee liability information (TUPE reg 11).

A typical run for a transfer::

    transfer-engine eli check ld-to-nct                          # every gap, per employee
    transfer-engine eli export ld-to-nct --format xlsx --out eli.xlsx
    transfer-engine letters issue ld-to-nct eli-cover            # then eli-schedule
    transfer-engine eli late-reason ld-to-nct --reason "..."     # when given late (reg 11(6))
    transfer-engine eli changes ld-to-nct                        # changed since it was given
    transfer-engine eli notify-changes ld-to-nct                 # the reg 11(5) notice
"""

from __future__ import annotations

import os
from pathlib import Path

import typer

from transfer_engine.cli.app import (
    AsOfOption,
    JsonOption,
    actor,
    app,
    as_of_date,
    console,
    guarded,
    print_json,
    print_table,
)
from transfer_engine.engine.liability import pending_changes
from transfer_engine.engine.limits import ELI_LATE_REASON
from transfer_engine.errors import ValidationError
from transfer_engine.letters import service
from transfer_engine.letters.particulars import record_eli_late_reason
from transfer_engine.rules.eli import ELI_ITEMS, eli_gaps, not_required_note
from transfer_engine.store.database import read_session, write_session
from transfer_engine.store.queries import get_transfer
from transfer_engine.views.eli import ELI_FORMATS, export_eli

eli_app = typer.Typer(help="The employee liability information (TUPE reg 11): check, export, "
                           "late reason, changes.", no_args_is_help=True)
app.add_typer(eli_app, name="eli")

#: The letter that notifies changes to the ELI (reg 11(5)).
CHANGE_NOTICE = "eli-change"
_LABELS = {item.column: item.label for item in ELI_ITEMS}


@eli_app.command("check")
@guarded
def check(ref: str, as_of: str = AsOfOption, as_json: bool = JsonOption) -> None:
    """Every reg 11(2) item missing for each employee who transfers.

    Exits with status 1 while the ELI is not complete.
    """
    with read_session() as session:
        report = eli_gaps(session, get_transfer(session, ref), as_of=as_of_date(as_of))
    if as_json:
        print_json(report.as_json())
    else:
        if report.employees:
            console.print(f"{ref}: {len(report.employees)} of {report.transferring} employees "
                          f"transferring as of {report.as_of.isoformat()} lack ELI particulars "
                          "(reg 11(2)):", highlight=False, markup=False)
        else:
            console.print(f"{ref}: {report.summary()}", highlight=False, markup=False)
        if (note := not_required_note(report.transfer_date)) is not None:
            console.print(f"{ref}: {note}.", highlight=False, markup=False)
        if report.employees:
            print_table(f"{ref}: ELI gaps", ["employee", "missing", "law"],
                        [[g.employee_ref, "\n".join(i.label for i in g.missing),
                          "\n".join(i.regulation for i in g.missing)] for g in report.employees])
            console.print("Record them in the staff list (a column for each item) and import "
                          "it again, replacing the list.", highlight=False)
    if not report.complete:
        raise typer.Exit(1)


@eli_app.command("export")
@guarded
def export(
    ref: str,
    fmt: str = typer.Option("csv", "--format", help="csv or xlsx"),
    out: Path = typer.Option(..., "--out", help="The file to write (personal data: only the "
                                                "transferring employees)"),
    as_of: str = typer.Option(None, "--as-of", help="Who transfers as of this date (default "
                                                    "today): objectors and employees out of "
                                                    "scope are left out"),
) -> None:
    """Write the ELI of every transferring employee, with every reg 11(2) column."""
    if fmt not in ELI_FORMATS:
        raise ValidationError(f"--format {fmt!r}: use {' or '.join(ELI_FORMATS)}")
    with write_session() as session:
        export_file = export_eli(session, get_transfer(session, ref), fmt=fmt,
                                 as_of=as_of_date(as_of), actor=actor())
        # Written before the export is recorded, so that a file that cannot be written leaves
        # no record of an export; readable by its owner only, as it holds personal data.
        descriptor = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as file:
            file.write(export_file.content)
    console.print(f"{ref}: wrote the ELI of {export_file.rows} transferring employee(s) to {out}",
                  highlight=False, markup=False)


@eli_app.command("late-reason")
@guarded
def late_reason(
    ref: str,
    reason: str = typer.Option(..., "--reason",
                               help="The special circumstances that made giving the ELI 28 "
                                    "days before the transfer not reasonably practicable "
                                    f"(reg 11(6)); at least {ELI_LATE_REASON.min_length} "
                                    "characters; printed on the ELI letters"),
) -> None:
    """Record why the ELI is given late (reg 11(6)); a late ELI is not issued without it."""
    record_eli_late_reason(ref, reason, actor=actor())
    console.print(f"{ref}: recorded why the ELI is late; the ELI letters will give it.",
                  highlight=False, markup=False)


@eli_app.command("changes")
@guarded
def changes(ref: str, as_json: bool = JsonOption) -> None:
    """The changes to the ELI since it was given, not yet notified to the transferee."""
    with read_session() as session:
        transfer = get_transfer(session, ref)
        assert transfer.id is not None  # read from the database
        rows = [{"employee_ref": c.employee_ref, "item": c.item,
                 "label": _LABELS.get(c.item, "transfers"), "before": c.before,
                 "after": c.after, "changed_on": c.changed_on.isoformat()}
                for c in pending_changes(session, transfer.id)]
    if as_json:
        print_json(rows)
        return
    if not rows:
        console.print(f"{ref}: no change to the ELI given waits to be notified.")
        return
    print_table(f"{ref}: changes to the ELI given, not yet notified (reg 11(5))",
                ["employee", "item", "was", "is now", "changed on"],
                [[r["employee_ref"], r["label"], r["before"] or "", r["after"] or "",
                  r["changed_on"]] for r in rows])


@eli_app.command("notify-changes")
@guarded
def notify_changes(ref: str, as_of: str = AsOfOption, as_json: bool = JsonOption) -> None:
    """Issue the written notice of the changes to the ELI given (reg 11(5)) to the transferee."""
    with read_session() as session:
        transfer = get_transfer(session, ref)
        assert transfer.id is not None  # read from the database
        waiting = len(pending_changes(session, transfer.id))
    if not waiting:
        console.print(f"{ref}: no change to the ELI given waits to be notified; nothing issued.")
        return
    report = service.issue_letters(ref, CHANGE_NOTICE, actor=actor(), today=as_of_date(as_of))
    if as_json:
        print_json({**report.as_json(), "changes": waiting})
        return
    console.print(f"{ref}: notified the transferee of {waiting} change(s) to the ELI "
                  f"(letter {', '.join(str(i) for i in report.issued)}).", highlight=False,
                  markup=False)
