"""Why a letter cannot be issued to some of its recipients, said so that HR can fix it.

Issuing is all or nothing: one recipient's letter with a gap (a field not recorded), a template
fault, or a representative's letter that would name an employee, stops the whole issue, and the
refusal (:class:`LetterDataError`) lists every recipient concerned with the fields, and where in
the particulars file each field is recorded.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from transfer_engine.errors import Action, NextStep, ValidationError
from transfer_engine.letters.particulars import particulars_file_hint

__all__ = ["SHOWN", "WITHHELD", "LetterDataError", "RecipientProblem"]

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
        super().__init__(_describe(letter, ref, problems, total),
                         next_step=NextStep(Action.record_particulars, ref=ref, letter=letter))
