"""Line breaking for the PDF renderer: inline runs in, lines of encoded text segments out.

Greedy filling (as a word processor does) using the fonts' real glyph widths, breaking only at
spaces and at ``<br>``; a word wider than the whole line (a long email address, say) is broken
between characters rather than overflowing the margin.

Speed matters here because every word of every letter passes through it. Two memos help a batch
of letters that share most of their wording: each distinct word is encoded and measured once,
and each distinct paragraph (at a given width) is broken into lines once. Both memos are bounded
(cleared when full), so memory stays flat however many letters are rendered. They are safe to
share between threads: entries are only ever added whole, and never changed once added.
"""

from __future__ import annotations

from transfer_engine.letters.document import LINE_BREAK, Inline
from transfer_engine.letters.winansi import FONTS, encode, escape_pdf_string

__all__ = ["Line", "clear_memos", "measure", "wrap"]

#: A laid-out line: its width in 1/1000 of the font size, then (font index, bytes) segments;
#: the bytes are WinAnsi, already escaped for a PDF literal string.
Line = tuple[int, tuple[tuple[int, bytes], ...]]

_SPACE = 278  # the space is 278 units wide in all four Helvetica faces
_MEMO_LIMIT = 8_192
_memo: tuple[dict[str, tuple[bytes, int]], ...] = ({}, {}, {}, {})
_PARAGRAPH_MEMO_LIMIT = 1_024
_paragraph_memo: dict[tuple[Inline, float], list[Line]] = {}


def clear_memos() -> None:
    """Forget every measured word and broken paragraph (for tests and cold benchmarks)."""
    _paragraph_memo.clear()
    for memo in _memo:
        memo.clear()


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


def wrap(runs: Inline, max_units: float) -> list[Line]:
    """Break ``runs`` into lines no wider than ``max_units`` (1/1000 of the font size).

    ``max_units`` is the line width in points times 1000 divided by the font size; all runs
    share one font size, which is all a letter needs. Runs must be normalised as the parser
    leaves them: single spaces, none at the start or end, none around a line break.

    The result is remembered: in a mail merge most paragraphs are the same in every letter.
    Callers must not modify the list returned.
    """
    key = (runs, max_units)
    lines = _paragraph_memo.get(key)
    if lines is None:
        lines = _wrap(runs, max_units)
        if len(_paragraph_memo) >= _PARAGRAPH_MEMO_LIMIT:
            _paragraph_memo.clear()
        _paragraph_memo[key] = lines
    return lines


def _wrap(runs: Inline, max_units: float) -> list[Line]:
    # Pass 1: words. A word is a list of (font, bytes) parts; it has several parts when a style
    # changes inside it ("<strong>Smith</strong>,"). None stands for a forced line break.
    # Consecutive words are separated by exactly one space.
    words: list[tuple[int, list[tuple[int, bytes]]] | None] = []
    parts: list[tuple[int, bytes]] = []
    width = 0
    for run in runs:
        text = run.text
        if text == LINE_BREAK:
            if parts:
                words.append((width, parts))
                parts, width = [], 0
            words.append(None)
            continue
        font = (run.bold << 1) | run.italic
        memo = _memo[font]
        first = True
        for token in text.split(" "):
            if first:
                first = False
            elif parts:
                words.append((width, parts))
                parts, width = [], 0
            if token:
                hit = memo.get(token)
                if hit is None:
                    hit = measure(token, font)
                parts.append((font, hit[0]))
                width += hit[1]
    if parts:
        words.append((width, parts))

    # Pass 2: greedy filling. Each line is a list of segments [font, chunk, chunk, ...].
    lines: list[Line] = []
    segments: list[list] = []
    current: list = [-1]
    line_width = 0
    for word in words:
        if word is None:
            lines.append(_finish(line_width, segments))
            segments, current, line_width = [], [-1], 0
            continue
        word_width, word_parts = word
        if line_width:
            if line_width + _SPACE + word_width > max_units:
                lines.append(_finish(line_width, segments))
                segments, current, line_width = [], [-1], 0
            else:
                current.append(b" ")
                line_width += _SPACE
        if word_width > max_units:
            line_width, segments, current = _place_long_word(
                lines, word_parts, max_units, line_width, segments, current)
            continue
        for font, data in word_parts:
            if font == current[0]:
                current.append(data)
            else:
                current = [font, data]
                segments.append(current)
        line_width += word_width
    if segments or not lines:
        lines.append(_finish(line_width, segments))
    return lines


def _finish(width: int, segments: list[list]) -> Line:
    return width, tuple((segment[0], escape_pdf_string(b"".join(segment[1:])))
                        for segment in segments)


def _place_long_word(lines: list[Line], parts: list[tuple[int, bytes]], max_units: float,
                     width: int, segments: list[list], current: list
                     ) -> tuple[int, list[list], list]:
    """Break a word that cannot fit on any line between characters."""
    for font, data in parts:
        table = FONTS[font][2]
        for byte in data:
            glyph = table[byte]
            if width and width + glyph > max_units:
                lines.append(_finish(width, segments))
                segments, current, width = [], [-1], 0
            if font == current[0]:
                current.append(bytes((byte,)))
            else:
                current = [font, bytes((byte,))]
                segments.append(current)
            width += glyph
    return width, segments, current
