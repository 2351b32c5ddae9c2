"""Write a PDF 1.4 file from finished page content streams.

Only what a letter needs: one page tree, the four Helvetica faces of the standard 14 fonts
(which every viewer has, so nothing is embedded) with WinAnsiEncoding, a document information
dictionary and a cross-reference table.

The output is a pure function of the input: there is no creation date, and the file identifier
required by tools that compare files is an MD5 of the content, so the same letter always gives
the same bytes (and the same SHA-256 for an audit log).
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Sequence

from transfer_engine.letters.winansi import FONTS

__all__ = ["A4", "write_pdf"]

A4 = (595.28, 841.89)  # width, height in points

_HEADER = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"  # binary comment: tells tools the file is binary
_FONT_OBJECTS = 4
_FIRST_PAGE_OBJECT = 4 + _FONT_OBJECTS  # 1 catalog, 2 pages, 3 info, 4.. fonts


def _text_string(text: str) -> bytes:
    """A PDF text string as UTF-16BE hex, which can hold any character (unlike WinAnsi)."""
    return b"<FEFF" + text.encode("utf-16-be").hex().upper().encode("ascii") + b">"


def write_pdf(pages: Sequence[bytes], *, title: str, subject: str = "", author: str = "",
              compress: bool = True) -> bytes:
    """Assemble a PDF from one content stream per page.

    Content streams may use fonts ``/F1`` to ``/F4`` (see ``winansi.FONTS``).
    """
    width, height = A4
    count = len(pages)
    kids = b" ".join(b"%d 0 R" % (_FIRST_PAGE_OBJECT + 2 * i) for i in range(count))
    font_refs = b" ".join(
        b"/%s %d 0 R" % (name.encode(), 4 + i) for i, (name, _, _) in enumerate(FONTS)
    )
    info = b"<< /Title " + _text_string(title)
    if subject:
        info += b" /Subject " + _text_string(subject)
    if author:
        info += b" /Author " + _text_string(author)
    info += b" /Producer (transfer_engine letters) >>"

    objects: list[bytes] = [
        b"<< /Type /Catalog /Pages 2 0 R /Lang (en-GB) >>",
        b"<< /Type /Pages /Kids [" + kids + b"] /Count %d /MediaBox [0 0 %.2f %.2f]"
        b" /Resources << /Font << " % (count, width, height) + font_refs
        + b" >> /ProcSet [/PDF /Text] >> >>",
        info,
    ]
    for _name, base_font, _widths in FONTS:
        objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /%s"
                       b" /Encoding /WinAnsiEncoding >>" % base_font.encode())
    for i, content in enumerate(pages):
        objects.append(b"<< /Type /Page /Parent 2 0 R /Contents %d 0 R >>"
                       % (_FIRST_PAGE_OBJECT + 2 * i + 1))
        if compress:
            data = zlib.compress(content, 6)
            objects.append(b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(data)
                           + data + b"\nendstream")
        else:
            objects.append(b"<< /Length %d >>\nstream\n" % len(content) + content
                           + b"\nendstream")

    parts = [_HEADER]
    offsets = []
    position = len(_HEADER)
    for number, body in enumerate(objects, start=1):
        chunk = b"%d 0 obj\n" % number + body + b"\nendobj\n"
        offsets.append(position)
        parts.append(chunk)
        position += len(chunk)
    size = len(objects) + 1
    # Each xref entry is exactly 20 bytes: 10-digit offset, 5-digit generation, type, EOL.
    xref = [b"xref\n0 %d\n0000000000 65535 f \n" % size]
    xref.extend(b"%010d 00000 n \n" % offset for offset in offsets)
    file_id = hashlib.md5(b"".join(parts), usedforsecurity=False).hexdigest().upper().encode()
    parts.extend(xref)
    parts.append(
        b"trailer\n<< /Size %d /Root 1 0 R /Info 3 0 R /ID [<%s> <%s>] >>\nstartxref\n%d\n%%%%EOF\n"
        % (size, file_id, file_id, position)
    )
    return b"".join(parts)
