"""What the CLI and the web app call: list, check, preview, issue, verify and read letters.

Every function takes plain values (a transfer ref, a letter name, a recipient ref as the outbox
writes it) and raises the engine's errors (:class:`~transfer_engine.errors.NotFoundError`,
:class:`~transfer_engine.errors.ValidationError` and its
:class:`~transfer_engine.letters.refusal.LetterDataError`,
:class:`~transfer_engine.letters.errors.LetterFormatError`), whose messages say what to fix.

A preview, a download and an issued letter are made by one path
(:mod:`transfer_engine.letters.compose`: the same data, the organisation's template overrides,
the same renderers), so a preview of a letter whose data is complete is byte for byte the
letter that would be issued that day. Only what a gap does differs (``gaps``): refused by
default, with the list of what is missing, as issuing refuses it; marked
``[not recorded: <field>]`` where the letter uses it, for the web app's previews. Nothing with
a gap can be issued.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from transfer_engine.config import Settings, get_settings
from transfer_engine.errors import Action, NextStep, NotFoundError, ValidationError
from transfer_engine.letters.catalogue import LetterSpec, catalogue
from transfer_engine.letters.compose import ComposedLetter, compose, resolve
from transfer_engine.letters.context import iter_recipients, load_facts
from transfer_engine.letters.document import LetterDocument
from transfer_engine.letters.gaps import Gaps
from transfer_engine.letters.issue import (
    IssueReport,
    issue_letters,
    nobody_receives,
    overridden_data,
)
from transfer_engine.letters.issue_check import IssueCheck, check_issue
from transfer_engine.letters.orphans import find_orphans
from transfer_engine.letters.owed import LETTER_AUDIENCE, issue_now, issue_pending, pending
from transfer_engine.letters.owed import IssueReport as OwedLettersReport
from transfer_engine.letters.particulars import import_particulars, particulars_file_hint
from transfer_engine.letters.preflight import LetterReadiness, check_transfer, preflight
from transfer_engine.letters.references import predicted_reference
from transfer_engine.letters.refusal import LetterDataError
from transfer_engine.letters.register import FORMATS, VerifyReport, file_sha256
from transfer_engine.letters.register import verify as verify_register
from transfer_engine.letters.resend import send_again, send_letter_again
from transfer_engine.store.database import read_session
from transfer_engine.store.messages import NoticeKind, OutboxMessage
from transfer_engine.store.queries import audit, definition_of, get_transfer
from transfer_engine.store.register import Letter, LetterFile, LetterStatus
from transfer_engine.store.transfers import Transfer

__all__ = [
    "LETTER_AUDIENCE",
    "Gaps",
    "IssueCheck",
    "IssueReport",
    "IssuedLetter",
    "LetterDataError",
    "LetterPreview",
    "LetterReadiness",
    "OwedLettersReport",
    "RecipientChoice",
    "VerifyReport",
    "check_issue",
    "check_transfer",
    "follow_up_letters",
    "import_particulars",
    "issue_letters",
    "issue_pending",
    "issue_state_letter",
    "issued_file",
    "issued_letters",
    "letter_specs",
    "pending",
    "preview",
    "preview_file",
    "preview_letter",
    "recipients",
    "reissue_letter",
    "send_again",
    "send_letter_again",
    "state_letter_title",
    "state_letters",
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


def _compose_one(session: Session, ref: str, letter: str, recipient: str | None, today: date,
                 gaps: Gaps) -> ComposedLetter:
    """Letter ``letter`` to ``recipient`` (default: the first), made as issuing makes it."""
    facts = load_facts(session, ref)
    spec, templates = resolve(facts, letter)
    if not spec.issuable:
        raise ValidationError(f"{letter} is an email the scheduler sends, not a letter to "
                              "preview", next_step=NextStep(Action.preview_scheduled_emails))
    wanted = [recipient] if recipient else None
    found = next(iter_recipients(session, facts, spec, wanted), None)
    if found is None:
        who = f"{recipient!r}" if recipient else "anyone"
        raise NotFoundError(f"{ref}: {letter} does not go to {who} (it goes to "
                            f"{spec.recipients})",
                            next_step=NextStep(Action.list_recipients, ref=ref, letter=letter))
    # The reference it would be issued with (or holds already), so that a preview of a letter
    # whose data is complete is the letter issued, number and all.
    reference = predicted_reference(session, facts, spec, found)
    return compose(session, facts, spec, templates, [found], letter_date=today, gaps=gaps,
                   references=lambda _: reference)[0]


def preview(session: Session, ref: str, letter: str, recipient: str | None = None, *,
            today: date | None = None, gaps: Gaps = Gaps.refuse) -> LetterDocument:
    """The letter as it would be issued today (the first recipient unless one is named)."""
    return _compose_one(session, ref, letter, recipient, today or date.today(), gaps).document()


def preview_file(session: Session, ref: str, letter: str, recipient: str | None = None, *,
                 fmt: str = "pdf", today: date | None = None,
                 gaps: Gaps = Gaps.refuse) -> tuple[bytes, str, str]:
    """One format of a preview: (bytes, media type, file name).

    For a letter without gaps, the bytes are those of the file that issuing it to this
    recipient on ``today`` would register.
    """
    if fmt not in FORMATS:
        raise ValidationError(f"format {fmt!r}: use one of {', '.join(FORMATS)}")
    rendered = _compose_one(session, ref, letter, recipient, today or date.today(),
                            gaps).render((fmt,))
    who = (recipient or "first").replace(":", "-")
    name = f"{letter}-{ref.replace('/', '-')}-{who}-preview{FORMATS[fmt].suffix}"
    return rendered.files[fmt], FORMATS[fmt].media_type, name


@dataclass(frozen=True)
class LetterPreview:
    """What a preview page says about one recipient's letter, besides the letter itself."""

    letter: str
    title: str
    recipient_ref: str
    recipient_label: str
    subject: str
    gaps: tuple[tuple[str, str], ...]   # (field, where it is recorded): what stops issuing
    sender: str = ""                    # the slug of the organisation the letter is from

    @property
    def can_issue(self) -> bool:
        return not self.gaps


