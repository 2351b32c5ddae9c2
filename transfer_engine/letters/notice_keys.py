"""How the outbox keys the notice of a letter, and reading the letter's name back from a key.

A letter's notice is keyed ``letter:<transfer id>:<letter>:...``: a workflow state's letter
for a day (``letter:7:reg13-information:2022-09-20``), a letter issued by hand with its
register key (``letter:7:reg13-information:representative:3:1``), a copy sent again with a
suffix. Pages and the portal read the letter's name back to say which letter a message is.
"""

from __future__ import annotations

__all__ = ["letter_of_key"]


def letter_of_key(key: str) -> str | None:
    """The letter a notice key names (``reg13-information``), or None for another notice."""
    if not key.startswith("letter:"):
        return None
    parts = key.split(":")
    return parts[2] if len(parts) > 2 else None
