"""How much a person must, and may, write: the limits the engine checks and every front end shows.

The CLI's option help, the web forms' hints and the API read these numbers, so that what a
person is told is what the engine enforces. A reason kept in the audit log must say something
(an override needs the special circumstances, not "late"); no text is unbounded, since each is
stored and shown again in the history.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from transfer_engine.engine.plain_text import plain_text
from transfer_engine.errors import FieldProblem


@dataclass(frozen=True)
class TextLimit:
    """The shortest and the longest text a field takes, counted without surrounding spaces."""

    field: str
    label: str
    min_length: int
    max_length: int
    why: str = ""   # what the text is for, said when it is too short

    def problem(self, value: str | None) -> FieldProblem | None:
        """What is wrong with ``value`` for this field, or None if it will do."""
        text = (value or "").strip()
        if len(text) < self.min_length:
            if self.min_length <= 1:
                return FieldProblem(self.field, "is required", self.label, "required")
            why = f": {self.why}" if self.why else ""
            return FieldProblem(self.field, f"must be at least {self.min_length} characters{why}",
                                self.label, "too_short", self.min_length)
        if len(text) > self.max_length:
            return FieldProblem(self.field, f"must be at most {self.max_length} characters",
                                self.label, "too_long", self.max_length)
        try:
            plain_text(text, multiline=True)  # no control or direction-override characters
        except ValueError as exc:
            return FieldProblem(self.field, str(exc), self.label, "invalid")
        return None


#: Longest free text (notes, evidence, reasons): a page of A4, which the history shows whole.
FREE_TEXT_MAX = 4000

OVERRIDE_REASON = TextLimit(
    "override_reason", "override reason", 10, FREE_TEXT_MAX,
    "say what the special circumstances are; it is kept in the audit log")
NOTE = TextLimit("note", "note", 0, FREE_TEXT_MAX)
EVIDENCE = TextLimit(
    "evidence", "evidence", 5, FREE_TEXT_MAX,
    "say what shows the step was done (a letter reference, minutes, an email)")
ELI_LATE_REASON = TextLimit(
    "reason", "reason the ELI is late", 10, FREE_TEXT_MAX,
    "say what special circumstances made giving the employee liability information 28 days "
    "before the transfer not reasonably practicable (TUPE reg 11(6)); the ELI letters print it")
RESCHEDULE_REASON = TextLimit(
    "reason", "reason", 5, FREE_TEXT_MAX,
    "say why the date moved; it is kept in the audit log")

#: Transfers (see engine.inputs.TransferCreate).
TITLE_MIN, TITLE_MAX = 3, 200
REGIME_REASON_MIN = 10
NAME_MIN, NAME_MAX = 2, 200
#: Dismissals proposed at one establishment (TULRCA s.188): a count, not a typing slip.
PROPOSED_DISMISSALS_MAX = 1_000_000
#: A transfer's key dates: wide enough for any real transfer (and its claims window), narrow
#: enough that every deadline counted from them is a real date.
KEY_DATE_EARLIEST, KEY_DATE_LATEST = date(1990, 1, 1), date(2199, 12, 31)


def key_dates_out_of_order(dates: Mapping[str, date]) -> str | None:
    """What is wrong with the order of a transfer's key dates, if anything: the decision to
    transfer is taken on or before the transfer itself (every step counted back from the
    transfer follows the decision; a decision after it would put its deadlines after go-live)."""
    decision, transfer = dates.get("decision"), dates.get("transfer")
    if decision is not None and transfer is not None and decision > transfer:
        return (f"the decision date ({decision.isoformat()}) is after the transfer date "
                f"({transfer.isoformat()}); the decision to transfer comes first: check both "
                "dates")
    return None


def key_date_out_of_range(value: date) -> str | None:
    """What is wrong with ``value`` as a key date, if it is outside the dates a transfer uses."""
    if KEY_DATE_EARLIEST <= value <= KEY_DATE_LATEST:
        return None
    return (f"{value.isoformat()} is not a plausible date for a transfer: it must be between "
            f"{KEY_DATE_EARLIEST.isoformat()} and {KEY_DATE_LATEST.isoformat()}; check the "
            "year")


def text_problems(*checks: tuple[TextLimit, str | None]) -> list[FieldProblem]:
    """Every field of ``(limit, value)`` pairs that breaks its limit."""
    found = (limit.problem(value) for limit, value in checks)
    return [p for p in found if p is not None]
