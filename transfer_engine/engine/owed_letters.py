"""Owing a state's letters: the transition records them, it does not render them.

One :class:`~transfer_engine.store.messages.PendingLetter` row per letter, written in the
transition's own transaction, so a letter is owed if and only if the state change commits.
Issuing them (rendering, filing, queueing) happens after, in :mod:`transfer_engine.letters.owed`,
which explains the whole path.
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
