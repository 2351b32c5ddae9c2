"""The letter model as a paginated format (PDF, DOCX) sets it: text in NFC, phrases tied.

Applied by the PDF and DOCX renderers to the :class:`LetterDocument` they are given, so that
both print the same text:

* every string in Unicode NFC: a name exported decomposed ("Sia" + U+0302 + "n") is set as the
  one character "â", which every font draws and every reader searches for;
* the spaces inside a date ("4 August 2023") and between a reference and its number
  ("reg 13(2)", "regulation 4(7)", "s. 188", "para 7.2.1") made non-breaking, so that a line
  never ends inside one;
* a letterhead address line that only repeats the organisation's name left out (the name is
  printed above it).

The email's HTML and plain text are left as the template wrote them: a mail client reflows
them anyway.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import replace
from functools import lru_cache

from transfer_engine.letters.document import (
    Block,
    BulletList,
    Heading,
    Inline,
    LetterDocument,
    Letterhead,
    Paragraph,
    Run,
    Signature,
    Table,
    TableRow,
)

__all__ = ["NBSP", "nfc", "prepare", "repeats_name", "set_text"]

NBSP = "\u00a0"

_MONTH = ("January|February|March|April|May|June|July|August|September|October|November|"
          "December")
# "4 August 2023", "4 August", "August 2023".
_DATE = re.compile(rf"\b(\d{{1,2}}) ({_MONTH})\b(?: (\d{{4}})\b)?|\b({_MONTH}) (\d{{4}})\b")
# A reference word and the number after it: "reg 13(2)", "regs 13 and 14", "s. 188",
# "section 188", "para 7.2.1", "paragraph 4", "article 7", "rule 3", "Schedule 2".
_REFERENCE = re.compile(
    r"\b(regs?\.?|regulations?|ss?\.|sections?|paras?\.?|paragraphs?|articles?|art\.|"
    r"rules?|schedules?|parts?|chapters?) (?=\(?\d)", re.IGNORECASE)


_DIGIT = re.compile(r"\d").search


def _tie_date(match: re.Match[str]) -> str:
    return NBSP.join(part for part in match.groups() if part)


def nfc(text: str) -> str:
    """``text`` in Unicode NFC (for metadata: a title is never broken across lines)."""
    if not text.isascii() and not unicodedata.is_normalized("NFC", text):
        return unicodedata.normalize("NFC", text)
    return text


@lru_cache(maxsize=4_096)
def set_text(text: str) -> str:
    """``text`` in NFC with its dates and references tied (bounded memo: mail merges repeat)."""
    text = nfc(text)
    if _DIGIT(text):  # only a text with a number can hold a date or a reference
        text = _REFERENCE.sub(lambda m: m.group(1) + NBSP, _DATE.sub(_tie_date, text))
    return text


def _runs(runs: Inline) -> Inline:
    return tuple(Run(set_text(run.text), run.bold, run.italic) for run in runs)


def _block(block: Block) -> Block:
    if isinstance(block, Paragraph):
        return Paragraph(_runs(block.runs))
    if isinstance(block, Heading):
        return Heading(block.level, set_text(block.text))
    if isinstance(block, BulletList):
        return BulletList(tuple(_runs(item) for item in block.items))
    if isinstance(block, Table):
        return Table(tuple(TableRow(_runs(row.label), _runs(row.value), row.header,
                                    row.label_is_th) for row in block.rows))
    raise TypeError(f"unknown block {block!r}")  # pragma: no cover  (Block is closed)


def repeats_name(line: str, organisation: str) -> bool:
    """Whether an address line only repeats the organisation's name (spacing and case aside).

    The letter data leaves such a line out of a sender's address; the paginated renderers leave
    it out again, for data made another way (previews from sample data, letters stored earlier).
    """
    return " ".join(line.split()).casefold() == " ".join(organisation.split()).casefold()


def prepare(letter: LetterDocument) -> LetterDocument:
    """The letter as the paginated renderers set it (see the module's docstring)."""
    head = letter.letterhead
    organisation = set_text(head.organisation)
    address = tuple(set_text(line) for line in head.address
                    if not repeats_name(line, head.organisation))
    signature = letter.signature
    if signature is not None:
        signature = Signature(set_text(signature.closing),
                              tuple(set_text(line) for line in signature.lines))
    return replace(
        letter,
        letterhead=Letterhead(organisation, address, head.logo),
        date=set_text(letter.date),
        recipient=tuple(set_text(line) for line in letter.recipient),
        subject=set_text(letter.subject),
        blocks=tuple(_block(block) for block in letter.blocks),
        signature=signature,
    )
