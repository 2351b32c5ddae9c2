"""A bulk issue's letters rendered in worker processes, outside the write transaction.

Rendering (the template, then Typst's PDF and the DOCX) is most of what issuing a letter costs,
and the issuing process writes each chunk of letters holding the transfer's lock (on SQLite,
the database's one writer). With workers (``letters issue --workers 2``), the next chunk's
letters are composed in a read transaction (their data) and handed to other processes, which
render them in every format from the template's sources and that data, as ``letters verify``
does, while this one writes the current chunk. The writer then takes the files made elsewhere
only for a letter whose data, as it composes it again under the lock, has exactly the SHA-256
and template version they were made from; for any other letter (the data changed meanwhile, a
worker failed) it renders the letter itself, as without workers. A letter's files are a
function of the template, the data and the renderers alone (that is what lets ``letters
verify`` re-render them), so the register holds byte for byte what one process would have
written; every write (files, register rows, outbox notices) stays in the chunk's transaction,
so exactly once is unchanged. The writer is left with the database and the files.

Workers are started afresh (``spawn``), not forked: a forked child would share the parent's
database connections and Typst's threads.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterable
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any

from transfer_engine.letters.catalogue import TemplateBundle
from transfer_engine.letters.compose import ComposedLetter
from transfer_engine.letters.data import data_sha256, to_context
from transfer_engine.letters.document import LetterDocument, Letterhead
from transfer_engine.letters.errors import LetterFormatError
from transfer_engine.letters.logos import image, keep_logo
from transfer_engine.letters.pdf import render_pdf
from transfer_engine.letters.register import FORMATS
from transfer_engine.letters.templates import LetterTemplates

__all__ = ["MAX_WORKERS", "RenderWorkers"]

#: More workers than cores only queue behind each other.
MAX_WORKERS = 8

_Key = tuple[str, str, str]  # letter, template version, SHA-256 of the data
_Logo = tuple[str, bytes, str]  # SHA-256, image, media type
_Files = dict[str, bytes]  # a letter's bytes in every format, by format


def _key(letter: ComposedLetter) -> _Key:
    return letter.spec.name, letter.spec.version, data_sha256(letter.data)


# A letter of one line, typeset by each worker as it starts: Typst then has the fonts loaded.
_WARM_UP = LetterDocument("warm-up", Letterhead("Warm-up"), "1 January 2000", ("Warm-up",),
                          "Warm-up")
# In a worker: each template version's environment, built once from its sources.
_TEMPLATES: dict[str, LetterTemplates] = {}


def _warm_up() -> None:
    render_pdf(_WARM_UP)


def _render(bundle: TemplateBundle, letters: list[tuple[dict[str, Any], _Logo | None]]
            ) -> list[_Files | None]:
    """In a worker: each letter in every format from its template sources and data, as
    ``letters verify`` renders a letter again (a logo handed over: the worker has no database);
    None for a letter that cannot be made here (the writer then makes it, and reports what is
    wrong)."""
    version = bundle.version
    templates = _TEMPLATES.get(version)
    if templates is None:
        if len(_TEMPLATES) >= 16:
            _TEMPLATES.clear()
        templates = _TEMPLATES[version] = bundle.templates()
    made: list[_Files | None] = []
    for data, logo in letters:
        if logo is not None:
            keep_logo(*logo)
        try:
            document = templates.render(bundle.letter, to_context(data))
            made.append({fmt: renderer.render(document) for fmt, renderer in FORMATS.items()})
        except LetterFormatError:
            made.append(None)
    return made


def _logo(letter: ComposedLetter) -> _Logo | None:
    """The sender's logo, to hand to the worker (a letter whose logo is not loaded is
    rendered by the writer, which reports it)."""
    sender = letter.data.get("sender")
    sha256 = sender.get("logo") if isinstance(sender, dict) else None
    if not isinstance(sha256, str) or not sha256:
        return None
    try:
        return (sha256, *image(letter.spec.name, sha256))
    except LetterFormatError:
        return None


class RenderWorkers:
    """Worker processes rendering the letters composed ahead of their chunk."""

    def __init__(self, workers: int) -> None:
        self._pool = ProcessPoolExecutor(max_workers=min(workers, MAX_WORKERS),
                                         mp_context=multiprocessing.get_context("spawn"))
        self._made: dict[_Key, tuple[int, Future[list[_Files | None]], int]] = {}
        self._workers = min(workers, MAX_WORKERS)
        self._broken = False
        # Each worker starts (imports, loads the fonts) now, while the recipients are checked.
        for _ in range(self._workers):
            self._pool.submit(_warm_up)

    def submit(self, letters: Iterable[ComposedLetter], chunk: int) -> None:
        """Render these letters (those without gaps: the others are refused when written),
        shared out in one batch per worker (the template's sources are sent once a batch)."""
        by_version: dict[str, list[tuple[_Key, ComposedLetter]]] = {}
        for letter in letters:
            key = _key(letter)
            if not letter.missing and key not in self._made:
                by_version.setdefault(letter.spec.version, []).append((key, letter))
        for batch in by_version.values():
            size = -(-len(batch) // self._workers)
            for start in range(0, len(batch), size):
                part = batch[start:start + size]
                if self._broken:
                    return
                try:
                    future = self._pool.submit(_render, part[0][1].spec.bundle, [
                        (letter.data, _logo(letter)) for _, letter in part])
                except RuntimeError:  # the pool broke or shut down: the writer renders
                    self._broken = True
                    return
                for index, (key, _) in enumerate(part):
                    self._made[key] = chunk, future, index

    def take(self, letter: ComposedLetter) -> _Files | None:
        """The files made elsewhere for exactly this letter (every format), or None."""
        found = self._made.pop(_key(letter), None)
        if found is None:
            return None
        try:
            return found[1].result()[found[2]]
        except Exception:  # the writer renders it itself, and reports a fault of its own
            return None

    def done_with(self, chunk: int) -> None:
        """Forget what was made for ``chunk`` and before and not taken (e.g. already held)."""
        for key in [k for k, (c, _, _) in self._made.items() if c <= chunk]:
            self._made.pop(key)[1].cancel()

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
