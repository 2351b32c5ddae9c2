"""How messages about sample data are marked, in their subject and body."""

from __future__ import annotations

from typing import Any


def sample_prefix(transfer: Any) -> str:
    """Marks the subject of anything about sample data (``transfer``: any row with
    ``sample_data``)."""
    return "[sample data] " if transfer.sample_data else ""


def sample_note(transfer: Any) -> str:
    return ("\nThis transfer is SAMPLE DATA: its employees and representatives are synthetic.\n"
            if transfer.sample_data else "")
