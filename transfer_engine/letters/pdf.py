"""The PDF renderer: lays a letter out on A4 pages and writes it with ``pdf_file``.

Why not a PDF library? The engine issues a letter per affected employee, often thousands at a
time, and the letters must be byte-for-byte reproducible. Rendering through a browser engine
(HTML to PDF) costs tens of milliseconds a letter; a general PDF library spends most of its time
on features a letter does not use. A letter needs only Helvetica in four faces, left-aligned
text, rules and page numbers, which this module does directly (see ``bench/`` for the figures).

Layout, top to bottom: the letterhead right-aligned above a rule; the recipient block with the
date right-aligned opposite; the subject in bold; the body; the signature block, kept on one
page. Paragraphs may break across pages (never leaving a single line behind), headings stay with
what follows, table rows are never split. Every page carries the sender and "Page n of N".
"""

from __future__ import annotations

from transfer_engine.letters.document import (
    BulletList,
    Heading,
    Inline,
    LetterDocument,
    Paragraph,
    Run,
    Table,
)
from transfer_engine.letters.layout import Line, measure, wrap
from transfer_engine.letters.pdf_file import A4, write_pdf
from transfer_engine.letters.renderer import LetterRenderer

__all__ = ["PdfRenderer", "render_pdf"]

_WIDTH, _HEIGHT = A4
_LEFT = 62.0
_RIGHT = _WIDTH - 62.0
_TEXT_WIDTH = _RIGHT - _LEFT
_TOP = _HEIGHT - 54.0
_BOTTOM = 68.0  # lowest point body text may reach; the footer sits below it
_FOOTER_BASELINE = 36.0

_BODY = 10.5
_LEADING = 14.5
_PARAGRAPH_GAP = 7.0
_SMALL = 8.5
_HEADINGS = {1: (12.5, 16.0, 10.0, 3.0), 2: (11.0, 14.5, 7.0, 2.0)}  # size, leading, before, after
_TABLE = 10.0
_TABLE_LEADING = 13.5
_CELL_PAD_X = 5.0
_CELL_PAD_Y = 4.0
_LABEL_SHARE = 0.38
_BULLET_INDENT = 18.0
_SIGNATURE_SPACE = 36.0  # room for a handwritten signature

_BLACK = b"0 g\n"
_GREY = b"0.33 g\n"
_RULE = b"0.6 w 0.72 G\n"


# Font-selection operators by (font index, size): a handful, reused for every line.
_SELECT_FONT: dict[tuple[int, float], bytes] = {}


def _bold(runs: Inline) -> Inline:
    return tuple(Run(run.text, True, run.italic) for run in runs)


class _Composer:
    """Places lines on pages, starting a new page when the next thing will not fit."""

    def __init__(self) -> None:
        self.ops: list[bytes] = []
        self.pages: list[list[bytes]] = [self.ops]
        self.y = _TOP  # top of the next line box

    def new_page(self) -> None:
        self.ops = []
        self.pages.append(self.ops)
        self.y = _TOP

    def room_for(self, height: float) -> None:
        """Start a new page unless ``height`` fits (a fresh page always takes it)."""
        if self.y - height < _BOTTOM and self.y < _TOP:
            self.new_page()

    def text(self, x: float, baseline: float, size: float, line: Line) -> None:
        parts = [b"BT %.2f %.2f Td" % (x, baseline)]
        for font, data in line[1]:
            prefix = _SELECT_FONT.get((font, size))
            if prefix is None:
                prefix = _SELECT_FONT[font, size] = b" /F%d %.2f Tf (" % (font + 1, size)
            parts += (prefix, data, b") Tj")
        parts.append(b" ET\n")
        self.ops.append(b"".join(parts))

    def lines(self, lines: list[Line], x: float, size: float, leading: float,
              *, align_right: bool = False) -> None:
        """Place wrapped lines, breaking pages between lines but never leaving one orphan."""
        if len(lines) > 1:
            self.room_for(2 * leading)
        offset = size * 0.76 + (leading - size) / 2  # top of line box to baseline
        for line in lines:
            if self.y - leading < _BOTTOM:
                self.new_page()
            left = _RIGHT - line[0] * size / 1000 if align_right else x
            self.text(left, self.y - offset, size, line)
            self.y -= leading

    def rule(self, y: float, left: float = _LEFT, right: float = _RIGHT) -> None:
        self.ops.append(_RULE + b"%.2f %.2f m %.2f %.2f l S\n" % (left, y, right, y))


