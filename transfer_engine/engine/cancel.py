"""Cancelling a transfer: the trigger into the ``cancelled`` state, with its reason, and what
stops with it.

A cancelled transfer owes nothing more: its open steps are no longer deadlines (pages, the
dashboard and the calendar feed leave them out), the scheduler plans no more reminders for it
and drops those already queued (outbox/worker.py), and the letters earlier states left owed and
not yet issued are not issued. Who may cancel is the caller's business (the web app and the API:
HR administrators only).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.engine import Engine

from transfer_engine.engine.advance import AdvanceResult, advance
from transfer_engine.workflow.definition import WorkflowDefinition

CANCELLED = "cancelled"


def cancelling_triggers(definition: WorkflowDefinition) -> list[str]:
    """The triggers that cancel a transfer: those into the ``cancelled`` state."""
    return [name for name, trigger in definition.triggers.items() if trigger.dest == CANCELLED]


def is_cancelling(definition: WorkflowDefinition, trigger: str) -> bool:
    return trigger in cancelling_triggers(definition)


def cancel_transfer(ref: str, trigger: str, *, reason: str, actor: str,
                    expected_version: int | None = None, today: date | None = None,
                    engine: Engine | None = None) -> AdvanceResult:
    """Fire the cancelling ``trigger`` with ``reason`` as its note. Entering the end state drops
    the letters owed by earlier states and not yet issued, in the same transaction (audited, by
    letter name: see :func:`transfer_engine.engine.advance.advance`)."""
    return advance(ref, trigger, actor=actor, note=reason, expected_version=expected_version,
                   today=today, engine=engine)
