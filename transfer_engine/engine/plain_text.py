"""What text people type may hold: printable characters, in one Unicode form.

Names, roles, titles and reasons are shown again on pages, printed in letters, written to CSV
exports and put in file names. A control character (NUL, a carriage return in a name) breaks
those or hides text, and the bidirectional overrides (U+202A-U+202E, U+2066-U+2069) make text
display in a different order from the one stored ("Smith\u202eSCOD.exe"), so both are refused.
Text is stored in NFC, so that "é" typed as one character or as "e" and an accent is one name.
"""

from __future__ import annotations

import unicodedata

BIDI_CONTROLS = frozenset(map(chr, [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]))
LINE_BREAKS = frozenset("\n\r\t")
"""Allowed in text of several lines (a reason, a note); never in a name."""


def plain_text(value: str, *, multiline: bool = False) -> str:
    """``value`` in NFC; ValueError, saying which character and where, if it holds one that
    cannot be shown as typed."""
    for position, character in enumerate(value, start=1):
        code = f"U+{ord(character):04X}"
        if character in BIDI_CONTROLS:
            raise ValueError(
                f"contains an invisible character that reverses the direction of text ({code}, "
                f"character {position}); type the text again without it")
        if unicodedata.category(character) == "Cc" and not (multiline
                                                             and character in LINE_BREAKS):
            if character in LINE_BREAKS:
                raise ValueError(f"contains a line break or tab ({code}, character {position}); "
                                 "write it on one line")
            raise ValueError(
                f"contains a control character ({code}, character {position}), which cannot be "
                "shown or printed; type the text again without it")
    return unicodedata.normalize("NFC", value)


def one_line(value: str) -> str:
    """:func:`plain_text` for names, roles, titles and references: one line."""
    return plain_text(value)


def several_lines(value: str) -> str:
    """:func:`plain_text` for reasons and notes: line breaks and tabs allowed."""
    return plain_text(value, multiline=True)
