"""The plain-text renderer: the ``text/plain`` alternative of a letter email.

Mail clients that do not show HTML, screen readers and spam filters read this part, so it holds
the whole letter, wrapped at 72 columns (the conventional width for email text), with headings
underlined and tables as aligned label/value pairs. It keeps full Unicode (UTF-8).
"""

from __future__ import annotations

import textwrap
from functools import lru_cache

from transfer_engine.letters.document import (
    LINE_BREAK,
    BulletList,
    Heading,
    Inline,
    LetterDocument,
    Paragraph,
    Table,
)
from transfer_engine.letters.renderer import LetterRenderer

__all__ = ["TextRenderer", "render_text"]

_WIDTH = 72
_LABEL_MAX = 28


def _fill(runs: Inline, width: int, first: str = "", rest: str = "") -> list[str]:
    """Wrap inline content; a line break in the source starts a new output line."""
    text = "".join(run.text for run in runs)
    lines: list[str] = []
    for index, part in enumerate(text.split(LINE_BREAK)):
        indent = first if index == 0 else rest
        if _fits(part, width - len(indent)):
            lines.append(indent + part)  # what textwrap would give, without its cost
            continue
        lines.extend(_wrap(part, width, indent, rest))
    return lines


@lru_cache(maxsize=2_048)
def _wrap(part: str, width: int, indent: str, rest: str) -> tuple[str, ...]:
    # Bounded memo: a mail merge wraps the same paragraphs for every recipient, and textwrap
    # was the plain-text renderer's main cost.
    return tuple(textwrap.wrap(
        part, width, initial_indent=indent, subsequent_indent=rest,
        break_long_words=False, break_on_hyphens=False,
    ) or [rest.rstrip()])


_ODD_SPACE = frozenset("\t\n\x0b\x0c\r")


def _fits(part: str, room: int) -> bool:
    """Whether ``part`` is one line that textwrap would leave exactly as it is.

    Most parts of an email (a date, a name, a table value) are; wrapping them with textwrap
    costs more than the rest of the plain-text rendering.
    """
    return (0 < len(part) <= room and not part[-1].isspace() and not part.isspace()
            and _ODD_SPACE.isdisjoint(part))


def _table(table: Table) -> list[str]:
    labels = ["".join(r.text for r in row.label).replace(LINE_BREAK, " ") for row in table.rows]
    label_width = min(max(map(len, labels), default=0), _LABEL_MAX)
    lines: list[str] = []
    for label, row in zip(labels, table.rows, strict=True):
        pad = " " * (label_width + 2)
        label_lines = [label] if _fits(label, label_width) else \
            textwrap.wrap(label, label_width) or [""]
        value_lines = _fill(row.value, _WIDTH - len(pad))
        for index in range(max(len(label_lines), len(value_lines))):
            left = label_lines[index] if index < len(label_lines) else ""
            right = value_lines[index] if index < len(value_lines) else ""
            lines.append(f"{left:<{label_width}}  {right}".rstrip())
        if row.header:
            lines.append("-" * min(_WIDTH, label_width + 2 + max(map(len, value_lines))))
    return lines


def letter_text(letter: LetterDocument) -> str:
    """The whole letter as wrapped plain text."""
    out: list[str] = [letter.letterhead.organisation, *letter.letterhead.address, ""]
    out.extend(letter.recipient)
    out += ["", letter.date, ""]
    out.extend([letter.subject] if _fits(letter.subject, _WIDTH) else
               textwrap.wrap(letter.subject, _WIDTH))
    out.append("")
    for block in letter.blocks:
        if isinstance(block, Paragraph):
            out.extend(_fill(block.runs, _WIDTH))
        elif isinstance(block, Heading):
            out.append(block.text)
            out.append(("=" if block.level == 1 else "-") * min(len(block.text), _WIDTH))
        elif isinstance(block, BulletList):
            for item in block.items:
                out.extend(_fill(item, _WIDTH, "  * ", "    "))
        elif isinstance(block, Table):
            out.extend(_table(block))
        out.append("")
    if letter.signature is not None:
        out += [letter.signature.closing, "", *letter.signature.lines, ""]
    return "\n".join(out)


class TextRenderer(LetterRenderer):
    """UTF-8 plain text."""

    media_type = "text/plain; charset=utf-8"
    suffix = ".txt"

    def render(self, letter: LetterDocument) -> bytes:
        return letter_text(letter).encode("utf-8")


def render_text(letter: LetterDocument) -> str:
    """The letter as plain text (see :class:`TextRenderer`)."""
    return letter_text(letter)
