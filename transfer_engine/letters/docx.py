"""The DOCX renderer: a minimal, valid WordprocessingML package written with :mod:`zipfile`.

HR teams often need to edit a letter before it goes out (a personal note, a correction), so the
DOCX uses real Word styles (``Heading 1``, ``List Bullet``, ``Table Grid``...) rather than direct
formatting: an edited letter stays consistent, and Word's navigation pane shows the headings.

The package holds only the parts Word needs: content types, relationships, the document, its
styles, a bullet numbering definition, a footer with "Page n of N" fields and the core
properties (title, subject, author, language; no dates). Zip entries have a fixed timestamp and
attributes, so the same letter always gives the same bytes.

The layout rules are the PDF's (:mod:`transfer_engine.letters.pdf`): widow and orphan control
on every paragraph, headings kept with what follows, the last paragraph, the closing and the
signatory kept together on one page, table rows never split; the text is the same prepared
text (NFC, dates and references tied by non-breaking spaces: :mod:`~transfer_engine.letters.
typography`).

Why not python-docx: it was measured against this writer for the same letters (15 to 23 ms a
letter against well under 1 ms), which alone would keep a bulk issue of a thousand letters
from reaching 50 letters a second; what it would add (a general document object model) a
letter does not use. The tests read every DOCX back with python-docx, as Word would open it.
"""

from __future__ import annotations

import io
import struct
import zipfile

from transfer_engine.letters.document import (
    LINE_BREAK,
    BulletList,
    Heading,
    Inline,
    LetterDocument,
    Paragraph,
    Table,
)
from transfer_engine.letters.errors import LetterFormatError
from transfer_engine.letters.pdf import logo_png
from transfer_engine.letters.renderer import LetterRenderer
from transfer_engine.letters.typography import nfc, prepare

__all__ = ["DOCX_VERSION", "DocxRenderer", "render_docx"]

#: Changed whenever the bytes this writer produces for a letter change (recorded with letters).
DOCX_VERSION = "3"

_WP = "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"
_A = "http://schemas.openxmlformats.org/drawingml/2006/main"
_PIC = "http://schemas.openxmlformats.org/drawingml/2006/picture"
_LOGO_HEIGHT = 16 * 36_000  # 16 mm in EMU, as in the PDF

_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'

# A4 in twentieths of a point, with the same margins as the PDF.
_PAGE = '<w:pgSz w:w="11906" w:h="16838"/>'
_MARGINS = ('<w:pgMar w:top="1080" w:right="1240" w:bottom="1360" w:left="1240" w:header="708"'
            ' w:footer="567" w:gutter="0"/>')
_TEXT_WIDTH = 11906 - 2 * 1240
_LABEL_WIDTH = round(_TEXT_WIDTH * 0.38)
_VALUE_WIDTH = _TEXT_WIDTH - _LABEL_WIDTH

_ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # the earliest date a zip entry can carry

_CONTENT_TYPES = _XML + (
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Default Extension="png" ContentType="image/png"/>'
    '<Override PartName="/word/document.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
    '<Override PartName="/word/styles.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"/>'
    '<Override PartName="/word/numbering.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.wordprocessingml.numbering+xml"/>'
    '<Override PartName="/word/footer1.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.wordprocessingml.footer+xml"/>'
    '<Override PartName="/docProps/core.xml" '
    'ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
    "</Types>"
)

_PACKAGE_RELS = _XML + (
    f'<Relationships xmlns="{_PKG_REL}">'
    f'<Relationship Id="rId1" Type="{_R}/officeDocument" Target="word/document.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/'
    'relationships/metadata/core-properties" Target="docProps/core.xml"/>'
    "</Relationships>"
)

