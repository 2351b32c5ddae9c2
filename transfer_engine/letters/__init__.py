"""Letters: from one Jinja2 template per letter to PDF, DOCX, plain text and email HTML.

The pipeline::

    template (Jinja2, autoescaped)  ->  letter HTML subset   (the email body / preview)
                                    ->  LetterDocument       (parse_letter_html)
                                    ->  PDF / DOCX / text / email HTML   (a LetterRenderer)

Typical use::

    templates = LetterTemplates(get_settings().templates_dir)
    letter = templates.render("employee-notification", context)
    pdf_bytes = render_pdf(letter)

The HTML subset is documented in :mod:`transfer_engine.letters.parse`.
"""

from transfer_engine.letters.document import LetterDocument
from transfer_engine.letters.docx import DocxRenderer, render_docx
from transfer_engine.letters.email_html import HtmlRenderer, render_html
from transfer_engine.letters.errors import LetterFormatError
from transfer_engine.letters.parse import parse_letter_html
from transfer_engine.letters.pdf import PdfRenderer, render_pdf
from transfer_engine.letters.renderer import LetterRenderer
from transfer_engine.letters.templates import LetterTemplates
from transfer_engine.letters.text import TextRenderer, render_text

__all__ = [
    "DocxRenderer",
    "HtmlRenderer",
    "LetterDocument",
    "LetterFormatError",
    "LetterRenderer",
    "LetterTemplates",
    "PdfRenderer",
    "TextRenderer",
    "parse_letter_html",
    "render_docx",
    "render_html",
    "render_pdf",
    "render_text",
]
