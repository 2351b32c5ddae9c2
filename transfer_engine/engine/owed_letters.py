"""Letters a workflow state names (``letters:``): decided by the transition, issued just after.

Entering ``consulting`` means the representatives get the regulation 13 information and every
employee their notification. The transition that enters the state *decides* this: it writes one
:class:`~transfer_engine.store.tables.PendingLetter` row per letter in its own transaction, so the
letter is owed if and only if the state change is committed. It does not render anything.
Rendering, filing and registering a letter to a hundred employees takes far longer than the
transition itself, and the transfer's lock (on SQLite, the database's one writer) would be held
all that time; so the letters are *issued* in a transaction of their own straight after:

* by whoever fired the trigger: the CLI, the web page and the API call :func:`issue_pending`
  for that transfer once ``advance`` returns, so HR sees the letters at once;
* by every scheduler sweep, for whatever is left: a transition fired by a script that does not
  issue, or a process that stopped between the two transactions.

Exactly once: a pending letter is taken with its row locked (``FOR UPDATE SKIP LOCKED`` on
PostgreSQL, so two processes never take the same one; SQLite has one writer at a time), issued
through the outbox under the key ``letter:<transfer>:<letter>:<day>``, and deleted in the same
transaction. A letter already decided for that transfer and day is not issued again. A
recipient who already holds the letter is not sent it again.

A letter that cannot be issued because of what the transfer lacks (a missing field, nobody to
send it to, a representative's letter that would show an employee's name) alerts the HR owner
with what to fix, and nothing of that letter is issued. Representatives are told counts, never
an employee's name or pay.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import insert
from sqlalchemy.engine import Connection

from transfer_engine.dates.clock import utcnow
from transfer_engine.store.messages import PendingLetter

_PENDING = PendingLetter.__table__  # type: ignore[attr-defined]
_RECORD = insert(_PENDING)


def record_pending(connection: Connection, *, transfer_id: int, transfer_ref: str,
                   letters: Sequence[str], day: date, actor: str) -> None:
    """Owe ``letters`` for this transfer and day (inside the transition's transaction)."""
    if letters:
        now = utcnow()
        connection.execute(_RECORD, [
            {"transfer_id": transfer_id, "transfer_ref": transfer_ref, "letter": name,
             "letter_date": day, "actor": actor, "created_at": now, "attempts": 0}
            for name in letters])
