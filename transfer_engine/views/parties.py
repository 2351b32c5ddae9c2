"""Which party owes each step, in words: for the timeline, the transfer page and ``status``.

A workflow says who owes each step (``owed_by``): the transferor (reg 11, the ELI), the
transferee (reg 13(4), its measures; TULRCA s.188 when it proposes the dismissals), or each
employer for its own affected employees (reg 13(2), informing its own representatives).
"""

from __future__ import annotations

from collections.abc import Iterable

from transfer_engine.rules.timeline import TimelineEntry
from transfer_engine.workflow.schema import OWED_BY

__all__ = ["open_steps_by_party", "owed_by_words"]


def owed_by_words(owed_by: str | None, transferor: str | None = None,
                  transferee: str | None = None) -> str:
    """``"the transferee (Northamptonshire Children's Trust)"``; "" when the workflow does not
    say."""
    if owed_by is None:
        return ""
    words = OWED_BY.get(owed_by, owed_by)
    name = {"transferor": transferor, "transferee": transferee}.get(owed_by)
    return f"{words} ({name})" if name else words


def open_steps_by_party(entries: Iterable[TimelineEntry]) -> dict[str, list[str]]:
    """The open steps, grouped by the party that owes them, in timeline order."""
    grouped: dict[str, list[str]] = {}
    for entry in entries:
        if entry.status == "open":
            grouped.setdefault(entry.owed_by or "unstated", []).append(entry.step)
    return grouped

