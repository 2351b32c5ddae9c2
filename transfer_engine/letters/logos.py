"""Organisations' letterhead logos: stored once by hash, named by it in particulars and letters.

An organisation sets its logo (a PNG or SVG file, with alt text for a screen reader) with
``transfer-engine letters logo SLUG FILE --alt TEXT`` (:func:`set_logo`). The image is kept in
:class:`~transfer_engine.store.register.LetterLogo` by the SHA-256 of its bytes, and the
organisation's particulars hold that hash (``logo``) and the alt text (``logo_alt``), so each
letter's stored data names the exact image it was issued with, without carrying the image.

The letterhead template prints ``<img src="logo:HASH" alt="...">``; the parser keeps the hash
(:class:`~transfer_engine.letters.document.Logo`) and the PDF and DOCX renderers fetch the bytes
from this module's cache (:func:`image`). Whoever composes or re-renders a letter loads its
logos first (:func:`load_logos`, one query). The cache is bounded and safe to share: an entry is
a pure function of its key.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Iterable
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from transfer_engine.errors import FieldProblem, ValidationError
from transfer_engine.letters.errors import LetterFormatError
from transfer_engine.letters.logo_drawing import UndrawableLogo, draw_png
from transfer_engine.letters.recorded_particulars import merge_particulars, organisation_scope
from transfer_engine.store.database import write_session
from transfer_engine.store.organisations import Organisation
from transfer_engine.store.queries import audit
from transfer_engine.store.register import LetterLogo

__all__ = ["MAX_BYTES", "image", "keep_logo", "load_logos", "media_type_of", "set_logo",
           "set_logo_data"]

#: A letterhead logo is small; a larger file is almost always a photograph or a print master.
MAX_BYTES = 256 * 1024
_PNG = b"\x89PNG\r\n\x1a\n"
_CACHE_LIMIT = 64
_cache: dict[str, tuple[bytes, str]] = {}


def media_type_of(data: bytes, where: str) -> str:
    """``image/png`` or ``image/svg+xml``; a clear refusal for anything else."""
    if len(data) > MAX_BYTES:
        raise ValidationError(f"{where}: the logo is {len(data) // 1024} KB; a letterhead logo "
                              f"may be at most {MAX_BYTES // 1024} KB (export it smaller, or "
                              "as SVG)")
    if data.startswith(_PNG):
        # A PNG opens with its IHDR chunk: the renderers read the logo's size from it.
        width, height = struct.unpack(">II", data[16:24]) if len(data) >= 24 else (0, 0)
        if data[12:16] != b"IHDR" or not (width and height):
            raise ValidationError(f"{where}: the PNG file is damaged or cut short (it has no "
                                  "image size); export the logo again")
        return "image/png"
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if (head.startswith((b"<svg", b"<?xml")) and b"<svg" in data[:4096].lower()):
        return "image/svg+xml"
    raise ValidationError(f"{where}: a logo must be a PNG or an SVG file")


def load_logos(session: Session, hashes: Iterable[object]) -> None:
    """Put these logos (by hash; anything else is ignored) in the cache, if not there yet."""
    wanted = sorted({h for h in hashes if isinstance(h, str) and h and h not in _cache})
    if not wanted:
        return
    rows = session.exec(select(LetterLogo).where(col(LetterLogo.sha256).in_(wanted))).all()
    for row in rows:
        if len(_cache) >= _CACHE_LIMIT:
            _cache.clear()
        _cache[row.sha256] = (row.data, row.media_type)


def keep_logo(sha256: str, data: bytes, media_type: str) -> None:
    """Put one logo in the cache as loaded elsewhere (a rendering worker has no database)."""
    if sha256 not in _cache:
        if len(_cache) >= _CACHE_LIMIT:
            _cache.clear()
        _cache[sha256] = (data, media_type)


def image(letter: str, sha256: str) -> tuple[bytes, str]:
    """The bytes and media type of a logo that :func:`load_logos` has loaded."""
    found = _cache.get(sha256)
    if found is None:
        raise LetterFormatError(letter, f"its letterhead logo {sha256[:12]} is not stored; set "
                                "the organisation's logo again")
    return found


def set_logo(slug: str, path: Path | None, *, alt: str | None, actor: str,
             engine: Engine | None = None) -> str | None:
    """Set (or, with ``path`` None, remove) an organisation's logo; its hash, or None."""
    data: bytes | None = None
    if path is not None:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise ValidationError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    return set_logo_data(slug, data, alt=alt, actor=actor, engine=engine,
                         where=str(path) if path else "")


def set_logo_data(slug: str, data: bytes | None, *, alt: str | None, actor: str,
                  engine: Engine | None = None, where: str = "the file") -> str | None:
    """:func:`set_logo` with the image's bytes (an upload); ``where`` names it in a refusal."""
    values: dict[str, object]
    if data is None:
        values = {"logo": None, "logo_alt": None}
    else:
        media_type = media_type_of(data, where)
        try:  # broken inside, though its start looks right: refused now, not mid-issue
            draw_png(data, media_type)
        except UndrawableLogo as exc:
            raise ValidationError(f"{where}: the logo cannot be drawn ({exc}); export it again "
                                  "as a PNG or SVG file") from None
        alt = " ".join((alt or "").split())
        if not alt:
            # A field problem: each front end names its own box or option for it.
            raise ValidationError(field_problems=[FieldProblem(
                "alt", "is required: a logo needs alt text, which a screen reader reads instead "
                "of the image (usually the organisation's name)", "alt text", "required")])
        digest = hashlib.sha256(data).hexdigest()
        values = {"logo": digest, "logo_alt": alt}
    with write_session(engine) as session:
        organisation = session.exec(select(Organisation).where(Organisation.slug == slug)).first()
        if organisation is None:
            raise ValidationError(f"no organisation with slug {slug!r}")
        if data is not None and session.exec(select(LetterLogo.id).where(
                LetterLogo.sha256 == digest)).first() is None:
            session.add(LetterLogo(sha256=digest, media_type=media_type, data=data,
                                   stored_by=actor))
        merge_particulars(session, {organisation_scope(slug): (None, values)}, actor=actor)
        audit(session, None, actor, "letter-logo", data={
            "organisation": slug, "logo": values["logo"], "alt": values["logo_alt"]})
    return values["logo"] if isinstance(values["logo"], str) else None
