"""The PDF renderer: letters typeset by Typst as tagged PDF/A-2a and PDF/UA-1.

Why Typst: a letter must show every name exactly as it is written (Ł, ŵ, Ş and Ș, Vietnamese),
be readable by a screen reader (tagged headings, lists and tables, a title, a language) and be
kept for years (PDF/A, fonts embedded). The hand-written PDF writer this replaced could do none
of that (the standard Helvetica fonts cannot draw ŵ at all). Typst, the Rust typesetter, does
all of it in a few milliseconds a letter once warm (``bench/letters_bench.py``).

How: one fixed Typst program (``letter.typ``) reads the letter model from a JSON file given to
the compiler in memory (with the logo's image, if any). The letter's text is data, never markup,
so nothing in a name can change the letter. The fonts are the shipped ones only
(:mod:`~transfer_engine.letters.typefaces`, system fonts ignored), and the PDF's timestamp is
the letter's date, so the same letter gives the same bytes on every machine, which is what lets
``letters verify`` re-render an issued letter and compare. :func:`renderer_version` (Typst, the
program, the fonts) is recorded with each letter.

One compiler is kept warm per process (fonts loaded once); a lock makes it safe for the web
app's threads, and a forked worker makes its own. Warm also means Typst's own memory of the
paragraphs it has set: the letters of one issue share most of their text, and a paragraph set
once is not set again. That is why the letter goes in as a file and not through
``sys_inputs``: new inputs rebuild Typst's standard library, and with it every memory of
earlier layout (measured: about 11 ms a letter instead of 5; ``bench/letters_bench.py``).
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from datetime import UTC, date, datetime
from functools import cache, lru_cache
from importlib.metadata import version
from pathlib import Path
from typing import Any

import typst

from transfer_engine.letters.document import (
    BulletList,
    Heading,
    Inline,
    LetterDocument,
    Paragraph,
    Table,
)
from transfer_engine.letters.errors import LetterFormatError
from transfer_engine.letters.logo_drawing import UndrawableLogo, draw_png, image_json, in_memory
from transfer_engine.letters.logos import image
from transfer_engine.letters.renderer import LetterRenderer
from transfer_engine.letters.typefaces import FONT_DIR, check_drawable, drawable, fonts_sha256
from transfer_engine.letters.typography import nfc, prepare, repeats_name, set_text

__all__ = ["PDF_STANDARDS", "PdfRenderer", "letter_model", "logo_png", "render_pdf",
           "renderer_version"]

PROGRAM = Path(__file__).with_name("letter.typ")
#: Both at once: archival (PDF/A-2, level a: tagged) and accessible (PDF/UA-1).
PDF_STANDARDS: list[Any] = ["a-2a", "ua-1"]
# A letter without a machine-readable date (none of ours) is stamped with a fixed one.
_NO_DATE = date(2000, 1, 1)


#: The main file of every compile, in memory: it imports the program (read from its folder,
#: so Typst parses and evaluates it once per process) and hands it the letter. The title is set
#: after the content: a style over the whole letter that changed with every letter would stop
#: Typst reusing the layout of paragraphs that do not (see letter.typ).
MAIN = (b'#import "letter.typ": typeset\n'
        b'#let letter = json("letter.json")\n'
        b'#typeset(letter)\n'
        b'#set document(title: letter.title, author: letter.author, keywords: (letter.name,))\n')


@cache
def _program_sha256() -> str:
    return hashlib.sha256(MAIN + PROGRAM.read_bytes()).hexdigest()


@cache
def renderer_version() -> str:
    """What typesets PDFs here: recorded with each letter, compared by ``letters verify``.

    Worked out on first use, not at import: it hashes the fonts (megabytes), which a command
    that makes no letter should not pay for.
    """
    return (f"typst {version('typst')}; letter.typ {_program_sha256()[:12]}; "
            f"fonts {fonts_sha256()[:12]}")



class _Undrawable(Exception):
    """A string of the letter holds a character no shipped face can draw (worded by
    :func:`~transfer_engine.letters.typefaces.check_drawable`)."""


@lru_cache(maxsize=8_192)
def _set(text: str) -> str:
    """``text`` as the PDF sets it (:func:`set_text`: NFC, dates and references tied), once
    checked drawable. Remembered: the letters of an issue share most of their strings."""
    text = set_text(text)
    if drawable(text) is not None:
        raise _Undrawable
    return text


def _runs(runs: Inline) -> list[list[Any]]:
    return [[_set(run.text), (run.bold << 1) | run.italic] for run in runs]


def _headings(letter: LetterDocument) -> dict[int, int]:
    """Tag levels for the body's headings: the subject is level 1, and no level is skipped."""
    levels: dict[int, int] = {}
    deepest = 1
    for index, block in enumerate(letter.blocks):
        if isinstance(block, Heading):
            level = min(block.level + 1, deepest + 1)
            levels[index] = level
            deepest = level
    return levels


