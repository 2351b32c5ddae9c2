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
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from transfer_engine.config import Settings, get_settings
from transfer_engine.engine.evidence import reconcile_in
from transfer_engine.engine.liability import mark_notified
from transfer_engine.engine.limits import FREE_TEXT_MAX, TextLimit
from transfer_engine.errors import Action, NextStep, ValidationError
from transfer_engine.letters.catalogue import LetterSpec
from transfer_engine.letters.check import FieldChecker
from transfer_engine.letters.compose import compose, resolve
from transfer_engine.letters.context import Recipient, TransferFacts, iter_recipients, load_facts
from transfer_engine.letters.gaps import Gaps
from transfer_engine.letters.particulars import particulars_file_hint
from transfer_engine.letters.preflight import (
    edition_of,
    held_letters,
    preflight,
    selector,
    to_representatives,
)
from transfer_engine.letters.references import Numbering, numbering_for
from transfer_engine.letters.refusal import WITHHELD, LetterDataError, RecipientProblem
from transfer_engine.letters.register import Entry, ensure_version, record
from transfer_engine.letters.render_workers import RenderWorkers
from transfer_engine.letters.sense_checks import SenseProblem
from transfer_engine.letters.templates import LetterTemplates
from transfer_engine.outbox.queue import PlannedMessage, PlannedNotice, enqueue
from transfer_engine.store.database import read_session, write_session
from transfer_engine.store.mentions import EmployeeMentions
from transfer_engine.store.messages import NoticeKind
from transfer_engine.store.queries import audit
from transfer_engine.store.register import Letter, LetterStatus
from transfer_engine.store.transfers import Transfer

__all__ = ["REISSUE_REASON", "IssueReport", "LetterWriter", "issue_letters", "nobody_receives"]

#: Why a letter is issued again in place of the one a recipient holds.
REISSUE_REASON = TextLimit(
    "reissue_reason", "reason for issuing it again", 10, FREE_TEXT_MAX,
    "say why the letter is issued again (e.g. the address was wrong); it is kept in the "
    "register with the new letter")


@dataclass
class IssueReport:
    ref: str
    letter: str
    version: str
    issued: list[int] = field(default_factory=list)
    already_issued: int = 0
    overridden: list[SenseProblem] = field(default_factory=list)  # issued despite these
    checked: int = 0                       # recipients checked (issued, held it, or not)
    # Those whose letter could not be made (issued with ``ready_only``: the others went).
    not_issued: list[RecipientProblem] = field(default_factory=list)   # the first SHOWN
    not_issued_count: int = 0

    @property
    def complete(self) -> bool:
        """Whether everyone who lacked the letter now has it."""
        return self.not_issued_count == 0

    def as_json(self) -> dict[str, Any]:
        return {"transfer": self.ref, "letter": self.letter, "template_version": self.version,
                "recipients": self.checked,
                "issued": len(self.issued), "already_issued": self.already_issued,
                "not_issued": self.not_issued_count,
                "not_issued_recipients": [p.as_json() for p in self.not_issued],
                "letter_ids": self.issued[:1000],
                "overridden": [p.as_json() for p in self.overridden]}


@dataclass(frozen=True)
class _Issued:
    letter_id: int | None   # None: withheld, not issued
    key: str                # the register key: transfer id, letter, recipient, edition
    message: PlannedMessage
    about: str | None = None  # whom the letter is about (an ELI schedule's employee)


class LetterWriter:
    """Renders, files and registers letters of one kind for one transfer (caller's session)."""

    def __init__(self, session: Session, facts: TransferFacts, spec: LetterSpec,
                 templates: LetterTemplates, *, today: date, actor: str, reissue: bool,
                 settings: Settings, withhold: bool = False,
                 numbering: Numbering | None = None,
                 reissue_reason: str | None = None,
                 workers: RenderWorkers | None = None) -> None:
        self.session, self.facts, self.spec, self.templates = session, facts, spec, templates
        self.today, self.actor, self.reissue, self.settings = today, actor, reissue, settings
        self.withhold = withhold
        # Each letter's reference: numbered in the order the recipients were checked.
        self.numbering = numbering or numbering_for(session, facts, spec, {})
        self.reissue_reason = reissue_reason
        self.workers = workers  # letters rendered ahead elsewhere, taken when the data matches
        self.versions: set[str] = set()
        self.checker = FieldChecker(spec)
        self.guard = (EmployeeMentions.of_transfer(session, facts.id)
                      if to_representatives(spec) else None)

    def write(self, recipients: Sequence[Recipient]) -> Iterator[_Issued]:
        """Issue each recipient's letter not already held; yields each with its message."""
        held = held_letters(self.session, self.facts, self.spec, recipients)
        if self.reissue:
            # A reissue replaces the recipient's current letter, and says so.
            recipients = [r if r.supersedes is not None or not _current(held, r) else
                          replace(r, supersedes=_current(held, r)[-1]) for r in recipients]
        places = [self.numbering.places[selector(r)] for r in recipients
                  if selector(r) in self.numbering.places]
        self.numbering.settle(self.session, self.facts.id, min(places, default=0))
        for letter in compose(self.session, self.facts, self.spec, self.templates, recipients,
                              letter_date=self.today, gaps=Gaps.refuse, checker=self.checker,
                              settings=self.settings,
                              references=lambda r: self.numbering.reference(selector(r))):
            recipient, data = letter.recipient, letter.data
            # The sender's own version (a letter each employer sends may differ by recipient).
            version = ensure_version(self.session, letter.spec.bundle, self.versions)
            previous = held.get(recipient.key, [])
            edition = edition_of(self.spec, data, previous, self.reissue)
            if edition is None:
                continue
            # Refused for a gap, like the check; the data may have changed since it ran.
            rendered = letter.render(made=self.workers.take(letter) if self.workers else None)
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
            current = _current(held, recipient)
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
                supersedes_id=supersedes, reference=data["letter"]["reference"],
                sequence=self.numbering.number(selector(recipient)),
                reissue_reason=self.reissue_reason if supersedes is not None else None)
            letter_id, written = record(self.session, entry, rendered, self.settings)
            if recipient.changes:
                # In the same transaction as the notice: each change is told exactly once.
                mark_notified(self.session, [c.id for c in recipient.changes if c.id], letter_id)
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
                letter_id=letter_id), recipient.about)


