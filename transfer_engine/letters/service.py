"""What the CLI and the web app call: list, check, preview, issue, verify and read letters.

Every function takes plain values (a transfer ref, a letter name, a recipient ref as the outbox
writes it) and raises the engine's errors (:class:`~transfer_engine.errors.NotFoundError`,
:class:`~transfer_engine.errors.ValidationError` and its
:class:`~transfer_engine.letters.issue.LetterDataError`,
:class:`~transfer_engine.letters.errors.LetterFormatError`), whose messages say what to fix.

Previews are strict, like issuing: a letter with a missing field is not shown with a gap but
refused with the list of what is missing (:func:`preview`), so that what HR approves is what
will be sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlmodel import Session, select

from transfer_engine.config import Settings, get_settings
from transfer_engine.errors import NotFoundError, ValidationError
from transfer_engine.letters.catalogue import LetterSpec, catalogue
from transfer_engine.letters.check import FieldChecker
from transfer_engine.letters.context import (
    build_data,
    employee_extras,
    iter_recipients,
    load_facts,
)
from transfer_engine.letters.data import to_context
from transfer_engine.letters.document import LetterDocument
from transfer_engine.letters.issue import (
    IssueReport,
    LetterDataError,
    LetterReadiness,
    RecipientProblem,
    check_transfer,
    issue_letters,
    resolve,
)
from transfer_engine.letters.particulars import import_particulars
from transfer_engine.letters.register import FORMATS, VerifyReport, _file_sha256, render, verify
from transfer_engine.store.queries import get_transfer
from transfer_engine.store.register import Letter, LetterFile
from transfer_engine.store.transfers import Transfer

__all__ = [
    "IssueReport",
    "IssuedLetter",
    "LetterDataError",
    "LetterReadiness",
    "RecipientChoice",
    "VerifyReport",
    "check_transfer",
    "import_particulars",
    "issue_letters",
    "issued_file",
    "issued_letters",
    "letter_specs",
    "preview",
    "preview_file",
    "recipients",
    "verify",
]

def letter_specs(*, issuable: bool = True) -> list[LetterSpec]:
    """Every letter (by default only those issued by hand or by a workflow state)."""
    return [s for s in catalogue().letters.values() if s.issuable or not issuable]


@dataclass(frozen=True)
class RecipientChoice:
    """A recipient as a page or a command lists them: the ref to pass back, and a label."""

    ref: str
    label: str


def recipients(session: Session, transfer: Transfer | str, letter: str) -> list[RecipientChoice]:
    """Who would receive ``letter`` on this transfer now (ELI schedules: one per employee)."""
    facts = load_facts(session, transfer if isinstance(transfer, str) else transfer.ref)
    spec, _ = resolve(facts, letter)
    return [RecipientChoice(r.about or r.ref, r.label)
            for r in iter_recipients(session, facts, spec)]


def _one(session: Session, ref: str, letter: str, recipient: str | None, today: date
         ) -> tuple[LetterSpec, Any, dict[str, Any]]:
    facts = load_facts(session, ref)
    spec, templates = resolve(facts, letter)
    if not spec.issuable:
        raise ValidationError(f"{letter} is an email the scheduler sends; see it with "
                              f"`transfer-engine scheduler --once --dry-run`")
    wanted = [recipient] if recipient else None
    found = next(iter_recipients(session, facts, spec, wanted), None)
    if found is None:
        who = f"{recipient!r}" if recipient else "anyone"
        raise NotFoundError(f"{ref}: {letter} does not go to {who} (it goes to "
                            f"{spec.recipients}); list them with `transfer-engine letters "
                            f"list {ref} --recipients {letter}`")
    extra = employee_extras(session, facts, [found]).get(
        found.employee.employee_ref, {}) if found.employee else None
    data = build_data(facts, spec, found, letter_date=today, employee_extra=extra)
    missing = FieldChecker(spec).missing(to_context(data))
    if missing:
        raise LetterDataError(letter, ref, [RecipientProblem(found.label, found.ref,
                                                             tuple(missing))], 1)
    return spec, templates, data


def preview(session: Session, ref: str, letter: str, recipient: str | None = None, *,
            today: date | None = None) -> LetterDocument:
    """The letter as it would be issued today (the first recipient unless one is named)."""
    spec, templates, data = _one(session, ref, letter, recipient, today or date.today())
    return templates.render(spec.name, to_context(data))


def preview_file(session: Session, ref: str, letter: str, recipient: str | None = None, *,
                 fmt: str = "pdf", today: date | None = None) -> tuple[bytes, str, str]:
    """One format of a preview: (bytes, media type, file name)."""
    if fmt not in FORMATS:
        raise ValidationError(f"format {fmt!r}: use one of {', '.join(FORMATS)}")
    spec, templates, data = _one(session, ref, letter, recipient, today or date.today())
    rendered = render(templates, spec, data, (fmt,))
    who = (recipient or "first").replace(":", "-")
    name = f"{letter}-{ref.replace('/', '-')}-{who}-preview{FORMATS[fmt].suffix}"
    return rendered.files[fmt], FORMATS[fmt].media_type, name


# ---------------------------------------------------------------------------------------------
# The register


@dataclass(frozen=True)
class IssuedLetter:
    """A register entry as listings show it."""

    id: int
    letter: str
    recipient_ref: str
    about_ref: str | None
    recipient: str
    edition: str
    status: str
    letter_date: date
    issued_at: datetime
    issued_by: str
    template_version: str
    supersedes_id: int | None
    superseded_by_id: int | None
    files: dict[str, str]          # format -> sha256

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "letter": self.letter, "recipient_ref": self.recipient_ref,
                "about": self.about_ref, "recipient": self.recipient, "edition": self.edition,
                "status": self.status, "letter_date": self.letter_date.isoformat(),
                "issued_at": self.issued_at.isoformat(), "issued_by": self.issued_by,
                "template_version": self.template_version, "supersedes": self.supersedes_id,
                "superseded_by": self.superseded_by_id, "sha256": self.files}


def issued_letters(session: Session, ref: str, *, letter: str | None = None,
                   limit: int | None = None) -> list[IssuedLetter]:
    """The register of one transfer, newest first."""

    transfer = get_transfer(session, ref)
    query = select(Letter).where(Letter.transfer_id == transfer.id).order_by(Letter.id.desc())
    if letter:
        query = query.where(Letter.letter == letter)
    if limit:
        query = query.limit(limit)
    rows = session.exec(query).all()
    files: dict[int, dict[str, str]] = {}
    ids = [r.id for r in rows if r.id is not None]
    for start in range(0, len(ids), 500):
        for row in session.exec(select(LetterFile)
                                .where(LetterFile.letter_id.in_(ids[start:start + 500]))).all():
            files.setdefault(row.letter_id, {})[row.format] = row.sha256
    return [IssuedLetter(
        id=r.id or 0, letter=r.letter, recipient_ref=r.recipient_ref, about_ref=r.about_ref,
        recipient=r.recipient_label, edition=r.edition, status=r.status.value,
        letter_date=r.letter_date, issued_at=r.issued_at, issued_by=r.issued_by,
        template_version=r.template_version, supersedes_id=r.supersedes_id,
        superseded_by_id=r.superseded_by_id, files=files.get(r.id or 0, {})) for r in rows]


def issued_file(session: Session, letter_id: int, fmt: str = "pdf",
                settings: Settings | None = None) -> tuple[Path, str, str]:
    """The file an issued letter was sent as: (path, media type, download name).

    The exact bytes that went out, not a new rendering; refused if the file no longer matches
    its recorded hash.
    """

    settings = settings or get_settings()
    row = session.exec(select(LetterFile).where(LetterFile.letter_id == letter_id,
                                                LetterFile.format == fmt)).first()
    letter = session.get(Letter, letter_id)
    if row is None or letter is None:
        raise NotFoundError(f"no issued letter {letter_id} in {fmt}")
    path = settings.letters_dir / row.path
    if not path.is_file() or _file_sha256(path) != row.sha256:
        raise ValidationError(f"the {fmt} file of letter {letter_id} is missing or has changed "
                              "since it was issued; run `transfer-engine letters verify "
                              f"{letter.transfer_ref}`")
    return path, row.media_type, Path(row.path).name
