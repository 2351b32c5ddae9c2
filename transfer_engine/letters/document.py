"""The structured form of a letter, which every output format is rendered from.

A letter's template produces HTML; the parser turns that HTML into a :class:`LetterDocument`, and
each renderer (PDF, DOCX, plain text, email HTML) reads only this model. Keeping the model this
small is deliberate: a renderer has to handle every kind of block, so every kind of block added
here is work in four places. Anything a TUPE letter needs fits in paragraphs with bold and italic
words, two levels of heading, bullet lists and two-column tables.

All classes are frozen dataclasses with slots: cheap to build (the parser builds thousands a
second) and safe to share between threads.
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: A forced line break inside a paragraph, list item or table cell (``<br>`` in the source).
LINE_BREAK = "\n"


@dataclass(frozen=True, slots=True)
class Run:
    """A stretch of text in one style. ``text`` may be :data:`LINE_BREAK` for a ``<br>``."""

    text: str
    bold: bool = False
    italic: bool = False


#: Inline content: what a paragraph, list item or table cell holds.
Inline = tuple[Run, ...]


def plain_text(runs: Inline) -> str:
    """The text of some runs without styling (line breaks become spaces)."""
    return "".join(run.text for run in runs).replace(LINE_BREAK, " ")


@dataclass(frozen=True, slots=True)
class Paragraph:
    runs: Inline


@dataclass(frozen=True, slots=True)
class Heading:
    """A heading in the body of the letter; ``level`` is 1 or 2."""

    level: int
    text: str


@dataclass(frozen=True, slots=True)
class BulletList:
    items: tuple[Inline, ...]


@dataclass(frozen=True, slots=True)
class TableRow:
    """One row of a two-column table.

    ``header`` marks a row of column titles (both cells were ``<th>``); otherwise ``label_is_th``
    says whether the first cell was a row title (``<th>``), which renderers show in bold.
    """

    label: Inline
    value: Inline
    header: bool = False
    label_is_th: bool = False


@dataclass(frozen=True, slots=True)
class Table:
    """A two-column table, such as a schedule of label/value rows."""

    rows: tuple[TableRow, ...]


Block = Paragraph | Heading | BulletList | Table


@dataclass(frozen=True, slots=True)
class Logo:
    """The sender's logo, by the SHA-256 of its image (see ``letters.logos``), and its alt text."""

    sha256: str
    alt: str


@dataclass(frozen=True, slots=True)
class Letterhead:
    organisation: str
    address: tuple[str, ...] = ()
    logo: Logo | None = None


@dataclass(frozen=True, slots=True)
class Signature:
    """The closing (``Yours sincerely``) then the signatory's lines: name first, then titles."""

    closing: str
    lines: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class LetterDocument:
    """A whole letter.

    ``name`` identifies the letter (the template name) in error messages and document metadata;
    ``date`` is the date as it should be printed (formatting is the template's job).
    """

    name: str
    letterhead: Letterhead
    date: str
    recipient: tuple[str, ...]
    subject: str
    blocks: tuple[Block, ...] = field(default=())
    signature: Signature | None = None
    #: ISO date from ``<time datetime>``, if given; machine-readable, not shown.
    iso_date: str = ""
