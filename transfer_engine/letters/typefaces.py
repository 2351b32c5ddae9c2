"""The fonts letters are typeset in, shipped with the package, and what they can draw.

Noto Sans (SIL Open Font License 1.1, ``fonts/OFL.txt``) in four faces: Latin, Greek and
Cyrillic with every accent a UK staff list holds (Polish, Welsh ŵ and ŷ, Romanian Ş Ţ and
Ș Ț, Vietnamese, Zoë and Brontë). The PDF renderer gives Typst these files and no others, so a
letter typesets the same on every machine; the fonts are embedded, subset, in each PDF. They
are shipped without TrueType hinting, which a PDF does not need (``scripts/letter_fonts.py``
says why and makes them).

A character none of the faces has would come out as a blank box (or not at all), so a letter
holding one is stopped before it is issued (:func:`check_drawable`), naming the recipient and
the character.
"""

from __future__ import annotations

import hashlib
import unicodedata
from functools import cache
from pathlib import Path

from fontTools.ttLib import TTFont

from transfer_engine.letters.document import (
    LINE_BREAK,
    BulletList,
    Heading,
    LetterDocument,
    Paragraph,
    Table,
    plain_text,
)
from transfer_engine.letters.errors import UnsupportedCharacterError
from transfer_engine.letters.typography import prepare

__all__ = ["FAMILY", "FONT_DIR", "FONT_FILES", "check_drawable", "check_printable", "drawable",
           "fonts_sha256"]

FAMILY = "Noto Sans"
FONT_DIR = Path(__file__).with_name("fonts")
FONT_FILES = ("NotoSans-Regular.ttf", "NotoSans-Italic.ttf", "NotoSans-Bold.ttf",
              "NotoSans-BoldItalic.ttf")


@cache
def _covered() -> frozenset[str]:
    """The characters every face can draw (a bold or italic run needs them in its face too).

    Characters, not code points: a string is then checked by one C-level subset test
    (``issuperset``) instead of a Python loop over its characters, which cost more than the
    rest of the preflight of a letter. The line break is included: it is never drawn.
    """
    faces = []
    for name in FONT_FILES:
        font = TTFont(FONT_DIR / name, lazy=True)
        try:
            faces.append(frozenset(map(chr, font.getBestCmap())))
        finally:
            font.close()
    return frozenset.intersection(*faces) | {LINE_BREAK}


@cache
def fonts_sha256() -> str:
    """One hash of the shipped font files: part of the renderer's recorded version."""
    digest = hashlib.sha256()
    for name in FONT_FILES:
        digest.update((FONT_DIR / name).read_bytes())
    return digest.hexdigest()


def drawable(text: str) -> str | None:
    """The first character of ``text`` that no face can draw, or None."""
    if text.isascii() and text.isprintable():
        return None
    covered = _covered()
    if covered.issuperset(text):
        return None
    return next(char for char in text if char not in covered)


def check_drawable(letter: LetterDocument) -> None:
    """Raise :class:`UnsupportedCharacterError` for the first character no font can draw.

    ``letter`` is in NFC already (:func:`~transfer_engine.letters.typography.prepare`): a
    decomposed accent has been composed, so only a character that truly has no glyph is left.
    """
    head = letter.letterhead
    parts: list[tuple[str, str]] = [
        ("the letterhead", " ".join((head.organisation, *head.address))),
        ("the recipient's name and address", " ".join(letter.recipient)),
        ("the date", letter.date),
        ("the subject", letter.subject),
    ]
    for block in letter.blocks:
        if isinstance(block, Paragraph):
            parts.append(("the body", plain_text(block.runs)))
        elif isinstance(block, Heading):
            parts.append(("a heading", block.text))
        elif isinstance(block, BulletList):
            parts.extend(("a list", plain_text(item)) for item in block.items)
        elif isinstance(block, Table):
            parts.extend(("a table", plain_text(row.label) + " " + plain_text(row.value))
                         for row in block.rows)
    if letter.signature is not None:
        parts.append(("the signature", " ".join((letter.signature.closing,
                                                 *letter.signature.lines))))
    if head.logo is not None:
        parts.append(("the logo's alt text", head.logo.alt))
    for where, text in parts:
        char = drawable(text)
        if char is not None:
            recipient = letter.recipient[0] if letter.recipient else "the recipient"
            raise UnsupportedCharacterError(letter.name, recipient, char, where,
                                            unicodedata.name(char, ""), FAMILY)


def check_printable(letter: LetterDocument) -> None:
    """:func:`check_drawable` for a letter as the templates made it (before it is typeset).

    Issuing runs this for every recipient before anything is written, so one letter that
    cannot be printed stops the issue with the recipient and the character named.
    """
    check_drawable(prepare(letter))
