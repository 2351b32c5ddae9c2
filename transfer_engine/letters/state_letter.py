"""A letter a workflow state names (``letters:``), issued in the caller's transaction.

Entering a state such as ``consulting`` owes its letters (:mod:`transfer_engine.letters.owed`);
issuing one takes the path of ``letters issue`` (:func:`~transfer_engine.letters.preflight.
preflight`, then the :class:`~transfer_engine.letters.issue.LetterWriter`), with two
differences: it never raises for what the transfer lacks, but says why (the HR owner is then
alerted instead: the law does not wait for a letterhead), and a representative's letter that
would name an employee is withheld, the others still going out.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date

from sqlmodel import Session

from transfer_engine.config import Settings
from transfer_engine.errors import ValidationError
from transfer_engine.letters.compose import resolve
from transfer_engine.letters.context import CHUNK, iter_recipients, load_facts
from transfer_engine.letters.errors import LetterFormatError
from transfer_engine.letters.issue import LetterWriter, nobody_receives
from transfer_engine.letters.preflight import preflight
from transfer_engine.letters.references import numbering_for
from transfer_engine.outbox.queue import PlannedMessage

__all__ = ["StateLetter", "state_letter"]


@dataclass
class StateLetter:
    """What entering a state decides for one of its letters: messages, or why not."""

    messages: Iterator[PlannedMessage] | None
    problem: str | None = None
    no_recipients: bool = False
    waiting: int = 0   # recipients who lack the letter (and can have it)


def state_letter(session: Session, transfer_ref: str, name: str, today: date, *, actor: str,
                 settings: Settings, override_reason: str | None = None) -> StateLetter:
    """Check, then (lazily) issue, letter ``name`` to all its recipients in this transaction.

    A letter that makes no sense as it stands (:mod:`~transfer_engine.letters.sense_checks`)
    is not issued unless ``override_reason`` (given by HR issuing it by hand) covers it.

    The messages are a generator: each letter is rendered, filed and registered only as the
    outbox writes its message, so nothing is rendered for a notice already decided.
    """
    try:
        facts = load_facts(session, transfer_ref)
        spec, templates = resolve(facts, name, settings=settings)
        if not spec.issuable:
            return StateLetter(None, f"{name} is not a letter that can be issued")
        outcome = preflight(session, facts, spec, templates, today=today, wanted=None,
                            reissue=False, withhold=True)
        outcome.settle(name, transfer_ref, override_reason)
    except (LetterFormatError, ValidationError) as exc:
        return StateLetter(None, str(exc))
    if not outcome.to_issue:
        if outcome.already:  # everyone already holds it (the state was entered before)
            return StateLetter(iter(()))
        return StateLetter(None, nobody_receives(spec, transfer_ref, None), no_recipients=True)
    writer = LetterWriter(session, facts, spec, templates, today=today, actor=actor,
                          reissue=False, settings=settings, withhold=True,
                          numbering=numbering_for(session, facts, spec, outcome.places))

    def messages() -> Iterator[PlannedMessage]:
        for start in range(0, len(outcome.to_issue), CHUNK):
            chunk = list(iter_recipients(session, facts, spec,
                                         outcome.to_issue[start:start + CHUNK]))
            for issued in writer.write(chunk):
                if issued.about is None:
                    yield issued.message
                else:  # one notice, several schedules to the transferee: one message each
                    yield replace(issued.message,
                                  recipient_ref=f"{issued.message.recipient_ref}|{issued.about}")

    return StateLetter(messages(), waiting=len(outcome.to_issue))