def _current(held: dict[str, list[Letter]], recipient: Recipient) -> list[Letter]:
    """The recipient's letters of this kind that are in force (not superseded or purged)."""
    return [h for h in held.get(recipient.key, []) if h.status == LetterStatus.issued]


def _file_part(recipient: Recipient) -> str:
    return (recipient.about or recipient.ref).replace(":", "-").replace("/", "-")


def issue_letters(ref: str, letter: str, *, actor: str, today: date | None = None,
                  recipients: Sequence[str] | None = None, reissue: bool = False,
                  engine: Engine | None = None, settings: Settings | None = None,
                  progress: Callable[[int, int], None] | None = None,
                  chunk_size: int = 50, override_reason: str | None = None,
                  ready_only: bool = False, reissue_reason: str | None = None,
                  checked: Callable[[IssueReport], None] | None = None,
                  chunk_done: Callable[[int, int], None] | None = None,
                  workers: int = 1) -> IssueReport:
    """Issue ``letter`` of transfer ``ref`` to every recipient (or ``recipients``), in chunks.

    Checks everyone first. By default nothing is issued if anyone's letter cannot be made
    (:class:`~transfer_engine.letters.refusal.LetterDataError` names them all); with
    ``ready_only`` the letters that can be made are issued and the report lists the others
    with why (``not_issued``), as the web app does after showing the check. Each chunk is one
    transaction: files, register rows and outbox notices (one per letter, keyed by the register
    key) together. ``checked(report)`` is called once everyone is checked,
    ``progress(done, total)`` after each letter, and ``chunk_done(done, total)`` after each
    chunk is committed (outside its transaction: it may write).
    A letter that makes no sense as it stands (:mod:`~transfer_engine.letters.sense_checks`) is
    refused unless ``override_reason`` gives the special circumstances; they are audited.
    ``reissue`` (a new letter that replaces the one a recipient holds) needs
    ``reissue_reason``, kept in the register and the audit log.
    ``workers`` above 1 renders the letters in that many worker processes, a chunk ahead of
    the one being written (:mod:`~transfer_engine.letters.render_workers`); the letters are
    the same.
    """
    settings = settings or get_settings()
    today = today or date.today()
    if reissue:
        problem = REISSUE_REASON.problem(reissue_reason)
        if problem is not None:
            raise ValidationError(field_problems=[problem])
        reissue_reason = (reissue_reason or "").strip()
    # Started first, so that the workers load while everyone is checked.
    pool = RenderWorkers(workers) if workers > 1 else None
    try:
        with read_session(engine) as session:
            facts = load_facts(session, ref)
            spec, templates = resolve(facts, letter, settings=settings)
            if not spec.issuable:
                raise ValidationError(f"{letter} is sent by the scheduler, not issued by hand")
            outcome = preflight(session, facts, spec, templates, today=today, wanted=recipients,
                                reissue=reissue)
            numbering = numbering_for(session, facts, spec, outcome.places)
        # Ready only: those who cannot have the letter are reported, not a reason to stop.
        overridden = (replace(outcome, problems=[]) if ready_only else outcome).settle(
            letter, ref, override_reason)
        report = IssueReport(ref, letter, spec.version, already_issued=outcome.already,
                             overridden=overridden, checked=len(outcome.to_issue) + outcome.failed
                             + outcome.already, not_issued=list(outcome.problems),
                             not_issued_count=outcome.failed)
        if not outcome.to_issue and not outcome.already and not outcome.failed:
            raise ValidationError(nobody_receives(spec, ref, recipients), next_step=NextStep(
                Action.list_recipients, ref=ref, letter=letter) if recipients else None)
        if checked is not None:
            checked(report)
        chunks = [outcome.to_issue[start:start + chunk_size]
                  for start in range(0, len(outcome.to_issue), chunk_size)]
        _write_chunks(chunks, engine, ref, spec, templates, report, today=today, actor=actor,
                      reissue=reissue, settings=settings, numbering=numbering,
                      reissue_reason=reissue_reason, pool=pool, progress=progress,
                      chunk_done=chunk_done)
    finally:
        if pool is not None:
            pool.close()
    with write_session(engine) as session:

        transfer = session.exec(select(Transfer).where(Transfer.ref == ref)).one()
        audit(session, transfer, actor, "letters-issued", data={
            "letter": letter, "issued": len(report.issued), "already_issued": report.already_issued,
            "not_issued": report.not_issued_count,
            "reissue": reissue, "template_version": spec.version,
            "first_id": report.issued[0] if report.issued else None,
            "last_id": report.issued[-1] if report.issued else None,
            **({"reissue_reason": reissue_reason} if reissue else {}),
            **overridden_data(overridden, override_reason)})
        # The letters are committed: the steps they are evidence for are judged again.
        reconcile_in(session, transfer.id, actor=actor, today=today)
    return report


