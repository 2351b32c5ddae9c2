"""``transfer-engine representations``: what representatives wrote on the notices sent to them
(reg 13(6)), and HR's reply to each, with reasons when it rejects any of it (reg 13(7)).

    transfer-engine representations list ld-to-nct
    transfer-engine representations reply ld-to-nct 3 --outcome rejected --reasons "..."
"""

from __future__ import annotations

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
from transfer_engine.engine import representations as engine_representations
from transfer_engine.store.database import read_session, write_session
from transfer_engine.store.queries import get_transfer
from transfer_engine.views import representations as view

representations_app = typer.Typer(
    help="Representations on notices (reg 13(6)) and the employer's replies (reg 13(7)).",
    no_args_is_help=True)
app.add_typer(representations_app, name="representations")


@representations_app.command("list")
@guarded
def list_representations(ref: str, as_of: str = AsOfOption, as_json: bool = JsonOption) -> None:
    """Every representation on a transfer, oldest first, with its reply or when one is due."""
    today = as_of_date(as_of)
    with read_session() as session:
        transfer = get_transfer(session, ref)
        rows = view.for_transfer(session, transfer.id or 0)
    if as_json:
        print_json([r.as_json() for r in rows])
        return
    print_table(f"Representations on {ref} ({len(rows)})",
                ["id", "from", "on the notice", "representation", "reply due", "reply"],
                [[r.id, f"{r.author} ({r.union}, {r.employer})", r.notice_subject, r.text,
                  r.reply_due,
                  (f"{r.reply.outcome_label}: {r.reply.reasons}" if r.reply and r.reply.reasons
                   else r.reply.outcome_label if r.reply
                   else "OVERDUE" if r.overdue(today) else "awaiting reply")]
                 for r in rows])


@representations_app.command("reply")
@guarded
def reply(
    ref: str,
    representation_id: int = typer.Argument(..., metavar="ID",
                                            help="The representation (id in `list`)"),
    outcome: str = typer.Option(..., "--outcome",
                                help="accepted, partly-accepted or rejected"),
    reasons: str = typer.Option(
        None, "--reasons",
        help="Why (required to reject it or accept only part of it, at least "
             f"{engine_representations.REASONS.min_length} characters); the representative "
             "sees them"),
    as_of: str = AsOfOption,
) -> None:
    """Reply to a representation; the representative sees it in their portal (audited)."""
    today = as_of_date(as_of)
    with write_session() as session:
        transfer = get_transfer(session, ref)
        answer = engine_representations.reply(session, transfer, representation_id, outcome,
                                              reasons, actor=actor(), today=today)
        label = view.OUTCOME_LABELS[answer.outcome]
    console.print(f"{ref}: representation {representation_id} answered ({label.lower()}); "
                  "the representative can see the reply in the portal.", highlight=False)
