"""The HTML renderer: the letter as a complete, email-safe HTML page.

The page is written from the parsed :class:`LetterDocument`, not by pasting the template's
output into a wrapper: that way the email says exactly what the PDF says, and the markup is
known to be well formed whatever the template did.

"Email-safe" means what mail clients actually support: a single centred 640px layout table,
inline ``style`` attributes only (several clients strip ``<style>`` blocks), web-safe fonts, no
scripts, images or external resources.
"""

from __future__ import annotations

from html import escape

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

__all__ = ["HtmlRenderer", "render_html"]

_FONT = "font-family:Arial,Helvetica,sans-serif;"
_P = f'<p style="margin:0 0 12px 0;{_FONT}font-size:15px;line-height:1.5;color:#1a1a1a;">'
_CELL = "padding:6px 8px;border:1px solid #c8c8c8;vertical-align:top;font-size:14px;" + _FONT
_HEADINGS = {
    1: f'<h1 style="margin:22px 0 6px 0;{_FONT}font-size:19px;line-height:1.3;color:#1a1a1a;">',
    2: f'<h2 style="margin:18px 0 6px 0;{_FONT}font-size:16px;line-height:1.3;color:#1a1a1a;">',
}


def _inline(runs: Inline) -> str:
    out = []
    for run in runs:
        if run.text == LINE_BREAK:
            out.append("<br>")
            continue
        text = escape(run.text, quote=False)
        if run.italic:
            text = f"<em>{text}</em>"
        if run.bold:
            text = f"<strong>{text}</strong>"
        out.append(text)
    return "".join(out)


def _lines(lines: tuple[str, ...]) -> str:
    return "<br>".join(escape(line, quote=False) for line in lines)


def _table(table: Table) -> str:
    rows = []
    for row in table.rows:
        background = "background:#ededed;" if row.header else ""
        label_tag = "th" if row.header or row.label_is_th else "td"
        value_tag = "th" if row.header else "td"
        rows.append(
            f'<tr><{label_tag} align="left" width="38%" style="{_CELL}{background}">'
            f"{_inline(row.label)}</{label_tag}>"
            f'<{value_tag} align="left" style="{_CELL}{background}">'
            f"{_inline(row.value)}</{value_tag}></tr>"
        )
    return ('<table role="table" width="100%" cellpadding="0" cellspacing="0" border="0" '
            'style="width:100%;border-collapse:collapse;margin:4px 0 14px 0;">'
            + "".join(rows) + "</table>")


def letter_html_page(letter: LetterDocument) -> str:
    """The letter as a full HTML document suitable for an email body."""
    head = letter.letterhead
    parts = [
        '<!DOCTYPE html>\n<html lang="en-GB"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(letter.subject, quote=False)}</title></head>"
        '<body style="margin:0;padding:0;background:#f3f3f3;">'
        '<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" '
        'style="background:#f3f3f3;"><tr><td align="center" style="padding:24px 12px;">'
        '<table role="presentation" width="640" cellpadding="0" cellspacing="0" border="0" '
        'style="width:100%;max-width:640px;background:#ffffff;"><tr>'
        f'<td style="padding:32px 40px;{_FONT}color:#1a1a1a;">',
        f'<div style="text-align:right;{_FONT}">'
        f'<div style="font-size:22px;font-weight:bold;">{escape(head.organisation, quote=False)}'
        f'</div><div style="font-size:13px;color:#555555;line-height:1.4;">{_lines(head.address)}'
        '</div></div><hr style="border:0;border-top:1px solid #c8c8c8;margin:12px 0 20px 0;">',
        f"{_P}{_lines(letter.recipient)}</p>",
        f"{_P}{escape(letter.date, quote=False)}</p>",
        f'<p style="margin:18px 0 14px 0;{_FONT}font-size:16px;font-weight:bold;line-height:1.4;">'
        f"{escape(letter.subject, quote=False)}</p>",
    ]
    for block in letter.blocks:
        if isinstance(block, Paragraph):
            parts.append(f"{_P}{_inline(block.runs)}</p>")
        elif isinstance(block, Heading):
            parts.append(f"{_HEADINGS[block.level]}{escape(block.text, quote=False)}"
                         f"</h{block.level}>")
        elif isinstance(block, BulletList):
            items = "".join(
                f'<li style="margin:0 0 6px 0;{_FONT}font-size:15px;line-height:1.5;">'
                f"{_inline(item)}</li>" for item in block.items
            )
            parts.append(f'<ul style="margin:0 0 12px 0;padding-left:22px;">{items}</ul>')
        elif isinstance(block, Table):
            parts.append(_table(block))
    if letter.signature is not None:
        signature = letter.signature
        parts.append(f"{_P}{escape(signature.closing, quote=False)}</p>")
        if signature.lines:
            name, *titles = signature.lines
            rest = "".join(f"<br>{escape(t, quote=False)}" for t in titles)
            parts.append(f'{_P}<br><strong>{escape(name, quote=False)}</strong>{rest}</p>')
    parts.append("</td></tr></table></td></tr></table></body></html>\n")
    return "".join(parts)


class HtmlRenderer(LetterRenderer):
    """A full HTML page in UTF-8, for the ``text/html`` part of an email."""

    media_type = "text/html; charset=utf-8"
    suffix = ".html"

    def render(self, letter: LetterDocument) -> bytes:
        return letter_html_page(letter).encode("utf-8")


def render_html(letter: LetterDocument) -> str:
    """The letter as an email-safe HTML page (see :class:`HtmlRenderer`)."""
    return letter_html_page(letter)