def preview_letter(session: Session, ref: str, letter: str, recipient: str | None = None, *,
                   today: date | None = None, gaps: Gaps = Gaps.mark) -> LetterPreview:
    """The letter's title, recipient and heading, and each gap with where to record it."""
    composed = _compose_one(session, ref, letter, recipient, today or date.today(), gaps)
    document = composed.document()
    return LetterPreview(
        letter=composed.spec.name, title=composed.spec.title,
        recipient_ref=composed.recipient.about or composed.recipient.ref,
        recipient_label=composed.recipient.label, subject=document.subject,
        gaps=tuple((f, particulars_file_hint(f)) for f in composed.missing),
        sender=str(composed.data.get("sender", {}).get("slug", "")))


# ---------------------------------------------------------------------------------------------
# The letters a workflow state issues

#: How the letters page names the letters that workflow states issue.
STATE_LETTER_TITLES = {
    "reg13-information": "Information for representatives (TUPE reg 13(2))",
    "employee-notification": "Letter to each affected employee",
    "transfer-confirmation": "Confirmation of the transfer to each employee",
}


def state_letter_title(name: str) -> str:
    spec = catalogue().letters.get(name)
    return STATE_LETTER_TITLES.get(name) or (spec.title if spec is not None else
                                              name.replace("-", " ").capitalize())


def state_letters(session: Session, ref: str) -> list[str]:
    """The letters the states of this transfer's workflow issue, in the workflow's order."""
    available = catalogue().letters
    named = [n for state in definition_of(get_transfer(session, ref), session).states.values()
             for n in state.letters]
    return [n for n in dict.fromkeys(named) if n in available]


def follow_up_letters(session: Session, ref: str) -> list[str]:
    """The notices that follow a change (``recipients: notified``, such as ``date-change``
    after the transfer date moves), once anyone holds a letter one of them supersedes: those
    who were told the old date are owed it (reg 13(2)(a), reg 11(5)), so HR issues it from the
    Letters page like a state's letters, and the key date's check page says so."""
    found: list[str] = []
    facts = None
    for spec in catalogue().letters.values():
        if spec.recipients != "notified" or not spec.issuable:
            continue
        facts = facts or load_facts(session, ref)
        own, _ = resolve(facts, spec.name)
        if next(iter_recipients(session, facts, own), None) is not None:
            found.append(spec.name)
    return found


