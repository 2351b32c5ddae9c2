"""Line breaking for the PDF renderer: inline runs in, lines of encoded text segments out.

Greedy filling (as a word processor does) using the fonts' real glyph widths, breaking only at
spaces and at ``<br>``; a word wider than the whole line (a long email address, say) is broken
between characters rather than overflowing the margin.

Speed matters here because every word of every letter passes through it: each word is encoded
and measured once and then remembered, so a batch of letters that share most of their wording
measures each distinct word once. The memo is bounded, so memory stays flat however many letters
are rendered.
"""

from __future__ import annotations

from transfer_engine.letters.document import LINE_BREAK, Inline
from transfer_engine.letters.winansi import FONTS, encode

__all__ = ["Line", "font_index", "measure", "wrap"]

#: A laid-out line: its width in 1/1000 of the font size, then (font index, bytes) segments.
Line = tuple[int, tuple[tuple[int, bytes], ...]]

_SPACE = 278  # the space is 278 units wide in all four Helvetica faces
_MEMO_LIMIT = 50_000
_memo: tuple[dict[str, tuple[bytes, int]], ...] = ({}, {}, {}, {})


def font_index(bold: bool, italic: bool) -> int:
    """Index into :data:`transfer_engine.letters.winansi.FONTS`."""
    return (bold << 1) | italic


def measure(text: str, font: int) -> tuple[bytes, int]:
    """Encoded bytes and width (1/1000 of the font size) of ``text`` in font ``font``."""
    memo = _memo[font]
    hit = memo.get(text)
    if hit is None:
        data = encode(text)
        hit = (data, sum(map(FONTS[font][2].__getitem__, data)))
        if len(memo) >= _MEMO_LIMIT:
            memo.clear()
        memo[text] = hit
    return hit


class _LineBuilder:
    """Accumulates words into lines, merging neighbouring text in the same font."""

    __slots__ = ("chunks", "font", "lines", "segments", "width")

    def __init__(self) -> None:
        self.lines: list[Line] = []
        self.segments: list[tuple[int, bytes]] = []
        self.chunks: list[bytes] = []
        self.font = -1
        self.width = 0

    def add(self, font: int, data: bytes, width: int) -> None:
        if font != self.font:
            if self.chunks:
                self.segments.append((self.font, b"".join(self.chunks)))
            self.chunks = [data]
            self.font = font
        else:
            self.chunks.append(data)
        self.width += width

    def end_line(self) -> None:
        if self.chunks:
            self.segments.append((self.font, b"".join(self.chunks)))
        self.lines.append((self.width, tuple(self.segments)))
        self.segments = []
        self.chunks = []
        self.font = -1
        self.width = 0


def wrap(runs: Inline, max_units: float) -> list[Line]:
    """Break ``runs`` into lines no wider than ``max_units`` (1/1000 of the font size).

    ``max_units`` is the line width in points times 1000 divided by the font size; all runs
    share one font size, which is all a letter needs.
    """
    out = _LineBuilder()
    word: list[tuple[int, bytes, int]] = []  # the word being read; it may span runs
    word_width = 0
    gap = False  # a space separates ``word`` from what is already on the line

    def place_word() -> None:
        nonlocal word, word_width, gap
        if word:
            if out.width:
                if out.width + _SPACE + word_width > max_units:
                    out.end_line()
                elif gap:
                    out.add(out.font, b" ", _SPACE)
            if word_width > max_units:
                _place_long_word(out, word, max_units)
            else:
                for font, data, width in word:
                    out.add(font, data, width)
            word = []
            word_width = 0
        gap = False

    for run in runs:
        if run.text == LINE_BREAK:
            place_word()
            out.end_line()
            continue
        font = (run.bold << 1) | run.italic
        first = True
        for part in run.text.split(" "):
            if not first:
                place_word()
                gap = True
            first = False
            if part:
                data, width = measure(part, font)
                word.append((font, data, width))
                word_width += width
    place_word()
    if out.width or out.segments or out.chunks or not out.lines:
        out.end_line()
    return out.lines


def _place_long_word(out: _LineBuilder, word: list[tuple[int, bytes, int]],
                     max_units: float) -> None:
    """Break a word that cannot fit on any line between characters."""
    for font, data, _width in word:
        table = FONTS[font][2]
        for byte in data:
            glyph = table[byte]
            if out.width and out.width + glyph > max_units:
                out.end_line()
            out.add(font, bytes((byte,)), glyph)