def _units(width: float, size: float) -> float:
    """A width in points as a line-breaking limit in 1/1000 of the font size."""
    return width * 1000.0 / size


class PdfRenderer(LetterRenderer):
    """A4 PDF 1.4 in the standard Helvetica fonts; text is selectable and extractable."""

    media_type = "application/pdf"
    suffix = ".pdf"

    def __init__(self, *, compress: bool = True) -> None:
        self.compress = compress

    def render(self, letter: LetterDocument) -> bytes:
        page = _Composer()
        self._letterhead(page, letter)
        self._addressing(page, letter)
        for block in letter.blocks:
            if isinstance(block, Paragraph):
                page.lines(wrap(block.runs, _units(_TEXT_WIDTH, _BODY)), _LEFT, _BODY, _LEADING)
                page.y -= _PARAGRAPH_GAP
            elif isinstance(block, Heading):
                size, leading, before, after = _HEADINGS[block.level]
                lines = wrap((Run(block.text, True),), _units(_TEXT_WIDTH, size))
                page.y -= before
                # Keep the heading with at least two lines of what follows it.
                page.room_for(len(lines) * leading + after + 2 * _LEADING)
                page.lines(lines, _LEFT, size, leading)
                page.y -= after
            elif isinstance(block, BulletList):
                self._bullets(page, block)
            elif isinstance(block, Table):
                self._table(page, block)
        self._signature(page, letter)
        self._footers(page, letter)
        return write_pdf(
            [b"".join(ops) for ops in page.pages],
            title=letter.subject, subject=letter.name, author=letter.letterhead.organisation,
            compress=self.compress,
        )

    # -- parts of the letter --------------------------------------------------------------------

    @staticmethod
    def _letterhead(page: _Composer, letter: LetterDocument) -> None:
        head = letter.letterhead
        page.lines(wrap((Run(head.organisation, True),), _units(_TEXT_WIDTH, 15.0)),
                   _LEFT, 15.0, 18.0, align_right=True)
        if head.address:
            page.ops.append(_GREY)
            for address_line in head.address:
                page.lines(wrap((Run(address_line),), _units(_TEXT_WIDTH, 9.0)),
                           _LEFT, 9.0, 11.5, align_right=True)
            page.ops.append(_BLACK)
        page.y -= 8.0
        page.rule(page.y)
        page.y -= 22.0

    @staticmethod
    def _addressing(page: _Composer, letter: LetterDocument) -> None:
        date = wrap((Run(letter.date),), _units(_TEXT_WIDTH, _BODY))[0]
        top = page.y
        recipient_width = _TEXT_WIDTH - date[0] * _BODY / 1000 - 24.0
        for recipient_line in letter.recipient:
            page.lines(wrap((Run(recipient_line),), _units(recipient_width, _BODY)),
                       _LEFT, _BODY, _LEADING)
        bottom = page.y
        page.y = top
        page.lines([date], _LEFT, _BODY, _LEADING, align_right=True)
        page.y = min(bottom, page.y) - 20.0
        page.lines(wrap((Run(letter.subject, True),), _units(_TEXT_WIDTH, 11.0)),
                   _LEFT, 11.0, 14.5)
        page.y -= 10.0

    @staticmethod
    def _bullets(page: _Composer, block: BulletList) -> None:
        bullet = (350, ((0, b"\x95"),))
        limit = _units(_TEXT_WIDTH - _BULLET_INDENT, _BODY)
        for item in block.items:
            lines = wrap(item, limit)
            # Once the first two lines are known to fit, the first line goes exactly here, so
            # the bullet can be placed before the item (whose later lines may turn the page).
            page.room_for(min(len(lines), 2) * _LEADING)
            page.text(_LEFT + 6.0, page.y - (_BODY * 0.76 + (_LEADING - _BODY) / 2),
                      _BODY, bullet)
            page.lines(lines, _LEFT + _BULLET_INDENT, _BODY, _LEADING)
            page.y -= 2.5
        page.y -= _PARAGRAPH_GAP - 2.5

    @staticmethod
    def _table(page: _Composer, table: Table) -> None:
        label_width = _TEXT_WIDTH * _LABEL_SHARE
        value_width = _TEXT_WIDTH - label_width
        label_limit = _units(label_width - 2 * _CELL_PAD_X, _TABLE)
        value_limit = _units(value_width - 2 * _CELL_PAD_X, _TABLE)
        offset = _TABLE * 0.76 + (_TABLE_LEADING - _TABLE) / 2
        laid_out = []
        for row in table.rows:
            label = _bold(row.label) if row.header or row.label_is_th else row.label
            value = _bold(row.value) if row.header else row.value
            label_lines = wrap(label, label_limit)
            value_lines = wrap(value, value_limit)
            height = max(len(label_lines), len(value_lines)) * _TABLE_LEADING + 2 * _CELL_PAD_Y
            laid_out.append((row, label_lines, value_lines, height))
        page.y -= 2.0
        first = True
        for index, (row, label_lines, value_lines, height) in enumerate(laid_out):
            # A header row stays with the row after it.
            needed = height
            if row.header and index + 1 < len(laid_out):
                needed += laid_out[index + 1][3]
            if page.y - needed < _BOTTOM and page.y < _TOP:
                page.new_page()
                first = True
            if first:
                page.rule(page.y)
                first = False
            if row.header:
                page.ops.append(b"0.93 g %.2f %.2f %.2f %.2f re f\n0 g\n"
                                % (_LEFT, page.y - height, _TEXT_WIDTH, height))
            y = page.y - _CELL_PAD_Y - offset
            for line in label_lines:
                page.text(_LEFT + _CELL_PAD_X, y, _TABLE, line)
                y -= _TABLE_LEADING
            y = page.y - _CELL_PAD_Y - offset
            for line in value_lines:
                page.text(_LEFT + label_width + _CELL_PAD_X, y, _TABLE, line)
                y -= _TABLE_LEADING
            page.y -= height
            page.rule(page.y)
        page.y -= _PARAGRAPH_GAP + 4.0

    @staticmethod
    def _signature(page: _Composer, letter: LetterDocument) -> None:
        signature = letter.signature
        if signature is None:
            return
        limit = _units(_TEXT_WIDTH, _BODY)
        closing = wrap((Run(signature.closing),), limit)
        lines = [wrap((Run(text, index == 0),), limit) for index, text in
                 enumerate(signature.lines)]
        height = (len(closing) + sum(map(len, lines))) * _LEADING + _SIGNATURE_SPACE
        page.y -= 4.0
        page.room_for(height)
        page.lines(closing, _LEFT, _BODY, _LEADING)
        page.y -= _SIGNATURE_SPACE
        for wrapped in lines:
            page.lines(wrapped, _LEFT, _BODY, _LEADING)

    @staticmethod
    def _footers(page: _Composer, letter: LetterDocument) -> None:
        total = len(page.pages)
        sender = wrap((Run(letter.letterhead.organisation),), _units(_TEXT_WIDTH * 0.7, _SMALL))
        for number, ops in enumerate(page.pages, start=1):
            page.ops = ops
            ops.append(_GREY)
            page.rule(_FOOTER_BASELINE + 12.0)
            page.text(_LEFT, _FOOTER_BASELINE, _SMALL, sender[0])
            data, width = measure(f"Page {number} of {total}", 0)
            page.text(_RIGHT - width * _SMALL / 1000, _FOOTER_BASELINE, _SMALL,
                      (width, ((0, data),)))
            ops.append(_BLACK)


_DEFAULT = PdfRenderer()


def render_pdf(letter: LetterDocument) -> bytes:
    """The letter as an A4 PDF (see :class:`PdfRenderer`)."""
    return _DEFAULT.render(letter)
