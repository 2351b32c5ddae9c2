"""The ``Content-Disposition`` header of a download, safe whatever the file name holds.

File names are built from what people typed (a transfer's reference, an employee's reference
in a letter's name). A quote ends the quoted ``filename`` early, and a line break in a header
makes the server drop the connection; non-ASCII letters are not allowed in a header at all.
So (RFC 6266) the name goes in twice: ``filename*`` with the name in UTF-8, percent-encoded,
which every current browser uses, and a plain ASCII ``filename`` for the rest.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

_UNSAFE_ASCII = re.compile(r"[^A-Za-z0-9._-]+")


def content_disposition(filename: str, *, inline: bool = False) -> str:
    """The header's value for sending ``filename`` as an attachment (or shown inline)."""
    # Control characters, direction overrides and path separators have no place in a file name.
    cleaned = "".join("-" if unicodedata.category(c) in ("Cc", "Cf") or c in "/\\" else c
                      for c in unicodedata.normalize("NFC", filename)).strip() or "download"
    kind = "inline" if inline else "attachment"
    return (f'{kind}; filename="{ascii_filename(cleaned)}"; '
            f"filename*=UTF-8''{quote(cleaned, safe='')}")


def ascii_filename(filename: str) -> str:
    """``filename`` in plain ASCII: accents dropped ("Siân" as "Sian"), anything else that is
    not a letter, digit, dot, hyphen or underscore as "_"."""
    letters = "".join(c for c in unicodedata.normalize("NFKD", filename)
                      if not unicodedata.combining(c))
    return _UNSAFE_ASCII.sub("_", letters).strip("._") or "download"