_DOCUMENT_RELS = _XML + (
    f'<Relationships xmlns="{_PKG_REL}">'
    f'<Relationship Id="rId1" Type="{_R}/styles" Target="styles.xml"/>'
    f'<Relationship Id="rId2" Type="{_R}/numbering" Target="numbering.xml"/>'
    f'<Relationship Id="rId3" Type="{_R}/footer" Target="footer1.xml"/>'
    "</Relationships>"
)
# With a logo, its picture is the document's fourth relationship.
_DOCUMENT_RELS_WITH_LOGO = _DOCUMENT_RELS.replace("</Relationships>", (
    f'<Relationship Id="rId4" Type="{_R}/image" Target="media/logo.png"/></Relationships>'))


def _style(kind: str, style_id: str, name: str, body: str, *, based_on: str = "Normal",
           default: bool = False) -> str:
    default_attr = ' w:default="1"' if default else ""
    based = f'<w:basedOn w:val="{based_on}"/>' if based_on else ""
    return (f'<w:style w:type="{kind}"{default_attr} w:styleId="{style_id}">'
            f'<w:name w:val="{name}"/>{based}<w:qFormat/>{body}</w:style>')


_BORDER = 'w:val="single" w:sz="4" w:space="0" w:color="B8B8B8"'

_STYLES = _XML + (
    f'<w:styles xmlns:w="{_W}">'
    "<w:docDefaults><w:rPrDefault><w:rPr>"
    '<w:rFonts w:ascii="Arial" w:hAnsi="Arial" w:eastAsia="Arial" w:cs="Arial"/>'
    '<w:sz w:val="21"/><w:szCs w:val="21"/>'
    '<w:lang w:val="en-GB" w:eastAsia="en-GB" w:bidi="en-GB"/>'
    "</w:rPr></w:rPrDefault><w:pPrDefault><w:pPr>"
    # Widow and orphan control: no single line of a paragraph alone at a page's foot or top.
    '<w:widowControl/><w:spacing w:after="140" w:line="264" w:lineRule="auto"/>'
    "</w:pPr></w:pPrDefault></w:docDefaults>"
    + _style("paragraph", "Normal", "Normal", "", based_on="", default=True)
    + _style("character", "DefaultParagraphFont", "Default Paragraph Font", "", based_on="",
             default=True)
    + _style("table", "TableNormal", "Normal Table",
             '<w:tblPr><w:tblInd w:w="0" w:type="dxa"/><w:tblCellMar>'
             '<w:top w:w="0" w:type="dxa"/><w:left w:w="108" w:type="dxa"/>'
             '<w:bottom w:w="0" w:type="dxa"/><w:right w:w="108" w:type="dxa"/>'
             "</w:tblCellMar></w:tblPr>", based_on="", default=True)
    + _style("paragraph", "Heading1", "heading 1",
             '<w:pPr><w:keepNext/><w:keepLines/><w:spacing w:before="240" w:after="60"/>'
             '<w:outlineLvl w:val="0"/></w:pPr><w:rPr><w:b/><w:sz w:val="25"/>'
             '<w:szCs w:val="25"/></w:rPr>')
    + _style("paragraph", "Heading2", "heading 2",
             '<w:pPr><w:keepNext/><w:keepLines/><w:spacing w:before="160" w:after="40"/>'
             '<w:outlineLvl w:val="1"/></w:pPr><w:rPr><w:b/><w:sz w:val="22"/>'
             '<w:szCs w:val="22"/></w:rPr>')
    + _style("paragraph", "Letterhead", "Letterhead",
             '<w:pPr><w:spacing w:after="0"/><w:jc w:val="right"/></w:pPr>'
             '<w:rPr><w:color w:val="555555"/><w:sz w:val="18"/><w:szCs w:val="18"/></w:rPr>')
    + _style("paragraph", "Organisation", "Organisation",
             '<w:pPr><w:spacing w:after="40"/><w:jc w:val="right"/></w:pPr>'
             '<w:rPr><w:b/><w:sz w:val="30"/><w:szCs w:val="30"/></w:rPr>')
    + _style("paragraph", "Address", "Address", '<w:pPr><w:spacing w:after="0"/></w:pPr>')
    + _style("paragraph", "Subject", "Subject",
             '<w:pPr><w:keepNext/><w:spacing w:before="240" w:after="200"/></w:pPr>'
             '<w:rPr><w:b/><w:sz w:val="22"/><w:szCs w:val="22"/></w:rPr>')
    + _style("paragraph", "ListBullet", "List Bullet",
             '<w:pPr><w:numPr><w:numId w:val="1"/></w:numPr><w:spacing w:after="50"/>'
             '<w:ind w:left="360" w:hanging="360"/></w:pPr>')
    + _style("paragraph", "TableText", "Table Text",
             '<w:pPr><w:spacing w:before="40" w:after="40"/></w:pPr>'
             '<w:rPr><w:sz w:val="20"/><w:szCs w:val="20"/></w:rPr>')
    + _style("paragraph", "Footer", "footer",
             f'<w:pPr><w:tabs><w:tab w:val="right" w:pos="{_TEXT_WIDTH}"/></w:tabs>'
             '<w:spacing w:after="0"/></w:pPr>'
             '<w:rPr><w:color w:val="555555"/><w:sz w:val="17"/><w:szCs w:val="17"/></w:rPr>')
    + _style("table", "TableGrid", "Table Grid",
             f"<w:tblPr><w:tblBorders><w:top {_BORDER}/><w:left {_BORDER}/>"
             f"<w:bottom {_BORDER}/><w:right {_BORDER}/><w:insideH {_BORDER}/>"
             f"<w:insideV {_BORDER}/></w:tblBorders></w:tblPr>", based_on="TableNormal")
    + "</w:styles>"
)

