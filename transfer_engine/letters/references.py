"""The reference a letter is known by: "Our reference: LD-NCT/R13/0001".

Staff, unions and a tribunal quote a letter's reference back to us, so it is short, printed the
same everywhere (the letter, the register, the portal, and any later letter that supersedes
it: "This letter replaces our letter LD-NCT/R13/0001 of ...") and never changes once issued.
It is made of:

* the transfer's code, from its ref (``ld-to-nct`` gives ``LD-NCT``; a second transfer whose
  ref would give the same code has its id added, so no two transfers share one);
* the letter's code (``R13`` for the reg 13 information; :data:`LETTER_CODES`);
* the letter's number among that transfer's letters of that kind, in the order issued.

Numbers are given out in the order recipients are checked before an issue: the recipients who
do not hold the letter yet, in the order the letter goes to them, take the next numbers in turn
(a recipient whose letter cannot be issued keeps its place, so a letter previewed before the
issue shows the number it is issued with). Internal keys (``ld-to-nct/eli-schedule/...``) are
never printed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import CompoundSelect, func, union
from sqlmodel import Session, col, select

from transfer_engine.letters.catalogue import LetterSpec
from transfer_engine.letters.context import Recipient, TransferFacts, iter_recipients
from transfer_engine.store.register import Letter
from transfer_engine.store.transfers import Transfer

__all__ = ["LETTER_CODES", "Numbering", "format_reference", "last_number", "letter_code",
           "numbering_for", "predicted_reference", "transfer_code"]

#: The short code of each shipped letter in its references.
LETTER_CODES = {
    "reg13-information": "R13",
    "employee-notification": "EN",
    "transfer-confirmation": "TC",
    "consultation-invitation": "CI",
    "measures-request": "MR",
    "objection-acknowledgement": "OA",
    "date-change": "DC",
    "eli-cover": "ELI",
    "eli-schedule": "ELIS",
    "eli-change": "ELIC",
    "s188-disclosure": "S188",
    "hr1-notification": "HR1",
}


def letter_code(name: str) -> str:
    """The letter's code: its own, or the initials of its name (``my-new-letter``: ``MNL``)."""
    return LETTER_CODES.get(name) or "".join(part[:1] for part in name.split("-")).upper()


def _short(ref: str) -> str:
    parts = [p for p in ref.replace("/", "-").split("-") if p and p != "to"]
    return "-".join(parts).upper() or ref.upper()


def transfer_code(session: Session, transfer_id: int, ref: str) -> str:
    """The code of the transfer in its letters' references.

    Transfers whose refs shorten alike (``a-to-b`` and ``a-b``) are told apart by id: the
    first (lowest id) keeps the short code. Transfers already deleted count too (their letters
    stay in the register with their references).
    """
    code = _short(ref)
    known: CompoundSelect = union(select(Transfer.id, Transfer.ref),
                                 select(Letter.transfer_id, Letter.transfer_ref).distinct())
    rivals = [row[0] for row in session.connection().execute(known)
              if row[0] != transfer_id and _short(row[1]) == code]
    if rivals and min(rivals) < transfer_id:
        return f"{code}-{transfer_id}"
    return code


def format_reference(transfer: str, letter: str, number: int) -> str:
    return f"{transfer}/{letter_code(letter)}/{number:04d}"


def last_number(session: Session, transfer_id: int, letter: str) -> int:
    """The highest number given to this transfer's letters of this kind (0 for none)."""
    found = session.exec(select(func.max(Letter.sequence)).where(
        Letter.transfer_id == transfer_id, Letter.letter == letter)).one()
    return int(found or 0)


@dataclass
class Numbering:
    """The numbers of one issue run: each recipient's place among those checked (see the
    module's docstring), after the last number given before the run."""

    code: str
    letter: str
    base: int
    places: dict[str, int]   # recipient selector -> place among those to be numbered

    def settle(self, session: Session, transfer_id: int, first: int) -> None:
        """Before a chunk is written (in its own transaction): if another run has given out
        numbers since this one was checked, move this run's numbers past them."""
        taken = last_number(session, transfer_id, self.letter)
        if taken >= self.base + first + 1:
            self.base = taken - first

    def number(self, selector: str) -> int:
        if selector not in self.places:  # not checked with the others: after all of them
            self.places[selector] = max(self.places.values(), default=-1) + 1
        return self.base + self.places[selector] + 1

    def reference(self, selector: str) -> str:
        return format_reference(self.code, self.letter, self.number(selector))


def predicted_reference(session: Session, facts: TransferFacts, spec: LetterSpec,
                        recipient: Recipient) -> str:
    """The reference a preview shows: the one the recipient's letter holds already, or the
    one issuing the letter to everyone who lacks it would give this recipient."""
    held = _held(session, facts, spec, [recipient])
    if recipient.key in held and held[recipient.key].reference:
        return held[recipient.key].reference or ""
    place = 0
    chunk: list[Recipient] = []

    def count(batch: list[Recipient]) -> int:
        holders = _held(session, facts, spec, batch)
        return sum(1 for r in batch if r.key not in holders)

    for other in iter_recipients(session, facts, spec):
        if other.key == recipient.key:
            break
        chunk.append(other)
        if len(chunk) >= 200:
            place += count(chunk)
            chunk = []
    place += count(chunk) if chunk else 0
    number = last_number(session, facts.id, spec.name) + place + 1
    return format_reference(transfer_code(session, facts.id, facts.transfer.ref), spec.name,
                            number)


def _held(session: Session, facts: TransferFacts, spec: LetterSpec,
          recipients: list[Recipient]) -> dict[str, Letter]:
    """The latest letter of this kind each recipient holds, as the check before an issue
    counts them (a letter whose edition follows a date counts only for that date: a
    date-change notice held for the current date)."""
    if spec.recipients == "notified":
        return {r.key: r.supersedes for r in recipients
                if r.supersedes is not None and r.supersedes.letter == spec.name}
    refs = sorted({r.ref for r in recipients})
    if not refs:
        return {}
    rows = session.exec(select(Letter).where(
        Letter.transfer_id == facts.id, Letter.letter == spec.name,
        col(Letter.recipient_ref).in_(refs)).order_by(col(Letter.id))).all()
    return {(f"{row.recipient_ref}|{row.about_ref}" if row.about_ref else row.recipient_ref): row
            for row in rows}


def numbering_for(session: Session, facts: TransferFacts, spec: LetterSpec,
                  places: Mapping[str, int]) -> Numbering:
    """The numbering of an issue run checked with these places (see ``Preflight.places``)."""
    return Numbering(transfer_code(session, facts.id, facts.transfer.ref), spec.name,
                     last_number(session, facts.id, spec.name), dict(places))
