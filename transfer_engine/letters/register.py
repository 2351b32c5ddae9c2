"""The register of issued letters: every file, its SHA-256, the template version and the data.

A tribunal may ask, months later, exactly what a representative or an employee was sent and
when. For each letter the register keeps:

* the rendered files (PDF, DOCX, the HTML email and the plain text), under the letters folder
  (``TRANSFER_ENGINE_LETTERS_DIR``) as ``<transfer>/<letter>/<id>-<recipient>.<ext>``, with the
  SHA-256 and size of each;
* the template version (the SHA-256 of its sources) and, once per version, the sources
  themselves (:class:`~transfer_engine.store.register.LetterTemplateVersion`);
* the exact data it was rendered with, and its hash; who issued it and when; and the letter it
  superseded, if any.

``letters verify`` (:func:`verify`) checks each file against its recorded hash (a file changed
or removed since is reported), then renders the letter again from the stored data and stored
sources and checks that every format comes out byte for byte the same. The renderers are
deterministic (the PDF is stamped with the letter's date and typeset in the shipped fonts only;
the DOCX has fixed zip timestamps), which is what makes that possible; the renderers' versions
are recorded with each letter (:func:`renderers`), and a letter made by other versions has its
PDF and DOCX checked against their hashes only.

Files are written under a temporary name (``<file>.part``) in the transaction that records
them, and renamed into place only once it has committed (a rollback deletes them): a file under
its own name is always one the register owns. A crash can still leave a ``.part`` file behind
(before the commit: an issue that never happened, holding an employee's name and pay; between
the commit and the rename: a registered letter whose file is not in place yet).
:mod:`transfer_engine.letters.orphans` finds both, removes the first and completes the second.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import re
import weakref
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
from sqlalchemy import event, insert, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, col, select

from transfer_engine.config import Settings, get_settings
from transfer_engine.dates.clock import utcnow
from transfer_engine.errors import NotFoundError
from transfer_engine.letters.catalogue import LetterSpec, TemplateBundle, spec_from_bundle
from transfer_engine.letters.context import UNNUMBERED
from transfer_engine.letters.data import data_sha256, to_context
from transfer_engine.letters.docx import DOCX_VERSION, DocxRenderer
from transfer_engine.letters.email_html import HtmlRenderer
from transfer_engine.letters.errors import LetterFormatError
from transfer_engine.letters.logos import load_logos
from transfer_engine.letters.pdf import PdfRenderer, renderer_version
from transfer_engine.letters.renderer import LetterRenderer
from transfer_engine.letters.templates import LetterTemplates
from transfer_engine.letters.text import TextRenderer
from transfer_engine.store.database import read_session
from transfer_engine.store.faults import folder_fault
from transfer_engine.store.queries import get_transfer
from transfer_engine.store.register import Letter, LetterFile, LetterStatus, LetterTemplateVersion

__all__ = ["FORMATS", "RenderedLetter", "VerifyReport", "render", "renderers", "verify"]

#: Every format a letter is kept in, by name.
FORMATS: dict[str, LetterRenderer] = {
    "pdf": PdfRenderer(),
    "docx": DocxRenderer(),
    "html": HtmlRenderer(),
    "txt": TextRenderer(),
}


@cache
def renderers() -> str:
    """The versions of the renderers whose output depends on more than this code (Typst, the
    letter program, the fonts; the DOCX writer), recorded with each letter (``Letter.renderer``).
    """
    return f"pdf: {renderer_version()}; docx: {DOCX_VERSION}"


#: Formats re-rendered by ``letters verify`` only for letters made by the renderers in use now.
_VERSIONED = frozenset({"pdf", "docx"})

_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass
class RenderedLetter:
    """One letter rendered from its data: its subject and every format's bytes."""

    subject: str
    files: dict[str, bytes]

    def sha256(self, fmt: str) -> str:
        return hashlib.sha256(self.files[fmt]).hexdigest()


# Subjects compiled once per environment (compiling costs more than rendering).
_SUBJECTS: weakref.WeakKeyDictionary[LetterTemplates, dict[str, jinja2.Template]] = \
    weakref.WeakKeyDictionary()


