"""Issuing letters: check every recipient first, then render, register and hand to the outbox.

Issuing is all or nothing *before* anything is written: every recipient's letter is built and
rendered once (without the PDF) and any missing field, any template fault and any personal data
in a representative's letter stops the whole issue with a message that names the letter, the
recipients and the fields (:class:`LetterDataError`). Only then are letters written, a chunk at
a time, each chunk in one transaction:

    data -> template -> PDF, DOCX, HTML, text -> files -> register row -> outbox notice

so memory stays flat however many letters there are, and an interrupted run can simply be run
again: a recipient who already holds the letter is skipped (the register's key is the transfer,
the letter, the recipient and the edition). ``reissue`` makes a new edition that supersedes the
last one instead.

Letters named by a workflow state (``letters:``) take the same path from inside
``engine.advance`` (:func:`state_letter_messages`), so that they are decided if and only if the
state change commits; if they cannot be issued, the HR owner is alerted instead and the
transition still happens (the law does not wait for a letterhead).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from transfer_engine.config import Settings, get_settings
from transfer_engine.errors import ValidationError
from transfer_engine.letters.catalogue import LetterSpec, catalogue
from transfer_engine.letters.check import FieldChecker
from transfer_engine.letters.context import (
    CHUNK,
    Recipient,
    TransferFacts,
    build_data,
    employee_extras,
    iter_recipients,
    load_facts,
)
from transfer_engine.letters.data import to_context
from transfer_engine.letters.errors import LetterFormatError
from transfer_engine.letters.particulars import particulars_file_hint
from transfer_engine.letters.register import Entry, ensure_version, record, render
from transfer_engine.letters.templates import LetterTemplates
from transfer_engine.letters.text import render_text
from transfer_engine.outbox.queue import PlannedMessage, PlannedNotice, enqueue
from transfer_engine.store.database import read_session, write_session
from transfer_engine.store.messages import NoticeKind
from transfer_engine.store.people import Employee
from transfer_engine.store.queries import audit
from transfer_engine.store.register import Letter, LetterStatus
from transfer_engine.store.transfers import Transfer

__all__ = [
    "IssueReport",
    "LetterDataError",
    "LetterReadiness",
    "check_transfer",
    "issue_letters",
    "resolve",
]

#: How many recipients' problems an error message lists before summarising.
SHOWN = 30
WITHHELD = ("withheld: the letter to a representative would disclose an employee's personal "
            "data (their name or email address); reg 13 letters give numbers, never people")


@dataclass(frozen=True)
class RecipientProblem:
    """Why one recipient's letter cannot be issued: missing fields, or another fault."""

    recipient: str
    ref: str
    fields: tuple[str, ...] = ()
    message: str | None = None

    def __str__(self) -> str:
        if self.fields:
            return f"{self.recipient}: missing {', '.join(self.fields)}"
        return f"{self.recipient}: {self.message}"

    def as_json(self) -> dict[str, Any]:
        return {"recipient": self.recipient, "ref": self.ref, "missing": list(self.fields),
                "problem": self.message}


def _describe(letter: str, ref: str, problems: Sequence[RecipientProblem], total: int) -> str:
    lines = [f"  - {p}" for p in problems[:SHOWN]]
    if total > SHOWN:
        lines.append(f"  ... and {total - SHOWN} more recipient(s)")
    fields = sorted({f for p in problems for f in p.fields})
    hints = [f"  {f}: {particulars_file_hint(f)}" for f in fields]
    return (f"letter {letter!r} for {ref}: {total} recipient(s) cannot be issued; nothing was "
            "issued.\n" + "\n".join(lines)
            + ("\nWhere to record what is missing:\n" + "\n".join(hints) if hints else ""))


class LetterDataError(ValidationError):
    """Some recipients' letters lack data (or would disclose it); nothing was issued."""

    def __init__(self, letter: str, ref: str, problems: Sequence[RecipientProblem],
                 total: int) -> None:
        self.letter = letter
        self.problems = list(problems)
        self.total = total
        super().__init__(_describe(letter, ref, problems, total))


