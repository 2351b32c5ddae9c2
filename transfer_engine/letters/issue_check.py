"""The check shown before a letter is issued: who it goes to and what stops anyone's letter.

The web app's check page, ``letters issue --check`` and the API's dry run all show this, and
write nothing: the recipients who would receive the letter now, those who hold it already, and,
per recipient, what stops their letter (a field not recorded, a character no letter font can
draw, a representative's letter that would name an employee); and, for the letter as a whole,
what the sense checks refuse (:mod:`transfer_engine.letters.sense_checks`), or the fault that
stops every copy (a broken template). Issuing then issues exactly the ready ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy.engine import Engine

from transfer_engine.errors import ValidationError
from transfer_engine.letters.compose import resolve
from transfer_engine.letters.context import load_facts
from transfer_engine.letters.errors import LetterFormatError
from transfer_engine.letters.issue import nobody_receives
from transfer_engine.letters.preflight import preflight
from transfer_engine.letters.refusal import RecipientProblem
from transfer_engine.letters.sense_checks import SenseProblem
from transfer_engine.store.database import read_session

__all__ = ["LISTED", "IssueCheck", "check_issue"]

#: How many recipients a check lists by name (counts are always exact).
LISTED = 500


@dataclass
class IssueCheck:
    """What issuing one letter now would do, recipient by recipient."""

    ref: str
    letter: str
    title: str
    ready: list[tuple[str, str]] = field(default_factory=list)   # (recipient ref, who)
    ready_count: int = 0
    already: int = 0
    problems: list[RecipientProblem] = field(default_factory=list)
    failed: int = 0
    sense: list[SenseProblem] = field(default_factory=list)
    error: str | None = None    # nothing can be issued: a template fault, or nobody to send to

    @property
    def recipients(self) -> int:
        return self.ready_count + self.already + self.failed

    @property
    def refused(self) -> list[SenseProblem]:
        """What the sense checks refuse and no reason can override."""
        return [p for p in self.sense if not p.overridable]

    @property
    def needs_reason(self) -> bool:
        """Whether issuing needs the special circumstances written down."""
        return bool(self.sense) and not self.refused

    @property
    def can_issue(self) -> bool:
        return self.error is None and not self.refused and self.ready_count > 0

    def as_json(self) -> dict[str, Any]:
        return {"transfer": self.ref, "letter": self.letter, "title": self.title,
                "recipients": self.recipients, "ready": self.ready_count,
                "already_issued": self.already, "cannot_issue": self.failed,
                "can_issue": self.can_issue, "needs_override_reason": self.needs_reason,
                "error": self.error,
                "ready_recipients": [{"ref": r, "recipient": who} for r, who in self.ready],
                "not_ready": [p.as_json() for p in self.problems],
                "sense_checks": [p.as_json() for p in self.sense]}


def check_issue(ref: str, letter: str, *, today: date, recipients: Sequence[str] | None = None,
                reissue: bool = False, engine: Engine | None = None) -> IssueCheck:
    """Check ``letter`` of transfer ``ref`` for every recipient (or ``recipients``), as issuing
    would, and write nothing."""
    with read_session(engine) as session:
        facts = load_facts(session, ref)
        spec, templates = resolve(facts, letter)
        check = IssueCheck(ref, letter, spec.title)
        if not spec.issuable:
            check.error = f"{letter} is sent by the scheduler, not issued by hand"
            return check
        try:
            outcome = preflight(session, facts, spec, templates, today=today,
                                wanted=recipients, reissue=reissue, shown=LISTED)
        except (LetterFormatError, ValidationError) as exc:
            check.error = str(exc)
            return check
    check.ready = [(s, outcome.labels.get(s, s)) for s in outcome.to_issue[:LISTED]]
    check.ready_count = len(outcome.to_issue)
    check.already, check.failed = outcome.already, outcome.failed
    check.problems, check.sense = outcome.problems, outcome.sense
    if not check.recipients:
        check.error = nobody_receives(spec, ref, recipients)
    return check