def issue_state_letter(session: Session, ref: str, letter: str, *, actor: str, today: date,
                       settings: Settings | None = None,
                       override_reason: str | None = None) -> int:
    """Issue a state's letter now, as entering the state does; how many messages it queued.

    The same path as the state's own issue (:mod:`transfer_engine.letters.owed`), so a letter
    issued by hand and an automatic one are indistinguishable, and a letter is decided at most
    once a day. Unlike the automatic path, which alerts the HR owner, a letter that cannot be
    made for someone is refused here, naming the recipients and fields, and nothing is written;
    so is one that makes no sense as it stands, unless ``override_reason`` covers it (audited).
    """
    if letter not in LETTER_AUDIENCE:
        raise ValidationError(f"{letter} is not sent automatically; download it and send it "
                              "by hand")
    facts = load_facts(session, ref)
    spec, templates = resolve(facts, letter)
    outcome = preflight(session, facts, spec, templates, today=today, wanted=None,
                        reissue=False, withhold=True)
    overridden = outcome.settle(letter, ref, override_reason)
    if not outcome.to_issue and not outcome.already:
        raise ValidationError(nobody_receives(spec, ref, None))
    written = issue_now(session, facts.transfer, [letter], today, settings or get_settings(),
                        actor=actor, override_reason=override_reason)
    # Only letters count: an alert to HR (the letter could not be made) is not an issue.
    count = len(session.exec(select(OutboxMessage.id).where(
        col(OutboxMessage.notice_id).in_(written),
        OutboxMessage.kind == NoticeKind.letter)).all())
    if not count:
        raise ValidationError(f"{letter} was not issued: everyone it goes to holds it already; "
                              "to send one recipient a copy, use “Send again”")
    audit(session, facts.transfer, actor, "letter-issued",
          data={"letter": letter, "recipients": count,
                **overridden_data(overridden, override_reason)})
    return count


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
    reference: str | None = None   # "LD-NCT/R13/0001", as printed on the letter
    reissue_reason: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "letter": self.letter, "recipient_ref": self.recipient_ref,
                "about": self.about_ref, "recipient": self.recipient, "edition": self.edition,
                "status": self.status, "letter_date": self.letter_date.isoformat(),
                "issued_at": self.issued_at.isoformat(), "issued_by": self.issued_by,
                "template_version": self.template_version, "supersedes": self.supersedes_id,
                "superseded_by": self.superseded_by_id, "sha256": self.files,
                "reference": self.reference, "reissue_reason": self.reissue_reason}


def reissue_letter(ref: str, letter_id: int, *, reason: str | None, actor: str,
                   today: date | None = None, engine: Engine | None = None,
                   settings: Settings | None = None,
                   override_reason: str | None = None) -> IssueReport:
    """Issue a new letter in place of issued letter ``letter_id``, to the same recipient: it
    supersedes the old one, says which letter it replaces, and keeps ``reason`` (required) in
    the register and the audit log."""
    with read_session(engine) as session:
        transfer = get_transfer(session, ref)
        old = session.get(Letter, letter_id)
        if old is None or old.transfer_id != transfer.id:
            raise NotFoundError(f"{ref} has no issued letter {letter_id}")
        if old.status != LetterStatus.issued:
            raise ValidationError(f"{old.reference or f'letter {letter_id}'} has been "
                                  f"{old.status.value} already; reissue the letter in force")
        name, who = old.letter, old.about_ref or old.recipient_ref
    return issue_letters(ref, name, actor=actor, today=today, recipients=[who], reissue=True,
                         reissue_reason=reason, engine=engine, settings=settings,
                         override_reason=override_reason)


def issued_letters(session: Session, ref: str, *, letter: str | None = None,
                   limit: int | None = None) -> list[IssuedLetter]:
    """The register of one transfer, newest first."""

    transfer = get_transfer(session, ref)
    query = select(Letter).where(Letter.transfer_id == transfer.id).order_by(col(Letter.id).desc())
    if letter:
        query = query.where(Letter.letter == letter)
    if limit:
        query = query.limit(limit)
    rows = session.exec(query).all()
    files: dict[int, dict[str, str]] = {}
    ids = [r.id for r in rows if r.id is not None]
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        for row in session.exec(select(LetterFile)
                                .where(col(LetterFile.letter_id).in_(chunk))).all():
            files.setdefault(row.letter_id, {})[row.format] = row.sha256
    return [IssuedLetter(
        id=r.id or 0, letter=r.letter, recipient_ref=r.recipient_ref, about_ref=r.about_ref,
        recipient=r.recipient_label, edition=r.edition, status=r.status.value,
        letter_date=r.letter_date, issued_at=r.issued_at, issued_by=r.issued_by,
        template_version=r.template_version, supersedes_id=r.supersedes_id,
        superseded_by_id=r.superseded_by_id, files=files.get(r.id or 0, {}),
        reference=r.reference, reissue_reason=r.reissue_reason) for r in rows]


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
    if not path.is_file() or file_sha256(path) != row.sha256:
        raise ValidationError(f"the {fmt} file of letter {letter_id} is missing or has changed "
                              "since it was issued", next_step=NextStep(
                                  Action.verify_letters, ref=letter.transfer_ref))
    return path, row.media_type, Path(row.path).name


def verify(transfer_ref: str | None = None, *,
           progress: Callable[[int], None] | None = None) -> VerifyReport:
    """Verify the issued letters (see :func:`~transfer_engine.letters.register.verify`), and
    list the files in the letters folder that no letter owns (a crash mid-issue leaves them,
    with employees' personal data in them)."""
    orphans = [o.as_json() for o in find_orphans(transfer_ref)]
    try:
        report = verify_register(transfer_ref, progress=progress)
    except NotFoundError:
        if not orphans:
            raise
        report = VerifyReport()  # nothing issued, but an interrupted issue left files
    report.orphans = orphans
    return report
