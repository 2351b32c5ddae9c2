"""What may complete a step: the evidence a workflow file names on each step (``evidence:``).

A step is done only when its evidence exists (or by an override with a written reason). The
workflow layer knows the vocabulary, so that a file is validated without the rules that judge
it (:mod:`transfer_engine.rules.evidence`):

``note``
    a dated note: what the trigger or ``done`` recorded, on the day it happened. The default
    for a step that names no evidence.
``document``
    a document attached to the step, kept in the register with its SHA-256.
``letter: <letter>``
    that letter issued (in the letter register) to every recipient the law requires, e.g.
    ``reg13-information`` to every appropriate representative (reg 13(2)). With
    ``without_representatives: <letter>``, where no representatives are recorded and reg 13A or
    reg 13(11) lets the employer inform the employees directly, that letter to every affected
    employee instead.
``eli_complete``
    the employee liability information given for every transferring employee (reg 11(2)):
    every item of it stated on the staff list, and a schedule about each issued to the
    transferee.
``representatives``
    representatives in place for the affected employees (reg 13(3)): a recognised union,
    representatives elected under reg 14, or the reg 13A / reg 13(11) path of informing each
    employee.
``representations_answered``
    every representation the representatives made in the consultation (reg 13(6)) has the
    employer's reply, with reasons for rejecting any of it (reg 13(7)). Holds when none was
    made; a representation made after the step was done reopens it until it is answered.

Several kinds in a list must all hold.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

#: The kinds of evidence, with a one-line summary for documentation and messages.
KINDS: dict[str, str] = {
    "note": "a dated note recorded with the step (the trigger's note or the evidence given)",
    "document": "a document attached to the step, kept with its SHA-256",
    "letter": "the letter issued to every recipient the law requires",
    "eli_complete": "the employee liability information, every reg 11(2) item, given for every "
                    "transferring employee",
    "representatives": "representatives in place (recognised union, elected under reg 14, or "
                       "the reg 13A / reg 13(11) path of informing each employee)",
    "representations_answered": "every representation the representatives made has the "
                                "employer's reply, with reasons for rejecting any of it "
                                "(reg 13(7))",
}

#: Whom each letter must reach for it to count as evidence (the required recipients), by the
#: law that makes it a duty. ``representatives``: every appropriate representative recorded
#: (reg 13(2)); ``affected-employees``: every affected employee in scope; ``transferring-
#: employees``: those in scope who have not objected; ``eli``: the transferee, one schedule
#: about each transferring employee (reg 11(2)); ``transferee``: the transferee.
RECIPIENTS = ("representatives", "affected-employees", "transferring-employees",
              "objecting-employees", "eli", "transferee")
LETTER_RECIPIENTS: dict[str, str] = {
    "reg13-information": "representatives",
    "employee-notification": "affected-employees",
    "consultation-invitation": "affected-employees",
    "transfer-confirmation": "transferring-employees",
    "objection-acknowledgement": "objecting-employees",
    "eli-schedule": "eli",
    "eli-cover": "transferee",
    "measures-request": "transferee",
}


@dataclass(frozen=True)
class Evidence:
    """One kind of evidence a step needs; ``letter`` (and ``to``) for a letter."""

    kind: str
    letter: str | None = None
    to: str | None = None
    # The letter that reaches each affected employee instead, on the reg 13A / 13(11) path.
    without_representatives: str | None = None

    def describe(self) -> str:
        if self.kind != "letter":
            return self.kind
        direct = (f" (or {self.without_representatives} to every affected employee where "
                  "there are no representatives)") if self.without_representatives else ""
        return f"letter {self.letter} to {self.to}{direct}"


NOTE = Evidence("note")
_LETTER_KEYS = {"letter", "to", "without_representatives"}


def parse_evidence(where: str, raw: Any, problems: list[str]) -> tuple[Evidence, ...]:
    """The evidence a file wrote (a kind, a mapping, or a list of them); problems are added to
    ``problems`` with ``where`` (``steps.eli.evidence``) in front."""
    if raw is None:
        return (NOTE,)
    items = raw if isinstance(raw, list) else [raw]
    if not items:
        problems.append(f"{where}: name at least one kind of evidence ({', '.join(KINDS)})")
        return ()
    out: list[Evidence] = []
    for i, item in enumerate(items):
        here = f"{where}[{i}]" if isinstance(raw, list) else where
        found = _one(here, item, problems)
        if found is not None:
            if found in out:
                problems.append(f"{here}: {found.describe()} is named twice")
            out.append(found)
    return tuple(out)


def _one(where: str, item: Any, problems: list[str]) -> Evidence | None:
    if isinstance(item, str):
        if item == "letter":
            problems.append(f"{where}: name the letter, e.g. 'letter: reg13-information'")
            return None
        if item not in KINDS:
            problems.append(f"{where}: unknown evidence {item!r}; use one of {sorted(KINDS)}")
            return None
        return Evidence(item)
    if not isinstance(item, Mapping) or "letter" not in item:
        problems.append(f"{where}: write a kind ({', '.join(sorted(KINDS))}) or "
                        "'letter: <letter>'")
        return None
    unknown = set(item) - _LETTER_KEYS
    if unknown:
        problems.append(f"{where}: unknown key(s) {sorted(unknown)}; a letter takes "
                        f"{sorted(_LETTER_KEYS)}")
        return None
    letter, to = item.get("letter"), item.get("to")
    if not isinstance(letter, str) or not letter:
        problems.append(f"{where}.letter: name the letter, e.g. reg13-information")
        return None
    to = to or LETTER_RECIPIENTS.get(letter)
    if to is None:
        problems.append(f"{where}.to: say whom {letter} must reach, one of {list(RECIPIENTS)}")
        return None
    if to not in RECIPIENTS:
        problems.append(f"{where}.to: {to!r} is not one of {list(RECIPIENTS)}")
        return None
    direct = item.get("without_representatives")
    if direct is not None and (not isinstance(direct, str) or to != "representatives"):
        problems.append(f"{where}.without_representatives: only for a letter to "
                        "representatives, naming the letter each affected employee gets instead")
        return None
    return Evidence("letter", letter=letter, to=to, without_representatives=direct)
