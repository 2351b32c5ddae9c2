"""Before a letter is issued: every recipient's letter made and checked, nothing written.

Issuing is all or nothing *before* anything is written: every recipient's letter is composed
and rendered once (without the files) and any gap, any template fault and any personal data in
a representative's letter is collected (:func:`preflight`), so that the whole issue is refused
with every problem at once (:class:`~transfer_engine.letters.refusal.LetterDataError`).
Whether the letter makes sense at all (sender and recipient, regime, dates) is checked here too
(:mod:`transfer_engine.letters.sense_checks`); :meth:`Preflight.settle` refuses it, or records
a written override.
``letters check`` (:func:`check_transfer`) runs the same check for every letter and writes
nothing. A recipient who already holds the letter (in this edition) is counted, not checked.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from transfer_engine.errors import ValidationError
from transfer_engine.letters.catalogue import LetterSpec, catalogue
from transfer_engine.letters.check import FieldChecker
from transfer_engine.letters.compose import compose, resolve
from transfer_engine.letters.context import (
    CHUNK,
    Recipient,
    TransferFacts,
    iter_recipients,
    load_facts,
)
from transfer_engine.letters.data import to_context
from transfer_engine.letters.errors import LetterFormatError
from transfer_engine.letters.gaps import Gaps
from transfer_engine.letters.refusal import SHOWN, WITHHELD, LetterDataError, RecipientProblem
from transfer_engine.letters.sense_checks import (
    SenseCheckError,
    SenseProblem,
    judge,
    recipient_problems,
    transfer_problems,
)
from transfer_engine.letters.templates import LetterTemplates
from transfer_engine.letters.text import render_text
from transfer_engine.letters.typefaces import check_printable
from transfer_engine.store.database import read_session
from transfer_engine.store.mentions import EmployeeMentions
from transfer_engine.store.register import Letter

__all__ = [
    "LetterReadiness",
    "Preflight",
    "check_transfer",
    "edition_of",
    "held_letters",
    "preflight",
    "selector",
    "to_representatives",
]


def to_representatives(spec: LetterSpec) -> bool:
    """Whether some of this letter's recipients may be representatives."""
    return spec.recipients in ("representatives", "notified")


@dataclass
class Preflight:
    """The outcome of checking every recipient of one letter."""

    to_issue: list[str] = field(default_factory=list)   # recipient selectors, in order
    already: int = 0
    problems: list[RecipientProblem] = field(default_factory=list)
    failed: int = 0
    sense: list[SenseProblem] = field(default_factory=list)   # see letters.sense_checks
    # Each recipient to issue to: their place among those who lack the letter (failed ones
    # included), which numbers their reference (letters.references), and how they are named.
    places: dict[str, int] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)

    def settle(self, letter: str, ref: str, override_reason: str | None) -> list[SenseProblem]:
        """Refuse the issue for what no reason overrides, then for missing data, then for what
        makes no sense unless ``override_reason`` covers it; the problems it overrode."""
        fixed = [p for p in self.sense if not p.overridable]
        if fixed:
            raise SenseCheckError(letter, ref, fixed)
        if self.problems:
            raise LetterDataError(letter, ref, self.problems, self.failed)
        return judge(letter, ref, self.sense, override_reason)


def held_letters(session: Session, facts: TransferFacts, spec: LetterSpec,
                 recipients: Sequence[Recipient]) -> dict[str, list[Letter]]:
    """The letters each of these recipients already holds (any edition), oldest first."""
    refs = sorted({r.ref for r in recipients})
    rows = session.exec(select(Letter).where(
        Letter.transfer_id == facts.id, Letter.letter == spec.name,
        col(Letter.recipient_ref).in_(refs)).order_by(col(Letter.id))).all() if refs else []
    held: dict[str, list[Letter]] = {}
    for row in rows:
        key = f"{row.recipient_ref}|{row.about_ref}" if row.about_ref else row.recipient_ref
        held.setdefault(key, []).append(row)
    return held


