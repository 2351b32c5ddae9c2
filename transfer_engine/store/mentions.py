"""Whether a text names one of a transfer's employees: the one test of what representatives read.

Representatives are told numbers and roles, never people. Three things they read are tested
with this before they see them: a letter addressed to them (withheld if it names someone), a
notice in their portal (not shown), and the employer's reply to their representation (refused,
so that HR writes it again without the name).

A person is named by their name, their email address or their employee reference, and not
always as the staff list spells them:

* without the accents ("Sian Llyr" for Siân Llŷr: few UK keyboards type ŷ), and in any case;
* with a character no one sees inside it (a zero-width space, a direction mark), pasted in or
  typed to get round the test;
* with another apostrophe (a typed O'Brien, a word processor's curly one).

So both the text and the staff list are *folded* the same way before they are compared: letters
without their marks (Ł and ø too, which Unicode does not decompose), invisible characters
dropped, case and spacing ignored. A name or reference counts only as a whole word, so that Ann
Lee is not found in "Joann Leeds". A reference counts only if it could not be anything else: it
holds a letter (E1042, LD-001) or is at least five digits long. A reference of a few digits
("12") would be found in every count and date, and withhold every letter.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import cached_property

from sqlmodel import Session, select

from transfer_engine.store.people import Employee

__all__ = ["EmployeeMentions", "fold"]

#: Unicode categories dropped when folding: combining marks (the accents NFKD splits off) and
#: format characters (zero-width spaces and joiners, direction marks and overrides).
_DROPPED = frozenset({"Mn", "Me", "Cf"})
#: Letters that carry their mark in their own code point, and apostrophes, as plain ones.
_PLAIN = str.maketrans({"ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "đ": "d", "Đ": "D",
                        "ħ": "h", "Ħ": "H", "\u0131": "i", "æ": "ae", "Æ": "AE", "œ": "oe",
                        "Œ": "OE", "\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'"})
#: The fewest digits a reference of digits only must have to count (see the module).
_DIGITS_ONLY_MIN = 5


def fold(text: str) -> str:
    """``text`` as names are compared: no marks, no invisible characters, any case, single
    spaces (see the module)."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_PLAIN))
    kept = "".join(c for c in decomposed if unicodedata.category(c) not in _DROPPED)
    return " ".join(kept.casefold().split())


def _counts(reference: str) -> bool:
    return not reference.isdigit() or len(reference) >= _DIGITS_ONLY_MIN


class EmployeeMentions:
    """The employees a text may name, folded; :meth:`found_in` tests a text."""

    def __init__(self, names: Iterable[str], emails: Iterable[str],
                 references: Iterable[str]) -> None:
        self._words = sorted({folded for value in (*names, *(r for r in references if
                                                             _counts(r.strip())))
                              if (folded := fold(value))}, key=len, reverse=True)
        self._emails = sorted({folded for e in emails if (folded := fold(e))})

    @classmethod
    def of_transfer(cls, session: Session, transfer_id: int | None) -> EmployeeMentions:
        rows = session.exec(select(Employee.full_name, Employee.email, Employee.employee_ref)
                            .where(Employee.transfer_id == transfer_id)).all()
        return cls((r[0] for r in rows if r[0]), (r[1] for r in rows if r[1]),
                   (r[2] for r in rows if r[2]))

    @cached_property
    def _pattern(self) -> re.Pattern[str] | None:
        if not self._words:
            return None
        # Longest first, so that E10 is found as E10 and not as E1; a whole word each.
        words = "|".join(re.escape(w) for w in self._words)
        return re.compile(rf"(?<![\w-])(?:{words})(?![\w-])")

    def found_in(self, text: str) -> bool:
        """Whether ``text`` names any of the employees (by name, email or reference)."""
        folded = fold(text)
        if self._pattern is not None and self._pattern.search(folded):
            return True
        return any(email in folded for email in self._emails)
