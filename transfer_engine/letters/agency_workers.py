"""What a letter says about agency workers (TUPE reg 13(2A); TULRCA s.188(4)(g)-(h)).

Reg 13(2A) asks the employer to give the representatives three things about the agency
workers working temporarily for and under its supervision and direction: how many there are,
the parts of the undertaking where they work, and the type of work they do. HR records them one
by one (``agency_worker_count``, ``agency_worker_places``, ``agency_worker_work``: the web app's
form, or a particulars file); the letters print the one statement ``transfer.agency_workers``,
made here from the three, so that every letter template, and every organisation's own version
of one, states them the same way. A sentence recorded as ``agency_workers`` is used only while
the number is not recorded.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["agency_workers_statement"]


def _phrase(text: Any) -> str:
    return " ".join(str(text).split()).rstrip(".;, ")


def agency_workers_statement(particulars: Mapping[str, Any]) -> str | None:
    """The reg 13(2A) statement made from the recorded items; None while the number is not
    recorded (or, for some agency workers, where they work or what they do is not)."""
    count = particulars.get("agency_worker_count")
    if not isinstance(count, int) or isinstance(count, bool):
        return None
    if count == 0:
        return ("No agency workers are working temporarily for us and under our supervision "
                "and direction.")
    places = _phrase(particulars.get("agency_worker_places") or "")
    work = _phrase(particulars.get("agency_worker_work") or "")
    if not places or not work:
        return None  # a gap: the letter names agency_workers as not recorded
    verb = "agency worker is" if count == 1 else "agency workers are"
    return (f"{count} {verb} working temporarily for us and under our supervision and "
            f"direction, in {places}, doing {work}.")
