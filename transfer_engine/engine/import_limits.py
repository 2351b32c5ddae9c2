"""How big a staff list may be: one set of limits for the command line and the web upload.

A staff list is read whole and checked row by row before anything is written, so its size is
bounded up front: an oversized or hostile file (a CSV of millions of rows, an XLSX that unpacks
to gigabytes of empty rows) is refused with a message before it can hold a web worker or the
command line for minutes. The largest transfers seen in practice have a few thousand staff;
the limits leave ample room above that.
"""

from __future__ import annotations

MAX_FILE_BYTES = 5 * 1024 * 1024
"""The file as uploaded or read from disk (CSV or XLSX)."""

MAX_ROWS = 10_000
"""Employee rows under the header, blank rows included."""

MAX_COLUMNS = 40
"""Columns of the header (and of any row); the import knows 33 (the staff list's nine and the
rest of the employee liability information)."""

MAX_CELLS = 400_000
"""Cells of a worksheet that an XLSX file stores, empty but formatted ones included: the
largest staff list, every column filled."""

MAX_UNPACKED_BYTES = 25 * 1024 * 1024
"""What an XLSX file (a zip archive) declares its parts unpack to, all together."""


def megabytes(size: int) -> str:
    """A size as people read it: "5 MB", "10.4 MB"."""
    value = size / (1024 * 1024)
    return f"{value:.0f} MB" if value >= 10 or value.is_integer() else f"{value:.1f} MB"


LIMITS_TEXT = (f"at most {megabytes(MAX_FILE_BYTES)}, {MAX_ROWS:,} rows and {MAX_COLUMNS} "
               f"columns (an .xlsx file: at most {MAX_CELLS:,} cells, unpacking to at most "
               f"{megabytes(MAX_UNPACKED_BYTES)})")
"""The limits in one phrase, for the command's help and the upload page."""