def edition_of(spec: LetterSpec, data: dict[str, Any], held: list[Letter],
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


def selector(recipient: Recipient) -> str:
    """How a recipient is named again when their letter is written (an ELI schedule: whom)."""
    return recipient.about or recipient.ref


def preflight(session: Session, facts: TransferFacts, spec: LetterSpec,
              templates: LetterTemplates, *, today: date, wanted: Sequence[str] | None,
              reissue: bool, withhold: bool = False, shown: int = SHOWN) -> Preflight:
    """Compose and render every recipient's letter (no files, nothing written); collect problems.

    ``shown``: how many recipients' problems are kept (all are counted, in ``failed``).
    ``withhold``: a representative's letter that would show an employee's name is not a
    problem that stops the others; it is written to the outbox as withheld instead (entering a
    state cannot be refused for it, and HR sees why).

    Raises :class:`~transfer_engine.letters.errors.LetterFormatError` at once for a fault of
    the template itself (syntax, sandbox), and :class:`~transfer_engine.errors.ValidationError`
    for a letter that does not apply to the transfer.
    """
    outcome = Preflight(sense=transfer_problems(session, facts, spec, today))
    if any(not p.overridable for p in outcome.sense):
        return outcome  # it cannot be sent as addressed: nothing else is worth checking
    checker = FieldChecker(spec)
    # No representative's letter may name an employee (store/mentions.py).
    guard = EmployeeMentions.of_transfer(session, facts.id) if to_representatives(spec) else None
    for chunk in _chunks(iter_recipients(session, facts, spec, wanted), CHUNK):
        held = held_letters(session, facts, spec, chunk)
        for letter in compose(session, facts, spec, templates, chunk, letter_date=today,
                              gaps=Gaps.refuse, checker=checker):
            recipient = letter.recipient
            if edition_of(spec, letter.data, held.get(recipient.key, []), reissue) is None:
                outcome.already += 1
                continue
            place = len(outcome.to_issue) + outcome.failed
            problem: RecipientProblem | None = None
            if letter.missing:
                problem = RecipientProblem(recipient.label, recipient.ref, letter.missing)
            else:
                try:
                    document = letter.document()
                    check_printable(document)  # a character no letter font can draw
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
                if len(outcome.problems) < shown:
                    outcome.problems.append(problem)
            else:
                outcome.to_issue.append(selector(recipient))
                outcome.places[selector(recipient)] = place
                outcome.labels[selector(recipient)] = recipient.label
            if len(outcome.sense) < SHOWN:
                outcome.sense.extend(recipient_problems(facts, recipient, letter.data))
    if not outcome.to_issue and not outcome.failed:
        outcome.sense = []  # nothing would be issued, so nothing is refused
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
    sense: list[SenseProblem] = field(default_factory=list)  # refused unless overridden

    @property
    def ok(self) -> bool:
        return self.error is None and self.failed == 0 and not self.sense

    def as_json(self) -> dict[str, Any]:
        return {"letter": self.letter, "title": self.title, "recipients": self.recipients,
                "already_issued": self.already_issued, "ready": self.ready,
                "cannot_issue": self.failed, "ok": self.ok, "error": self.error,
                "note": self.note,
                "problems": [p.as_json() for p in self.problems],
                "sense_checks": [p.as_json() for p in self.sense]}


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
                outcome = preflight(session, facts, spec, templates, today=today, wanted=None,
                                    reissue=False)
            except (LetterFormatError, ValidationError) as exc:
                out.append(LetterReadiness(name, name, error=str(exc)))
                continue
            readiness.already_issued = outcome.already
            readiness.ready = len(outcome.to_issue)
            readiness.failed = outcome.failed
            readiness.recipients = outcome.already + readiness.ready + outcome.failed
            readiness.problems = outcome.problems
            readiness.sense = outcome.sense
            out.append(readiness)
    return out