def render_subject(templates: LetterTemplates, spec: LetterSpec, context: dict[str, Any]) -> str:
    """The email subject from the letter's metadata (plain text: not HTML-escaped).

    ``[sample data]`` goes first for synthetic data, and ``[<transfer ref>]`` last.
    """
    compiled = _SUBJECTS.setdefault(templates, {})
    template = compiled.get(spec.subject)
    if template is None:
        template = compiled[spec.subject] = templates.environment.from_string(
            f"{{% autoescape false %}}{spec.subject}{{% endautoescape %}}")
    try:
        subject = " ".join(template.render(context).split())
    except Exception as exc:  # the same faults as the body, already reported by the check
        raise LetterFormatError(spec.name, f"its subject could not be rendered: {exc}") from None
    # Sample data says so before anything else; a letter's own reference ("LD-NCT/R13/0001",
    # which starts with the transfer's code) or else the transfer's ends every subject, so
    # that replies and mail rules can be sorted by transfer.
    prefix = "[sample data] " if context.get("synthetic") else ""
    reference = getattr(context.get("letter"), "reference", None)
    if not reference or reference == UNNUMBERED:
        reference = getattr(context.get("transfer"), "reference", None)
    return f"{prefix}{subject}" + (f" [{reference}]" if reference else "")


def render(templates: LetterTemplates, spec: LetterSpec, data: dict[str, Any],
           formats: tuple[str, ...] = tuple(FORMATS),
           made: Mapping[str, bytes] | None = None) -> RenderedLetter:
    """Render one letter's stored (or fresh) data into every format.

    ``made``: formats already rendered from this very data and template version elsewhere
    (by a worker process, :mod:`~transfer_engine.letters.render_workers`).
    """
    context = to_context(data)
    made = made or {}
    files = {fmt: made[fmt] for fmt in formats if fmt in made}
    if len(files) < len(formats):
        document = templates.render(spec.name, context)
        files.update((fmt, FORMATS[fmt].render(document)) for fmt in formats if fmt not in made)
    # In the order asked for, whoever made them.
    return RenderedLetter(render_subject(templates, spec, context),
                          {fmt: files[fmt] for fmt in formats})


# ---------------------------------------------------------------------------------------------
# Writing


def _slug(text: str) -> str:
    return _SAFE.sub("-", text).strip("-") or "x"


def transfer_folder(transfer_ref: str) -> str:
    """The folder of a transfer's letters, relative to the letters folder."""
    return _slug(transfer_ref.replace("/", "_"))


def relative_path(transfer_ref: str, letter: str, letter_id: int, recipient_key: str,
                  fmt: str) -> str:
    return "/".join((transfer_folder(transfer_ref), _slug(letter),
                     f"{letter_id:07d}-{_slug(recipient_key)}{FORMATS[fmt].suffix}"))


#: How a file waiting for its transaction to commit is named: ``<file name><STAGED>``.
STAGED = ".part"
_STAGED_KEY = "transfer_engine.letter_files"
log = logging.getLogger("transfer_engine.letters.register")


def _write_staged(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + STAGED)
    with temporary.open("wb") as handle:
        handle.write(data)
    return temporary


def stage_file(session: Session, root: Path, relative: str, data: bytes) -> None:
    """Write a letter's file under its temporary name; it takes its own at ``session``'s commit.

    Written now (so that a full disk stops the issue before anything is committed), renamed
    after the commit, deleted on a rollback.
    """
    path = root / relative
    try:
        temporary = _write_staged(path, data)
    except OSError as exc:  # not writable, full: the issue stops here, with nothing kept
        with contextlib.suppress(OSError):  # then it could not be written at all
            path.with_name(path.name + STAGED).unlink(missing_ok=True)
        raise folder_fault(exc, root, "TRANSFER_ENGINE_LETTERS_DIR") from None
    session.info.setdefault(_STAGED_KEY, []).append((temporary, path))


@event.listens_for(OrmSession, "after_commit")
def _promote_staged(session: OrmSession) -> None:
    for temporary, path in session.info.pop(_STAGED_KEY, ()):
        try:
            os.replace(temporary, path)
        except OSError as exc:
            # Committed already: the letter is issued. `letters sweep-orphans` completes it.
            log.error("letter file %s is registered but could not be put in place (%s); "
                      "`transfer-engine letters sweep-orphans` completes it", path, exc)


@event.listens_for(OrmSession, "after_rollback")
def _discard_staged(session: OrmSession) -> None:
    for temporary, _path in session.info.pop(_STAGED_KEY, ()):
        try:
            temporary.unlink(missing_ok=True)
        except OSError as exc:
            log.error("could not remove %s after a rollback (%s); `transfer-engine letters "
                      "sweep-orphans` removes it", temporary, exc)


_VERSION = LetterTemplateVersion.__table__  # type: ignore[attr-defined]
_LETTER = Letter.__table__  # type: ignore[attr-defined]
_FILE = LetterFile.__table__  # type: ignore[attr-defined]
# Built once, the values given as parameters: building an INSERT with .values() for each letter
# cost more than executing it (SQLAlchemy then reuses the compiled statement from its cache).
_INSERT_LETTER = insert(_LETTER).returning(_LETTER.c.id)


