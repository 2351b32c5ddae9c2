"""Text in the PDF standard fonts: WinAnsiEncoding bytes, and how wide they are.

The standard 14 fonts need no embedding, which keeps each PDF small and fast to write, but they
can only show the 217 characters of WinAnsiEncoding. That covers English and most Western
European names, plus the characters letters need: £ ’ “ ” – — • € and the non-breaking space.

WinAnsiEncoding is, for every character it defines, the same as Windows code page 1252, so
Python's ``cp1252`` codec (implemented in C) does the encoding. Characters outside it are
approximated (``Łukasz`` becomes ``Lukasz``, ``Ő`` becomes ``O``) or, as a last resort, shown as
``?``. The DOCX, HTML and plain-text renderers keep the full Unicode text; only the PDF is limited.
"""

# This module is about look-alike characters (dashes, quotes, primes), so they are deliberate.
# ruff: noqa: RUF001, RUF002

from __future__ import annotations

import codecs
import unicodedata

from transfer_engine.letters.metrics import HELVETICA, HELVETICA_BOLD

__all__ = ["FONTS", "encode", "escape_pdf_string"]

#: PDF font resource name -> (BaseFont, width table). Index = (bold << 1) | italic.
FONTS: tuple[tuple[str, str, tuple[int, ...]], ...] = (
    ("F1", "Helvetica", HELVETICA),
    ("F2", "Helvetica-Oblique", HELVETICA),
    ("F3", "Helvetica-Bold", HELVETICA_BOLD),
    ("F4", "Helvetica-BoldOblique", HELVETICA_BOLD),
)

# Letters that have no decomposition to an ASCII base but an obvious stand-in.
_STAND_INS = {
    "Ł": "L", "ł": "l", "Đ": "D", "đ": "d", "Ħ": "H", "ħ": "h", "ı": "i", "Ŀ": "L", "ŀ": "l",
    "‐": "-", "‑": "-", "‒": "-", "―": "—", "′": "'", "″": '"',
    "\u2009": " ", "\u202f": "\xa0", "\u2007": "\xa0", "\u200b": "", "\ufeff": "",
}
_ERRORS = "transfer_engine_winansi"


def _approximate(error: UnicodeError) -> tuple[str, int]:
    """Codec error handler: replace what cp1252 cannot encode with the nearest it can."""
    if not isinstance(error, UnicodeEncodeError):
        raise error
    out = []
    for char in error.object[error.start:error.end]:
        stand_in = _STAND_INS.get(char)
        if stand_in is None:
            # Strip accents the font lacks (Ő -> O + combining mark -> O); keep any accent the
            # font has by recomposing first where cp1252 holds the composed form.
            decomposed = unicodedata.normalize("NFKD", char)
            stand_in = "".join(c for c in decomposed if not unicodedata.combining(c))
            try:
                stand_in.encode("cp1252")
            except UnicodeEncodeError:
                stand_in = "?"
        out.append(stand_in or "?")
    return "".join(out), error.end


codecs.register_error(_ERRORS, _approximate)


def encode(text: str) -> bytes:
    """The WinAnsiEncoding bytes that show ``text`` (approximated where it must be)."""
    return text.encode("cp1252", _ERRORS)


def escape_pdf_string(data: bytes) -> bytes:
    """Escape bytes for a PDF literal string ``( ... )``: backslash and both parentheses."""
    if b"\\" in data:
        data = data.replace(b"\\", b"\\\\")
    if b"(" in data:
        data = data.replace(b"(", b"\\(")
    if b")" in data:
        data = data.replace(b")", b"\\)")
    if b"\r" in data:  # a bare CR in a string would be read as a line end, so escape it
        data = data.replace(b"\r", b"\\r")
    return data