def resolve(facts: TransferFacts, letter: str) -> tuple[LetterSpec, LetterTemplates]:
    """The letter as its sender sends it (that organisation's overrides applied)."""
    spec = catalogue().get(letter)
    sender = facts.transferee if spec.sender == "transferee" else facts.transferor
    own = catalogue(sender.slug)
    return own.get(letter), own.templates(letter)


# ---------------------------------------------------------------------------------------------
# Checking


class _PersonalData:
    """Employees' names and addresses, to make sure no representative's letter shows one."""

    def __init__(self, session: Session, transfer_id: int) -> None:
        rows = session.exec(select(Employee.full_name, Employee.email)
                            .where(Employee.transfer_id == transfer_id)).all()
        self.needles = sorted({v.casefold() for row in rows for v in row if v}, key=len,
                              reverse=True)

    def found_in(self, text: str) -> bool:
        folded = " ".join(text.split()).casefold()
        return any(needle in folded for needle in self.needles)


def _to_representatives(spec: LetterSpec) -> bool:
    """Whether some of this letter's recipients may be representatives."""
    return spec.recipients in ("representatives", "notified")


@dataclass
class _Preflight:
    """The outcome of checking every recipient of one letter."""

    to_issue: list[str] = field(default_factory=list)   # recipient selectors, in order
    already: int = 0
    problems: list[RecipientProblem] = field(default_factory=list)
    failed: int = 0


def _issued_keys(session: Session, facts: TransferFacts, spec: LetterSpec,
                 recipients: Sequence[Recipient]) -> dict[str, list[Letter]]:
    """The letters each of these recipients already holds (any edition), oldest first."""
    refs = sorted({r.ref for r in recipients})
    rows = session.exec(select(Letter).where(
        Letter.transfer_id == facts.id, Letter.letter == spec.name,
        Letter.recipient_ref.in_(refs)).order_by(Letter.id)).all() if refs else []
    held: dict[str, list[Letter]] = {}
    for row in rows:
        key = f"{row.recipient_ref}|{row.about_ref}" if row.about_ref else row.recipient_ref
        held.setdefault(key, []).append(row)
    return held


def _edition(spec: LetterSpec, data: dict[str, Any], held: list[Letter],
             reissue: bool) -> str | None:
    """The edition this letter would be, or None if the recipient already holds it."""
    if spec.edition_by:
        head, *rest = spec.edition_by.split(".")
        value: Any = to_context(data).get(head)
        for part in rest:
            value = getattr(value, part, None)
        base = value.isoformat() if isinstance(value, date) else str(value)
        same = [h for h in held if h.edition.split("+")[0] == base]
        if not same:
            return base
        return f"{base}+{len(same) + 1}" if reissue else None
    if held and not reissue:
        return None
    return str(len(held) + 1)


def _chunks(items: Iterator[Recipient], size: int) -> Iterator[list[Recipient]]:
    chunk: list[Recipient] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _selector(recipient: Recipient) -> str:
    return recipient.about or recipient.ref


def _preflight(session: Session, facts: TransferFacts, spec: LetterSpec,
               templates: LetterTemplates, *, today: date, wanted: Sequence[str] | None,
               reissue: bool, withhold: bool = False) -> _Preflight:
    """Build and render every recipient's letter (no PDF, nothing written); collect problems.

    ``withhold``: a representative's letter that would show an employee's name is not a
    problem that stops the others; it is written to the outbox as withheld instead (entering a
    state cannot be refused for it, and HR sees why).

    Raises :class:`LetterFormatError` at once for a fault of the template itself (syntax,
    sandbox), and :class:`ValidationError` for a letter that does not apply to the transfer.
    """
    outcome = _Preflight()
    checker = FieldChecker(spec)
    guard = _PersonalData(session, facts.id) if _to_representatives(spec) else None
    for chunk in _chunks(iter_recipients(session, facts, spec, wanted), CHUNK):
        extras = employee_extras(session, facts, chunk)
        held = _issued_keys(session, facts, spec, chunk)
        for recipient in chunk:
            extra = extras.get(recipient.employee.employee_ref, {}) if recipient.employee \
                else None
            data = build_data(facts, spec, recipient, letter_date=today, employee_extra=extra)
            if _edition(spec, data, held.get(recipient.key, []), reissue) is None:
                outcome.already += 1
                continue
            context = to_context(data)
            missing = checker.missing(context)
            problem: RecipientProblem | None = None
            if missing:
                problem = RecipientProblem(recipient.label, recipient.ref, tuple(missing))
            else:
                try:
                    document = templates.render(spec.name, context)
                except LetterFormatError as exc:
                    problem = RecipientProblem(recipient.label, recipient.ref,
                                               message=str(exc))
                else:
                    if not withhold and guard is not None and \
                            recipient.audience == "representative" and \
                            guard.found_in(render_text(document)):
                        problem = RecipientProblem(recipient.label, recipient.ref,
                                                   message=WITHHELD)
            if problem is not None:
                outcome.failed += 1
                if len(outcome.problems) < SHOWN:
                    outcome.problems.append(problem)
            else:
                outcome.to_issue.append(_selector(recipient))
    return outcome