_NUMBERING = _XML + (
    f'<w:numbering xmlns:w="{_W}">'
    '<w:abstractNum w:abstractNumId="0"><w:multiLevelType w:val="singleLevel"/>'
    '<w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="bullet"/>'
    '<w:lvlText w:val="\u2022"/><w:lvlJc w:val="left"/>'
    '<w:pPr><w:ind w:left="360" w:hanging="360"/></w:pPr></w:lvl></w:abstractNum>'
    '<w:num w:numId="1"><w:abstractNumId w:val="0"/></w:num>'
    "</w:numbering>"
)

_ESCAPE = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"})


def _x(text: str) -> str:
    """Escape text for XML content or a double-quoted attribute."""
    return text.translate(_ESCAPE)


def _runs(runs: Inline, *, bold: bool = False) -> str:
    out = []
    for run in runs:
        if run.text == LINE_BREAK:
            out.append("<w:r><w:br/></w:r>")
            continue
        props = ("<w:b/>" if run.bold or bold else "") + ("<w:i/>" if run.italic else "")
        props = f"<w:rPr>{props}</w:rPr>" if props else ""
        out.append(f'<w:r>{props}<w:t xml:space="preserve">{_x(run.text)}</w:t></w:r>')
    return "".join(out)


def _paragraph(style: str, content: str, *, keep_next: bool = False) -> str:
    keep = "<w:keepNext/><w:keepLines/>" if keep_next else ""
    return f'<w:p><w:pPr><w:pStyle w:val="{style}"/>{keep}</w:pPr>{content}</w:p>'


def _text(text: str, *, bold: bool = False) -> str:
    props = "<w:rPr><w:b/></w:rPr>" if bold else ""
    return f'<w:r>{props}<w:t xml:space="preserve">{_x(text)}</w:t></w:r>'


