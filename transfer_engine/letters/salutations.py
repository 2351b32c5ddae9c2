"""What becomes of an employee's salutation ("Dear ...") when their name changes.

A salutation is recorded for each employee's letters. Most are made from the name: the whole
name ("Dear Siân Llŷr"), a title and the family name ("Dear Ms Llŷr") or the given name
("Dear Siân"). When the name is corrected or changes (marriage, a spelling fixed after import),
a salutation that still says the old name would greet the person wrongly in every later letter.

* A salutation that *is* the old name follows the new name: it was derived from it, and nothing
  else could be meant.
* A salutation that uses part of the old name (a title and the family name, the given name) is
  proposed again with the new name's part in its place, and HR confirms it (or writes another):
  a title may change with the name, which no rule can know.
* A salutation that does not use the old name ("Colleague", a name the person goes by) stays.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from enum import Enum

__all__ = ["SalutationChange", "Treatment", "follow_name"]


class Treatment(Enum):
    follows = "follows"     # the salutation was the name: it becomes the new name
    confirm = "confirm"     # it used part of the old name: HR confirms the proposal
    keeps = "keeps"         # it does not use the old name (or none is recorded)


@dataclass(frozen=True)
class SalutationChange:
    treatment: Treatment
    old: str | None
    proposed: str | None    # the salutation with the new name (None when it keeps)


def _words(text: str) -> list[str]:
    return unicodedata.normalize("NFC", text).split()


def _key(word: str) -> str:
    return word.casefold().strip(".,")


def follow_name(salutation: str | None, old_name: str, new_name: str) -> SalutationChange:
    """How ``salutation`` should change when the name ``old_name`` becomes ``new_name``."""
    if not salutation or " ".join(_words(old_name)) == " ".join(_words(new_name)):
        return SalutationChange(Treatment.keeps, salutation, None)
    said, old, new = _words(salutation), _words(old_name), _words(new_name)
    if [_key(w) for w in said] == [_key(w) for w in old]:
        return SalutationChange(Treatment.follows, salutation, " ".join(new))
    # Word by word: the given name (first) and the family name (last) are what salutations use.
    replace: dict[str, str] = {}
    if old and new:
        if _key(old[0]) != _key(new[0]):
            replace[_key(old[0])] = new[0]
        if len(old) > 1 and len(new) > 1 and _key(old[-1]) != _key(new[-1]):
            replace[_key(old[-1])] = new[-1]
    changed = [replace.get(_key(w), w) for w in said]
    if changed == said:
        # It names nothing that changed; but it may still hold an old word we cannot map
        # (a family name dropped, a middle name used): ask rather than keep a wrong name.
        gone = {_key(w) for w in old} - {_key(w) for w in new}
        if any(_key(w) in gone for w in said):
            return SalutationChange(Treatment.confirm, salutation, salutation)
        return SalutationChange(Treatment.keeps, salutation, None)
    return SalutationChange(Treatment.confirm, salutation, " ".join(changed))
