"""Issuing a letter to its recipients: check them all first, then render, register and queue.

Nothing is written until every recipient's letter can be made (:mod:`transfer_engine.letters.
preflight`; the refusal names the letter, the recipients and the fields). Then letters are
written a chunk at a time, each chunk in one transaction:

    data -> template -> PDF, DOCX, HTML, text -> files -> register row -> outbox notice

so memory stays flat however many letters there are, and an interrupted run can simply be run
again: a recipient who already holds the letter is skipped (the register's key is the transfer,
the letter, the recipient and the edition). ``reissue`` makes a new edition that supersedes the
last one instead.

Each letter is made by :func:`~transfer_engine.letters.compose.compose`, as previews are.
Letters named by a workflow state are written by the same :class:`LetterWriter`
(:mod:`transfer_engine.letters.state_letter`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from transfer_engine.config import Settings, get_settings
from transfer_engine.errors import Action, NextStep, ValidationError
from transfer_engine.letters.catalogue import LetterSpec
from transfer_engine.letters.check import FieldChecker
from transfer_engine.letters.compose import compose, resolve
from transfer_engine.letters.context import Recipient, TransferFacts, iter_recipients, load_facts
from transfer_engine.letters.gaps import Gaps
from transfer_engine.letters.preflight import (
    PersonalDataGuard,
    edition_of,
    held_letters,
    preflight,
    to_representatives,
)
from transfer_engine.letters.refusal import WITHHELD, LetterDataError, RecipientProblem
from transfer_engine.letters.register import Entry, ensure_version, record
from transfer_engine.letters.templates import LetterTemplates
from transfer_engine.outbox.queue import PlannedMessage, PlannedNotice, enqueue
from transfer_engine.store.database import read_session, write_session
from transfer_engine.store.messages import NoticeKind
from transfer_engine.store.queries import audit
from transfer_engine.store.register import LetterStatus
from transfer_engine.store.transfers import Transfer

__all__ = ["IssueReport", "LetterWriter", "issue_letters", "nobody_receives"]


@dataclass
class IssueReport:
    ref: str
    letter: str
    version: str
    issued: list[int] = field(default_factory=list)
    already_issued: int = 0

    def as_json(self) -> dict[str, Any]:
        return {"transfer": self.ref, "letter": self.letter, "template_version": self.version,
                "issued": len(self.issued), "already_issued": self.already_issued,
                "letter_ids": self.issued[:1000]}


@dataclass(frozen=True)
class _Issued:
    letter_id: int | None   # None: withheld, not issued
    key: str                # the register key: transfer id, letter, recipient, edition
    message: PlannedMessage


class LetterWriter:
    """Renders, files and registers letters of one kind for one transfer (caller's session)."""

    def __init__(self, session: Session, facts: TransferFacts, spec: LetterSpec,
                 templates: LetterTemplates, *, today: date, actor: str, reissue: bool,
                 settings: Settings, withhold: bool = False) -> None:
        self.session, self.facts, self.spec, self.templates = session, facts, spec, templates
        self.today, self.actor, self.reissue, self.settings = today, actor, reissue, settings
        self.withhold = withhold
        self.versions: set[str] = set()
        self.checker = FieldChecker(spec)
        self.guard = PersonalDataGuard(session, facts.id) if to_representatives(spec) else None

    def write(self, recipients: Sequence[Recipient]) -> Iterator[_Issued]:
        """Issue each recipient's letter not already held; yields each with its message."""
        held = held_letters(self.session, self.facts, self.spec, recipients)
        version = ensure_version(self.session, self.spec.bundle, self.versions)
        for letter in compose(self.session, self.facts, self.spec, self.templates, recipients,
                              letter_date=self.today, gaps=Gaps.refuse, checker=self.checker):
            recipient, data = letter.recipient, letter.data
            previous = held.get(recipient.key, [])
            edition = edition_of(self.spec, data, previous, self.reissue)
            if edition is None:
                continue
            # Refused for a gap, like the check; the data may have changed since it ran.
            rendered = letter.render()
            if self.guard is not None and recipient.audience == "representative" and \
                    self.guard.found_in(rendered.files["txt"].decode("utf-8")):
                if not self.withhold:  # the check refused it; the data changed since
                    raise LetterDataError(self.spec.name, self.facts.transfer.ref, [
                        RecipientProblem(recipient.label, recipient.ref, message=WITHHELD)], 1)
                # Nothing of it is kept or sent: the outbox shows HR that it was withheld.
                yield _Issued(None, "", PlannedMessage(
                    recipient.ref, recipient.email, recipient.audience, rendered.subject,
                    "(withheld: see the reason recorded with this message)",
                    problem=WITHHELD))
                continue
            current = [h for h in previous if h.status == LetterStatus.issued]
            supersedes = recipient.supersedes.id if recipient.supersedes is not None else (
                current[-1].id if current else None)
            entry = Entry(
                key=f"{self.facts.id}:{self.spec.name}:{recipient.key}:{edition}",
                transfer_id=self.facts.id, transfer_ref=self.facts.transfer.ref,
                letter=self.spec.name, edition=edition, template_version=version,
                recipient_ref=recipient.ref, about_ref=recipient.about,
                recipient_key=recipient.key, recipient_label=recipient.label,
                recipient_email=recipient.email, audience=recipient.audience,
                letter_date=self.today, data=data,
                sample_data=bool(self.facts.transfer.sample_data), issued_by=self.actor,
                supersedes_id=supersedes)
            letter_id, written = record(self.session, entry, rendered, self.settings)
            attachments: tuple[dict[str, str], ...] = ()
            if self.spec.attach_pdf:
                path, digest = written["pdf"]
                attachments = ({"path": path, "sha256": digest,
                                "media_type": "application/pdf",
                                "filename": f"{self.spec.name}-{_file_part(recipient)}.pdf"},)
            yield _Issued(letter_id, entry.key, PlannedMessage(
                recipient.ref, recipient.email, recipient.audience, rendered.subject,
                rendered.files["txt"].decode("utf-8"),
                html_body=rendered.files["html"].decode("utf-8"), attachments=attachments,
                letter_id=letter_id))


def _file_part(recipient: Recipient) -> str:
    return (recipient.about or recipient.ref).replace(":", "-").replace("/", "-")


def issue_letters(ref: str, letter: str, *, actor: str, today: date | None = None,
                  recipients: Sequence[str] | None = None, reissue: bool = False,
                  engine: Engine | None = None, settings: Settings | None = None,
                  progress: Callable[[int, int], None] | None = None,
                  chunk_size: int = 50) -> IssueReport:
    """Issue ``letter`` of transfer ``ref`` to every recipient (or ``recipients``), in chunks.

    Checks everyone first and issues nothing if anyone's letter cannot be made. Each chunk is
    one transaction: files, register rows and outbox notices (one per letter, keyed by the
    register key) together. ``progress(done, total)`` is called after each letter.
    """
    settings = settings or get_settings()
    today = today or date.today()
    with read_session(engine) as session:
        facts = load_facts(session, ref)
        spec, templates = resolve(facts, letter, settings=settings)
        if not spec.issuable:
            raise ValidationError(f"{letter} is sent by the scheduler, not issued by hand")
        outcome = preflight(session, facts, spec, templates, today=today, wanted=recipients,
                            reissue=reissue)
    if outcome.problems:
        raise LetterDataError(letter, ref, outcome.problems, outcome.failed)
    report = IssueReport(ref, letter, spec.version, already_issued=outcome.already)
    if not outcome.to_issue and not outcome.already:
        raise ValidationError(nobody_receives(spec, ref, recipients), next_step=NextStep(
            Action.list_recipients, ref=ref, letter=letter) if recipients else None)
    total = len(outcome.to_issue)
    for start in range(0, total, chunk_size):
        selectors = outcome.to_issue[start:start + chunk_size]
        with write_session(engine) as session:
            # Current within this transaction, and locked: two runs of the same issue take
            # turns, so the second sees the first's letters and skips them.
            facts = load_facts(session, ref, lock=True)
            writer = LetterWriter(session, facts, spec, templates, today=today, actor=actor,
                                  reissue=reissue, settings=settings)
            chunk = list(iter_recipients(session, facts, spec, selectors))
            for issued in writer.write(chunk):
                assert issued.letter_id is not None
                # One notice per letter, keyed by its register key (prefixed as the outbox
                # keys letters, ``letter:<transfer id>:<letter>:...``): exactly once.
                notice = PlannedNotice(
                    key=f"letter:{issued.key}", kind=NoticeKind.letter,
                    planned_for=today, decided_on=today, transfer_id=facts.id,
                    transfer_ref=ref, step_id=letter, due_date=today,
                    messages=(issued.message,))
                enqueue(session, notice, settings)
                report.issued.append(issued.letter_id)
                if progress is not None:
                    progress(len(report.issued), total)
    with write_session(engine) as session:

        transfer = session.exec(select(Transfer).where(Transfer.ref == ref)).one()
        audit(session, transfer, actor, "letters-issued", data={
            "letter": letter, "issued": len(report.issued), "already_issued": report.already_issued,
            "reissue": reissue, "template_version": spec.version,
            "first_id": report.issued[0] if report.issued else None,
            "last_id": report.issued[-1] if report.issued else None})
    return report


def nobody_receives(spec: LetterSpec, ref: str, wanted: Sequence[str] | None) -> str:
    """Why a letter has nobody to go to, and what to do about it."""
    if wanted:
        return (f"{ref}: none of {', '.join(wanted)} receives {spec.name} (it goes to "
                f"{spec.recipients})")
    if spec.recipients == "notified":
        return (f"{ref}: nobody holds a letter that {spec.name} would supersede with another "
                "date; it is issued after a key date moves, to those told the old date")
    return f"{ref}: {spec.name} has no recipients ({spec.recipients}) on this transfer"