def ensure_version(session: Session, bundle: TemplateBundle,
                   known: set[str] | None = None) -> str:
    """Store the sources of this template version once; its version string."""
    version = bundle.version
    if known is not None and version in known:
        return version
    exists = session.exec(select(LetterTemplateVersion.id)
                          .where(LetterTemplateVersion.version == version)).first()
    if exists is None:
        connection = session.connection()
        values = {"version": version, "letter": bundle.letter, "sources": bundle.as_dict(),
                  "created_at": utcnow()}
        # Two processes may store the same version at once: the second insert does nothing.
        dialect = {"sqlite": sqlite, "postgresql": postgresql}.get(connection.dialect.name)
        if dialect is not None:
            connection.execute(dialect.insert(_VERSION).values(**values)
                               .on_conflict_do_nothing(index_elements=["version"]))
        else:
            try:
                with connection.begin_nested():
                    connection.execute(insert(_VERSION).values(**values))
            except IntegrityError:
                pass
    if known is not None:
        known.add(version)
    return version


@dataclass(frozen=True)
class Entry:
    """What to record of one issued letter, besides its files."""

    key: str
    transfer_id: int
    transfer_ref: str
    letter: str
    edition: str
    template_version: str
    recipient_ref: str
    about_ref: str | None
    recipient_key: str
    recipient_label: str
    recipient_email: str | None
    audience: str
    letter_date: date
    data: dict[str, Any]
    sample_data: bool
    issued_by: str
    supersedes_id: int | None
    # Its reference and number (letters/references.py), and why it was issued again.
    reference: str | None = None
    sequence: int | None = None
    reissue_reason: str | None = None


def record(session: Session, entry: Entry, rendered: RenderedLetter,
           settings: Settings | None = None) -> tuple[int, dict[str, tuple[str, str]]]:
    """Insert the register row, write its files and record their hashes (caller's transaction).

    The files take their names when the transaction commits (see :func:`stage_file`).

    Returns the letter's id and, by format, its (relative path, sha256).
    """
    settings = settings or get_settings()
    connection = session.connection()
    letter_id = connection.execute(_INSERT_LETTER, {
        "key": entry.key, "transfer_id": entry.transfer_id, "transfer_ref": entry.transfer_ref,
        "letter": entry.letter, "edition": entry.edition,
        "template_version": entry.template_version, "recipient_ref": entry.recipient_ref,
        "about_ref": entry.about_ref, "recipient_label": entry.recipient_label,
        "recipient_email": entry.recipient_email, "audience": entry.audience,
        "subject": rendered.subject, "letter_date": entry.letter_date, "data": entry.data,
        "data_sha256": data_sha256(entry.data), "sample_data": entry.sample_data,
        "issued_at": utcnow(), "issued_by": entry.issued_by, "status": LetterStatus.issued,
        "supersedes_id": entry.supersedes_id, "renderer": renderers(),
        "reference": entry.reference, "sequence": entry.sequence,
        "reissue_reason": entry.reissue_reason,
    }).scalar_one()
    written: dict[str, tuple[str, str]] = {}
    rows = []
    for fmt, data in rendered.files.items():
        relative = relative_path(entry.transfer_ref, entry.letter, letter_id,
                                 entry.recipient_key, fmt)
        stage_file(session, settings.letters_dir, relative, data)
        digest = rendered.sha256(fmt)
        written[fmt] = (relative, digest)
        rows.append({"letter_id": letter_id, "format": fmt, "path": relative,
                     "media_type": FORMATS[fmt].media_type, "sha256": digest,
                     "size": len(data)})
    connection.execute(insert(_FILE), rows)
    if entry.supersedes_id is not None:
        connection.execute(update(_LETTER).where(_LETTER.c.id == entry.supersedes_id).values(
            status=LetterStatus.superseded, superseded_by_id=letter_id))
    return letter_id, written


# ---------------------------------------------------------------------------------------------
# Verifying


@dataclass
class LetterCheck:
    """The outcome of verifying one issued letter."""

    id: int
    transfer_ref: str
    letter: str
    recipient: str
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "transfer": self.transfer_ref, "letter": self.letter,
                "recipient": self.recipient, "ok": self.ok, "problems": self.problems}