def _write_chunks(chunks: Sequence[list[str]], engine: Engine | None, ref: str, spec: LetterSpec,
                  templates: LetterTemplates, report: IssueReport, *, today: date, actor: str,
                  reissue: bool, settings: Settings, numbering: Numbering,
                  reissue_reason: str | None, pool: RenderWorkers | None,
                  progress: Callable[[int, int], None] | None,
                  chunk_done: Callable[[int, int], None] | None) -> None:
    """Write the letters a chunk at a time, each chunk in one transaction (see issue_letters)."""
    total = sum(len(chunk) for chunk in chunks)
    if pool is not None and chunks:
        _render_ahead(pool, engine, ref, spec, templates, chunks[0], 0, today=today,
                       settings=settings, numbering=numbering)
    for index, selectors in enumerate(chunks):
        if pool is not None and index + 1 < len(chunks):
            # The workers render the next chunk while this one is written.
            _render_ahead(pool, engine, ref, spec, templates, chunks[index + 1], index + 1,
                           today=today, settings=settings, numbering=numbering)
        with write_session(engine) as session:
            # Current within this transaction, and locked: two runs of the same issue take
            # turns, so the second sees the first's letters and skips them.
            facts = load_facts(session, ref, lock=True)
            writer = LetterWriter(session, facts, spec, templates, today=today, actor=actor,
                                  reissue=reissue, settings=settings, numbering=numbering,
                                  reissue_reason=reissue_reason, workers=pool)
            chunk = list(iter_recipients(session, facts, spec, selectors))
            for issued in writer.write(chunk):
                assert issued.letter_id is not None
                # One notice per letter, keyed by its register key (prefixed as the outbox
                # keys letters, ``letter:<transfer id>:<letter>:...``): exactly once.
                notice = PlannedNotice(
                    key=f"letter:{issued.key}", kind=NoticeKind.letter,
                    planned_for=today, decided_on=today, transfer_id=facts.id,
                    transfer_ref=ref, step_id=spec.name, due_date=today,
                    messages=(issued.message,))
                enqueue(session, notice, settings)
                report.issued.append(issued.letter_id)
                if progress is not None:
                    progress(len(report.issued), total)
        if pool is not None:
            pool.done_with(index)
        if chunk_done is not None:
            chunk_done(len(report.issued), total)


def _render_ahead(pool: RenderWorkers, engine: Engine | None, ref: str, spec: LetterSpec,
                   templates: LetterTemplates, selectors: list[str], index: int, *,
                   today: date, settings: Settings, numbering: Numbering) -> None:
    """Compose a chunk's letters as the writer will (read only) and hand them to the workers."""
    with read_session(engine) as session:
        facts = load_facts(session, ref)
        recipients = list(iter_recipients(session, facts, spec, selectors))
        pool.submit(compose(session, facts, spec, templates, recipients, letter_date=today,
                            gaps=Gaps.refuse, settings=settings,
                            references=lambda r: numbering.reference(selector(r))), index)


def overridden_data(overridden: Sequence[SenseProblem],
                    reason: str | None) -> dict[str, Any]:
    """What the audit log keeps of an override of the sense checks (nothing when none)."""
    if not overridden:
        return {}
    return {"override_reason": (reason or "").strip(),
            "overridden": [{"check": p.check.value, "problem": p.message} for p in overridden]}


def nobody_receives(spec: LetterSpec, ref: str, wanted: Sequence[str] | None) -> str:
    """Why a letter has nobody to go to, and what to do about it."""
    if wanted:
        return (f"{ref}: none of {', '.join(wanted)} receives {spec.name} (it goes to "
                f"{spec.recipients})")
    if spec.applies_if is not None:
        return (f"{ref}: {spec.name} goes to nobody unless {spec.applies_if} is recorded "
                f"({particulars_file_hint(spec.applies_if)}), then to {spec.recipients}")
    if spec.recipients == "notified":
        return (f"{ref}: nobody holds a letter that {spec.name} would supersede with another "
                "date; it is issued after a key date moves, to those told the old date")
    return f"{ref}: {spec.name} has no recipients ({spec.recipients}) on this transfer"