@dataclass
class LetterReadiness:
    """Whether one letter can be issued for a transfer now, and what is missing if not."""

    letter: str
    title: str
    recipients: int = 0
    already_issued: int = 0
    ready: int = 0
    failed: int = 0
    problems: list[RecipientProblem] = field(default_factory=list)
    error: str | None = None   # the letter itself cannot be used (a template fault)
    note: str | None = None    # it does not apply here (e.g. not a TUPE or COSOP move)

    @property
    def ok(self) -> bool:
        return self.error is None and self.failed == 0

    def as_json(self) -> dict[str, Any]:
        return {"letter": self.letter, "title": self.title, "recipients": self.recipients,
                "already_issued": self.already_issued, "ready": self.ready,
                "cannot_issue": self.failed, "ok": self.ok, "error": self.error,
                "note": self.note,
                "problems": [p.as_json() for p in self.problems]}


def check_transfer(ref: str, letters: Sequence[str] | None = None, *,
                   today: date | None = None,
                   engine: Engine | None = None) -> list[LetterReadiness]:
    """For each letter (default: every letter that can be issued), every field missing for
    any recipient, before anything is sent. Writes nothing."""
    today = today or date.today()
    names = list(letters) if letters else [s.name for s in catalogue().letters.values()
                                           if s.issuable]
    out = []
    with read_session(engine) as session:
        facts = load_facts(session, ref)
        for name in names:
            try:
                spec, templates = resolve(facts, name)
                readiness = LetterReadiness(name, spec.title)
                if not spec.issuable:
                    raise ValidationError(f"{name} is sent by the scheduler, not issued")
                if facts.transfer.regime.value not in spec.regimes:
                    readiness.note = (f"not issued for a {facts.transfer.regime.value} move "
                                      f"(only {' or '.join(spec.regimes)})")
                    out.append(readiness)
                    continue
                outcome = _preflight(session, facts, spec, templates, today=today, wanted=None,
                                     reissue=False)
            except (LetterFormatError, ValidationError) as exc:
                out.append(LetterReadiness(name, name, error=str(exc)))
                continue
            readiness.already_issued = outcome.already
            readiness.ready = len(outcome.to_issue)
            readiness.failed = outcome.failed
            readiness.recipients = outcome.already + readiness.ready + outcome.failed
            readiness.problems = outcome.problems
            out.append(readiness)
    return out


# ---------------------------------------------------------------------------------------------
# Issuing


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