def _table(table: Table) -> str:
    rows = []
    for row in table.rows:
        header = row.header
        shade = '<w:shd w:val="clear" w:color="auto" w:fill="EDEDED"/>' if header else ""
        cells = []
        for width, runs, bold in ((_LABEL_WIDTH, row.label, header or row.label_is_th),
                                  (_VALUE_WIDTH, row.value, header)):
            cells.append(f'<w:tc><w:tcPr><w:tcW w:w="{width}" w:type="dxa"/>{shade}</w:tcPr>'
                         f"{_paragraph('TableText', _runs(runs, bold=bold))}</w:tc>")
        row_props = "<w:trPr><w:cantSplit/><w:tblHeader/></w:trPr>" if header else \
            "<w:trPr><w:cantSplit/></w:trPr>"
        rows.append(f"<w:tr>{row_props}{''.join(cells)}</w:tr>")
    return (
        '<w:tbl><w:tblPr><w:tblStyle w:val="TableGrid"/>'
        f'<w:tblW w:w="{_TEXT_WIDTH}" w:type="dxa"/><w:tblLayout w:type="fixed"/>'
        '<w:tblLook w:val="0420" w:firstRow="1" w:lastRow="0" w:firstColumn="0" '
        'w:lastColumn="0" w:noHBand="0" w:noVBand="1"/></w:tblPr>'
        f'<w:tblGrid><w:gridCol w:w="{_LABEL_WIDTH}"/><w:gridCol w:w="{_VALUE_WIDTH}"/>'
        f"</w:tblGrid>{''.join(rows)}</w:tbl>"
        # Word needs a paragraph between two tables; an empty one also spaces the table out.
        '<w:p><w:pPr><w:spacing w:after="0"/></w:pPr></w:p>'
    )


def _logo(png: bytes, alt: str, letter: str) -> str:
    """The logo as an inline picture (``rId4``, ``media/logo.png``), 16 mm high, with alt text."""
    try:
        width, height = struct.unpack(">II", png[16:24])  # the PNG's IHDR chunk
    except struct.error:
        # Logos are checked when they are set; one stored before that check may be cut short.
        raise LetterFormatError(letter, "its letterhead logo is not a complete PNG image; set "
                                "the organisation's logo again") from None
    cy = _LOGO_HEIGHT
    cx = round(cy * width / max(height, 1))
    return (
        f'<w:p><w:pPr><w:spacing w:after="80"/></w:pPr><w:r><w:drawing><wp:inline>'
        f'<wp:extent cx="{cx}" cy="{cy}"/><wp:docPr id="1" name="Logo" descr="{_x(alt)}"/>'
        f'<a:graphic xmlns:a="{_A}"><a:graphicData uri="{_PIC}"><pic:pic xmlns:pic="{_PIC}">'
        f'<pic:nvPicPr><pic:cNvPr id="1" name="logo.png" descr="{_x(alt)}"/><pic:cNvPicPr/>'
        '</pic:nvPicPr><pic:blipFill><a:blip r:embed="rId4"/><a:stretch><a:fillRect/>'
        f'</a:stretch></pic:blipFill><pic:spPr><a:xfrm><a:off x="0" y="0"/>'
        f'<a:ext cx="{cx}" cy="{cy}"/></a:xfrm><a:prstGeom prst="rect"><a:avLst/>'
        "</a:prstGeom></pic:spPr></pic:pic></a:graphicData></a:graphic></wp:inline>"
        "</w:drawing></w:r></w:p>"
    )


def _document(letter: LetterDocument, logo: bytes | None) -> str:
    body: list[str] = []
    signature = letter.signature
    last = len(letter.blocks) - 1
    add = body.append
    head = letter.letterhead
    if logo is not None and head.logo is not None:
        add(_logo(logo, head.logo.alt, letter.name))
    add(_paragraph("Organisation", _text(head.organisation)))
    for index, line in enumerate(head.address):
        final_line = index == len(head.address) - 1
        border = ('<w:pBdr><w:bottom w:val="single" w:sz="4" w:space="6" w:color="B8B8B8"/>'
                  "</w:pBdr>") if final_line else ""
        add(f'<w:p><w:pPr><w:pStyle w:val="Letterhead"/>{border}</w:pPr>{_text(line)}</w:p>')
    add('<w:p><w:pPr><w:pStyle w:val="Address"/></w:pPr></w:p>')
    for line in letter.recipient:
        add(_paragraph("Address", _text(line)))
    add(f'<w:p><w:pPr><w:spacing w:before="200"/></w:pPr>{_text(letter.date)}</w:p>')
    add(_paragraph("Subject", _text(letter.subject)))
    for index, block in enumerate(letter.blocks):
        if isinstance(block, Paragraph):
            if index == last and signature is not None:
                # The last paragraph goes with the closing (never a closing alone on a page).
                add(_paragraph("Normal", _runs(block.runs), keep_next=True))
            else:
                add(f"<w:p>{_runs(block.runs)}</w:p>")
        elif isinstance(block, Heading):
            add(_paragraph(f"Heading{block.level}", _text(block.text)))
        elif isinstance(block, BulletList):
            for item in block.items:
                add(_paragraph("ListBullet", _runs(item)))
        elif isinstance(block, Table):
            add(_table(block))
    if signature is not None:
        # Keep the closing, the space to sign in and the signatory's lines on one page.
        add(_paragraph("Normal", _text(signature.closing), keep_next=True))
        add('<w:p><w:pPr><w:keepNext/><w:spacing w:after="480"/></w:pPr></w:p>')
        for index, line in enumerate(signature.lines):
            add(_paragraph("Address", _text(line, bold=index == 0),
                           keep_next=index < len(signature.lines) - 1))
    return _XML + (
        f'<w:document xmlns:w="{_W}" xmlns:r="{_R}" xmlns:wp="{_WP}"><w:body>{"".join(body)}'
        f'<w:sectPr><w:footerReference w:type="default" r:id="rId3"/>{_PAGE}{_MARGINS}'
        "</w:sectPr></w:body></w:document>"
    )