@dataclass
class VerifyReport:
    checked: int = 0
    failures: list[LetterCheck] = field(default_factory=list)
    # Files in the letters folder that no register entry owns (see letters.orphans).
    orphans: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures and not self.orphans

    def as_json(self) -> dict[str, Any]:
        return {"checked": self.checked, "ok": self.ok,
                "failures": [f.as_json() for f in self.failures], "orphans": self.orphans}


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file, read in blocks (letters can be large PDFs)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


def _iter_letters(session: Session, transfer_ref: str | None) -> Iterator[Letter]:
    last = 0
    while True:
        # Purged letters have no files or data left to check (see transfer_engine.ops.retention).
        query = (select(Letter).where(col(Letter.id) > last, Letter.status != LetterStatus.purged)
                 .order_by(col(Letter.id)).limit(200))
        if transfer_ref is not None:
            query = query.where(Letter.transfer_ref == transfer_ref)
        rows = session.exec(query).all()
        if not rows:
            return
        yield from rows
        last = rows[-1].id or last
        session.expunge_all()


def check_letter(session: Session, letter: Letter, files: list[LetterFile], root: Path,
                 bundles: dict[str, tuple[LetterSpec, LetterTemplates] | None]) -> LetterCheck:
    """Verify one letter: its files against their hashes, then a fresh render against them."""
    assert letter.id is not None
    check = LetterCheck(letter.id, letter.transfer_ref, letter.letter, letter.recipient_label)
    for row in files:
        path = root / row.path
        if not path.is_file():
            check.problems.append(f"{row.format}: file {path} is missing")
        elif file_sha256(path) != row.sha256:
            check.problems.append(f"{row.format}: file {path} has changed since it was issued "
                                  "(its SHA-256 no longer matches the register)")
    if data_sha256(letter.data) != letter.data_sha256:
        check.problems.append("the stored data has changed since the letter was issued")
    if letter.template_version not in bundles:
        bundles[letter.template_version] = _stored_version(session, letter.template_version)
    stored = bundles[letter.template_version]
    if stored is None:
        check.problems.append(f"template version {letter.template_version[:12]} is not stored "
                              "(or its sources no longer match their hash)")
        return check
    spec, templates = stored
    sender = letter.data.get("sender")
    if isinstance(sender, dict):
        load_logos(session, [sender.get("logo")])
    # A letter made by another version of Typst, the letter program, the fonts or the DOCX
    # writer cannot come out byte for byte the same: its PDF and DOCX are checked against their
    # recorded hashes above, and only the formats this code alone decides are re-rendered.
    again = [row for row in files
             if letter.renderer == renderers() or row.format not in _VERSIONED]
    try:
        rendered = render(templates, spec, letter.data, tuple(r.format for r in again))
    except LetterFormatError as exc:
        check.problems.append(f"cannot be rendered again: {exc}")
        return check
    for row in again:
        if rendered.sha256(row.format) != row.sha256:
            check.problems.append(f"{row.format}: rendering the stored data again gives "
                                  "different bytes (the renderer has changed since, or the "
                                  "record was altered)")
    if rendered.subject != letter.subject:
        check.problems.append("the subject rendered again differs from the one recorded")
    return check


def _stored_version(session: Session,
                    version: str) -> tuple[LetterSpec, LetterTemplates] | None:
    """The letter spec and environment of a stored template version, if intact."""

    stored = session.exec(select(LetterTemplateVersion)
                          .where(LetterTemplateVersion.version == version)).first()
    if stored is None:
        return None
    bundle = TemplateBundle(stored.letter, tuple(sorted(stored.sources.items())))
    if bundle.version != version:
        return None
    return spec_from_bundle(bundle), bundle.templates()


def verify(transfer_ref: str | None = None, *, engine: Engine | None = None,
           settings: Settings | None = None,
           progress: Callable[[int], None] | None = None) -> VerifyReport:
    """Verify every issued letter (of one transfer, or all), streaming through the register."""
    settings = settings or get_settings()
    report = VerifyReport()
    bundles: dict[str, tuple[LetterSpec, LetterTemplates] | None] = {}
    with read_session(engine) as session:
        if transfer_ref is not None and session.exec(
                select(Letter.id).where(Letter.transfer_ref == transfer_ref)).first() is None:

            get_transfer(session, transfer_ref)  # a clear error for an unknown transfer
            raise NotFoundError(f"no letters have been issued for {transfer_ref}")
        for letter in _iter_letters(session, transfer_ref):
            files = list(session.exec(select(LetterFile).where(LetterFile.letter_id == letter.id)
                                      .order_by(LetterFile.format)).all())
            check = check_letter(session, letter, files, settings.letters_dir, bundles)
            report.checked += 1
            if not check.ok:
                report.failures.append(check)
            if progress is not None:
                progress(1)
    return report
