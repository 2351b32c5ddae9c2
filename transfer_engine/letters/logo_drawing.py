"""A letterhead logo drawn by Typst as a PNG bitmap: for the DOCX letter, and as a check.

The DOCX needs a bitmap, so an SVG logo is drawn at 300 ppi; the drawing depends only on the
image, so the last few are kept and a bulk issue draws its sender's logo once, not once a
letter. Drawing is also the check that a logo can be used at all: a file that looks like a PNG
or an SVG at its start but is cut short or broken inside would otherwise be stored, and stop an
issue half way, in the middle of its PDFs. :func:`transfer_engine.letters.logos.set_logo_data`
draws every logo before it stores it.
"""

from __future__ import annotations

import json
import os
import threading
from functools import lru_cache
from pathlib import Path
from typing import Any

import typst

from transfer_engine.letters.typefaces import FONT_DIR

__all__ = ["UndrawableLogo", "draw_png", "image_json", "in_memory"]

LOGO_PROGRAM = Path(__file__).with_name("logo.typ")
_KINDS = {"image/png": "png", "image/svg+xml": "svg"}


class UndrawableLogo(Exception):
    """The image cannot be drawn; ``str()`` is Typst's reason, for the caller to word."""


class _Compiler:
    """This process's compiler (a forked or spawned worker makes its own)."""

    def __init__(self) -> None:
        self.pid = os.getpid()
        self.lock = threading.Lock()
        self.program = LOGO_PROGRAM.read_bytes()
        self.compiler = typst.Compiler(LOGO_PROGRAM, root=LOGO_PROGRAM.parent,
                                       font_paths=[FONT_DIR], ignore_system_fonts=True)


_warm: _Compiler | None = None
_making = threading.Lock()


def _compiler() -> _Compiler:
    global _warm
    with _making:
        if _warm is None or _warm.pid != os.getpid():
            _warm = _Compiler()
        return _warm


def in_memory(files: dict[str, bytes]) -> Any:
    """Files handed to a Typst compiler in memory (``main.typ`` the program; all text).

    typst-py takes a dict of file names to bytes as a compile's input, though its type stubs
    list only a path or the main file's bytes.
    """
    return files


def image_json(data: bytes) -> bytes:
    """An image as a file the compiler can be given: in-memory files must be text, so its
    bytes go as a JSON array of numbers (the programs read it with ``bytes(json(...))``)."""
    return json.dumps(list(data), separators=(",", ":")).encode()


@lru_cache(maxsize=8)
def draw_png(data: bytes, media_type: str) -> bytes:
    """The logo (``image/png`` or ``image/svg+xml``) drawn 16 mm high at 300 ppi, as a PNG.

    Raises :class:`UndrawableLogo` when Typst cannot draw it.
    """
    warm = _compiler()
    try:
        with warm.lock:
            png = warm.compiler.compile(input=in_memory({
                "main.typ": warm.program, "logo.json": image_json(data),
                "kind.json": json.dumps(_KINDS.get(media_type, "png")).encode()}),
                format="png", ppi=300)
    except typst.TypstError as exc:
        raise UndrawableLogo(exc.message) from None
    assert isinstance(png, bytes)
    return png