def _footer(letter: LetterDocument) -> str:
    def field(instruction: str) -> str:
        return f'<w:fldSimple w:instr=" {instruction} "><w:r><w:t>1</w:t></w:r></w:fldSimple>'

    return _XML + (
        f'<w:ftr xmlns:w="{_W}" xmlns:r="{_R}"><w:p><w:pPr><w:pStyle w:val="Footer"/></w:pPr>'
        f"{_text(letter.letterhead.organisation)}<w:r><w:tab/></w:r>{_text('Page ')}"
        f"{field('PAGE')}{_text(' of ')}{field('NUMPAGES')}</w:p></w:ftr>"
    )


def _core(letter: LetterDocument) -> str:
    """Document properties, from the letter as written (NFC; no non-breaking spaces)."""
    return _XML + (
        '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/'
        'core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/">'
        f"<dc:title>{_x(nfc(letter.subject))}</dc:title>"
        f"<dc:subject>{_x(letter.name)}</dc:subject>"
        f"<dc:creator>{_x(nfc(letter.letterhead.organisation))}</dc:creator>"
        "<dc:language>en-GB</dc:language>"
        "</cp:coreProperties>"
    )


class DocxRenderer(LetterRenderer):
    """An editable Word document (Office Open XML), readable by Word, LibreOffice, python-docx."""

    media_type = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    suffix = ".docx"

    def render(self, letter: LetterDocument) -> bytes:
        core = _core(letter)
        letter = prepare(letter)
        logo = (logo_png(letter.name, letter.letterhead.logo.sha256)
                if letter.letterhead.logo is not None else None)
        parts: tuple[tuple[str, str | bytes], ...] = (
            ("[Content_Types].xml", _CONTENT_TYPES),
            ("_rels/.rels", _PACKAGE_RELS),
            ("docProps/core.xml", core),
            ("word/document.xml", _document(letter, logo)),
            ("word/_rels/document.xml.rels",
             _DOCUMENT_RELS if logo is None else _DOCUMENT_RELS_WITH_LOGO),
            ("word/styles.xml", _STYLES),
            ("word/numbering.xml", _NUMBERING),
            ("word/footer1.xml", _footer(letter)),
            *((("word/media/logo.png", logo),) if logo is not None else ()),
        )
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            for name, text in parts:
                info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.create_system = 3  # fixed, so the bytes do not depend on the platform
                info.external_attr = 0o644 << 16
                archive.writestr(info, text.encode("utf-8") if isinstance(text, str) else text)
        return buffer.getvalue()


_DEFAULT = DocxRenderer()


def render_docx(letter: LetterDocument) -> bytes:
    """The letter as a Word document (see :class:`DocxRenderer`)."""
    return _DEFAULT.render(letter)
