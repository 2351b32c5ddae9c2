"""``transfer-engine outbox release``: HR sends again a message held in doubt.

A message is held when it may already have reached its recipient (see
:mod:`transfer_engine.outbox.recovery`). Only a person who has checked can decide, so release
asks for the reason, and the audit log keeps it.
"""

from __future__ import annotations

import typer

from transfer_engine.cli.app import JsonOption, actor, console, fail, guarded, print_json
from transfer_engine.cli.scheduler import outbox_app
from transfer_engine.outbox.recovery import release
from transfer_engine.store.database import write_session


@outbox_app.command("release")
@guarded
def release_command(
    ids: list[int] = typer.Argument(None, help="The messages to release (# in `outbox`)"),
    release_all: bool = typer.Option(False, "--all", help="Release every held message"),
    transfer: str = typer.Option(None, "--transfer", help="With --all: only this transfer's"),
    reason: str = typer.Option(..., "--reason",
                               help="What was checked, e.g. \"the recipient has not got it\""),
    as_json: bool = JsonOption,
) -> None:
    """Send again messages held in doubt (they may already have arrived: check first).

    Each goes out once more with its original Message-ID; the release and its reason are
    recorded in the audit log.
    """
    if bool(ids) == release_all:
        fail("name the messages to release (e.g. transfer-engine outbox release 12 13 "
             "--reason ...) or give --all, not both")
    if transfer and not release_all:
        fail("--transfer works with --all only")
    with write_session() as session:
        released = release(session, None if release_all else ids, reason=reason,
                           actor=actor(), transfer_ref=transfer)
    if as_json:
        print_json([{"id": r.id, "transfer": r.transfer_ref, "to": r.recipient,
                     "subject": r.subject} for r in released])
        return
    if not released:
        console.print("No message is held in doubt; nothing was released.")
        return
    for row in released:
        console.print(f"#{row.id} released: {row.subject} -> {row.recipient or '(no address)'}",
                      markup=False, highlight=False)
    console.print(f"{len(released)} message(s) released; the scheduler sends them at its next "
                  "sweep.")