def letter_model(letter: LetterDocument, title: str | None = None,
                 logo_format: str = "png") -> dict[str, Any]:
    """The letter as the Typst program reads it: its text set as :func:`prepare` sets it (for
    the DOCX too), in one pass over the letter instead of a prepared copy and then the model.

    ``title`` is the document's title for its metadata (default: the subject in NFC, untied:
    a title is never broken across lines); ``logo_format`` is ``png`` or ``svg``, for a letter
    with a logo. Raises :class:`_Undrawable` if any text holds a character no face can draw.
    """
    levels = _headings(letter)
    blocks: list[dict[str, Any]] = []
    for index, block in enumerate(letter.blocks):
        if isinstance(block, Paragraph):
            blocks.append({"k": "p", "r": _runs(block.runs)})
        elif isinstance(block, Heading):
            blocks.append({"k": "h", "l": levels[index], "t": _set(block.text)})
        elif isinstance(block, BulletList):
            blocks.append({"k": "ul", "i": [_runs(item) for item in block.items]})
        elif isinstance(block, Table):
            blocks.append({"k": "table", "rows": [
                {"l": _runs(row.label), "v": _runs(row.value), "h": row.header,
                 "th": row.label_is_th} for row in block.rows]})
    # The last paragraph goes with the closing and signature (never a closing alone on a page).
    keep = len(blocks)
    if letter.signature is not None and blocks and blocks[-1]["k"] == "p":
        keep -= 1
    head = letter.letterhead
    organisation = _set(head.organisation)
    signature = letter.signature
    if head.logo is not None and drawable(head.logo.alt) is not None:
        raise _Undrawable
    return {
        "name": letter.name,
        "title": title if title is not None else nfc(letter.subject),
        "author": organisation,
        "organisation": organisation,
        "address": [_set(line) for line in head.address
                    if not repeats_name(line, head.organisation)],
        "logo": ({"format": logo_format, "alt": head.logo.alt}
                 if head.logo is not None else None),
        "recipient": [_set(line) for line in letter.recipient],
        "date": _set(letter.date),
        "subject": _set(letter.subject),
        "blocks": blocks,
        "keep": keep,
        "closing": _set(signature.closing) if signature is not None else None,
        "signature": [_set(line) for line in signature.lines] if signature is not None else [],
    }


_LOGO_FILES: dict[str, bytes] = {}


def _logo_file(sha256: str, data: bytes) -> bytes:
    # Kept (a few), so a batch encodes its sender's logo once.
    found = _LOGO_FILES.get(sha256)
    if found is None:
        if len(_LOGO_FILES) >= 8:
            _LOGO_FILES.clear()
        found = _LOGO_FILES[sha256] = image_json(data)
    return found


def _timestamp(letter: LetterDocument) -> int:
    try:
        day = date.fromisoformat(letter.iso_date) if letter.iso_date else _NO_DATE
    except ValueError:
        day = _NO_DATE
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())


class _Warm:
    """This process's compiler, made on first use (fonts loaded once)."""

    def __init__(self) -> None:
        self.pid = os.getpid()
        self.lock = threading.Lock()
        self.compiler = typst.Compiler(
            PROGRAM, root=PROGRAM.parent, font_paths=[FONT_DIR], ignore_system_fonts=True)


_warm: _Warm | None = None
_making = threading.Lock()


def _compiler() -> _Warm:
    global _warm
    warm = _warm
    if warm is None or warm.pid != os.getpid():  # none yet, or inherited across a fork
        with _making:
            if _warm is None or _warm.pid != os.getpid():
                _warm = _Warm()
            warm = _warm
    return warm


class PdfRenderer(LetterRenderer):
    """A4 PDF/A-2a + PDF/UA-1, typeset by Typst in the shipped fonts (embedded, subset)."""

    media_type = "application/pdf"
    suffix = ".pdf"

    def render(self, letter: LetterDocument) -> bytes:
        logo = letter.letterhead.logo
        files: dict[str, bytes] = {"main.typ": MAIN}
        logo_format = "png"
        if logo is not None:
            data, media_type = image(letter.name, logo.sha256)
            logo_format = "svg" if media_type == "image/svg+xml" else "png"
            files["logo.json"] = _logo_file(logo.sha256, data)
        try:
            model: dict[str, Any] | None = letter_model(letter, logo_format=logo_format)
        except _Undrawable:
            model = None
        if model is None:
            # Worded with the recipient, the character and where it is in the letter: the
            # model's check and check_drawable test the same strings, so the latter raises.
            check_drawable(prepare(letter))
            raise LetterFormatError(letter.name, "holds a character the letter fonts cannot "
                                    "draw")
        files["letter.json"] = json.dumps(model, ensure_ascii=False,
                                          separators=(",", ":")).encode()
        warm = _compiler()
        try:
            with warm.lock:
                pdf = warm.compiler.compile(input=in_memory(files), format="pdf",
                                            pdf_standards=PDF_STANDARDS,
                                            timestamp=_timestamp(letter))
        except typst.TypstError as exc:
            hints = "; ".join(getattr(exc, "hints", None) or ())
            raise LetterFormatError(letter.name, "could not be typeset as PDF: "
                                    f"{exc.message}" + (f" ({hints})" if hints else "")
                                    ) from None
        assert isinstance(pdf, bytes)
        return pdf


def logo_png(letter: str, sha256: str) -> bytes:
    """The logo as a PNG (an SVG logo drawn at 300 ppi), for formats that need a bitmap."""
    data, media_type = image(letter, sha256)
    if media_type == "image/png":
        return data
    try:
        return draw_png(data, media_type)
    except UndrawableLogo as exc:
        raise LetterFormatError(letter, f"its logo cannot be drawn: {exc}") from None


_DEFAULT = PdfRenderer()


def render_pdf(letter: LetterDocument) -> bytes:
    """The letter as a tagged, archival A4 PDF (see :class:`PdfRenderer`)."""
    return _DEFAULT.render(letter)