class _Writer:
    """Renders, files and registers letters of one kind for one transfer (caller's session)."""

    def __init__(self, session: Session, facts: TransferFacts, spec: LetterSpec,
                 templates: LetterTemplates, *, today: date, actor: str, reissue: bool,
                 settings: Settings, withhold: bool = False) -> None:
        self.session, self.facts, self.spec, self.templates = session, facts, spec, templates
        self.today, self.actor, self.reissue, self.settings = today, actor, reissue, settings
        self.withhold = withhold
        self.versions: set[str] = set()
        self.guard = _PersonalData(session, facts.id) if _to_representatives(spec) else None

    def write(self, recipients: Sequence[Recipient]) -> Iterator[_Issued]:
        """Issue each recipient's letter not already held; yields each with its message."""
        extras = employee_extras(self.session, self.facts, recipients)
        held = _issued_keys(self.session, self.facts, self.spec, recipients)
        version = ensure_version(self.session, self.spec.bundle, self.versions)
        for recipient in recipients:
            extra = extras.get(recipient.employee.employee_ref, {}) if recipient.employee \
                else None
            data = build_data(self.facts, self.spec, recipient, letter_date=self.today,
                              employee_extra=extra)
            previous = held.get(recipient.key, [])
            edition = _edition(self.spec, data, previous, self.reissue)
            if edition is None:
                continue
            rendered = render(self.templates, self.spec, data)
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
        spec, templates = resolve(facts, letter)
        if not spec.issuable:
            raise ValidationError(f"{letter} is sent by the scheduler, not issued by hand")
        outcome = _preflight(session, facts, spec, templates, today=today, wanted=recipients,
                             reissue=reissue)
    if outcome.problems:
        raise LetterDataError(letter, ref, outcome.problems, outcome.failed)
    report = IssueReport(ref, letter, spec.version, already_issued=outcome.already)
    if not outcome.to_issue and not outcome.already:
        raise ValidationError(_nobody(spec, ref, recipients))
    total = len(outcome.to_issue)
    for start in range(0, total, chunk_size):
        selectors = outcome.to_issue[start:start + chunk_size]
        with write_session(engine) as session:
            # Current within this transaction, and locked: two runs of the same issue take
            # turns, so the second sees the first's letters and skips them.
            facts = load_facts(session, ref, lock=True)
            writer = _Writer(session, facts, spec, templates, today=today, actor=actor,
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


def _nobody(spec: LetterSpec, ref: str, wanted: Sequence[str] | None) -> str:
    if wanted:
        return (f"{ref}: none of {', '.join(wanted)} receives {spec.name} (it goes to "
                f"{spec.recipients}); see `transfer-engine letters list {ref}`")
    if spec.recipients == "notified":
        return (f"{ref}: nobody holds a letter that {spec.name} would supersede with another "
                "date; it is issued after a key date moves, to those told the old date")
    return f"{ref}: {spec.name} has no recipients ({spec.recipients}) on this transfer"


# ---------------------------------------------------------------------------------------------
# Letters a workflow state issues, from inside engine.advance


@dataclass
class StateLetter:
    """What entering a state decides for one of its letters: messages, or why not."""

    messages: Iterator[PlannedMessage] | None
    problem: str | None = None
    no_recipients: bool = False


def state_letter(session: Session, transfer_ref: str, name: str, today: date, *, actor: str,
                 settings: Settings) -> StateLetter:
    """Check, then (lazily) issue, letter ``name`` to all its recipients in this transaction.

    The messages are a generator: each letter is rendered, filed and registered only as the
    outbox writes its message, so nothing is rendered for a notice already decided.
    """
    try:
        facts = load_facts(session, transfer_ref)
        spec, templates = resolve(facts, name)
        if not spec.issuable:
            return StateLetter(None, f"{name} is not a letter that can be issued")
        outcome = _preflight(session, facts, spec, templates, today=today, wanted=None,
                             reissue=False, withhold=True)
    except (LetterFormatError, ValidationError) as exc:
        return StateLetter(None, str(exc))
    if outcome.problems:
        return StateLetter(None, str(LetterDataError(name, transfer_ref, outcome.problems,
                                                     outcome.failed)))
    if not outcome.to_issue:
        if outcome.already:  # everyone already holds it (the state was entered before)
            return StateLetter(iter(()))
        return StateLetter(None, _nobody(spec, transfer_ref, None), no_recipients=True)
    writer = _Writer(session, facts, spec, templates, today=today, actor=actor, reissue=False,
                     settings=settings, withhold=True)

    def messages() -> Iterator[PlannedMessage]:
        for start in range(0, len(outcome.to_issue), CHUNK):
            chunk = list(iter_recipients(session, facts, spec,
                                         outcome.to_issue[start:start + CHUNK]))
            for issued in writer.write(chunk):
                yield issued.message

    return StateLetter(messages())
