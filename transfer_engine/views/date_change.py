"""Which letters should follow a key date's change: the check page's "letters to send".

A letter that gave the old date to representatives or employees is out of date once the date
moves. A template that tells its holders the new date says so in its metadata: it goes to
``recipients: notified`` (whoever holds a current letter it supersedes) and makes a new edition
when the key date changes (``edition_by: transfer.<key>_date``), as ``date-change`` does for
the transfer date. Counting who holds such a letter needs only the register.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from transfer_engine.letters.catalogue import catalogue
from transfer_engine.store.register import Letter, LetterStatus
from transfer_engine.store.transfers import Transfer

__all__ = ["FollowUp", "letters_to_follow"]


@dataclass(frozen=True)
class FollowUp:
    """A letter to issue after the change, and who holds a letter giving the old date."""

    letter: str            # the template, e.g. "date-change"
    title: str
    legal_basis: str
    representatives: int   # recipients holding an earlier letter, by kind
    employees: int
    others: int
    earlier: tuple[str, ...]   # titles of the letters that gave the old date

    @property
    def holders(self) -> int:
        return self.representatives + self.employees + self.others

    def holders_text(self) -> str:
        parts = []
        for count, one, many in ((self.representatives, "representative", "representatives"),
                                 (self.employees, "employee", "employees"),
                                 (self.others, "other recipient", "other recipients")):
            if count:
                parts.append(f"{count} {one if count == 1 else many}")
        return " and ".join(parts) if len(parts) <= 2 else \
            ", ".join(parts[:-1]) + " and " + parts[-1]


def letters_to_follow(session: Session, transfer: Transfer, key_date: str) -> list[FollowUp]:
    """The letters that should follow a change of ``key_date``, with who would receive them.

    Only letters already issued count: a holder is a recipient whose current (not superseded)
    letter is one of those the notice supersedes. Nobody holding one: nothing to follow.
    """
    field = f"transfer.{key_date}_date"
    letters = catalogue().letters
    found: list[FollowUp] = []
    for spec in letters.values():
        if spec.recipients != "notified" or spec.edition_by != field or not spec.supersedes:
            continue
        rows = session.exec(select(Letter.recipient_ref, Letter.letter).where(
            Letter.transfer_id == transfer.id, col(Letter.letter).in_(spec.supersedes),
            Letter.status == LetterStatus.issued, col(Letter.about_ref).is_(None))).all()
        holders = {ref for ref, _ in rows}
        if not holders:
            continue
        kinds = [ref.partition(":")[0] for ref in holders]
        earlier = sorted({letters[name].title if name in letters else name for _, name in rows})
        found.append(FollowUp(
            spec.name, spec.title, spec.legal_basis, kinds.count("representative"),
            kinds.count("employee"),
            sum(1 for k in kinds if k not in ("representative", "employee")), tuple(earlier)))
    return found
