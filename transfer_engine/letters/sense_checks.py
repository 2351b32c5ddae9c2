"""Before a letter is issued: does it make sense to send it, to these people, on this date?

A letter can have every field recorded and still be wrong. Measured on the seed transfers: the
programme ``acsws-to-schools`` (whose parties are placeholders, North Northamptonshire Council
to itself, with no staff) issued an ELI cover letter and a measures request from the council to
itself about "0 employees"; and the reg 13 information for a transfer on 1 November 2022,
issued without a date, went out dated 30 November 2026 and proposed a meeting on 22 September
2022. Each such letter is refused here, with what is wrong as data (:class:`SenseProblem`), for
every path that issues a letter (:func:`~transfer_engine.letters.preflight.preflight` runs the
checks; the CLI, the web app, the API and the scheduler all go through it).

Most refusals can be overridden with a written reason (the special circumstances, as for a guard:
:data:`~transfer_engine.engine.limits.OVERRIDE_REASON`), which is kept in the audit log with the
problems it overrode. Two cannot, because the letter could not be right whatever the reason: a
letter on a programme (its letters go on each of its transfers) and a letter for another legal
regime (correct the regime if it was recorded wrongly).

The lateness of the employee liability information (reg 11(6)) is judged elsewhere, with the
reason the ELI itself must give; the ELI letters are therefore not given a ``stage`` here.

An employee's letter may also tell them their continuous service, hours and place of work,
from the letter's particulars; the ELI gives the transferee the same facts from the staff list
(reg 11(2)). Where both record one and they differ, the letter is refused until one is put
right: the employee must be told what the transferee is told (:func:`recipient_problems`).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlmodel import Session, col, select

from transfer_engine.engine.limits import OVERRIDE_REASON
from transfer_engine.errors import Action, NextStep, ValidationError
from transfer_engine.letters.catalogue import LetterSpec
from transfer_engine.letters.context import Recipient, TransferFacts
from transfer_engine.letters.data import to_context
from transfer_engine.letters.templates import long_date
from transfer_engine.store.transfers import Transfer

__all__ = ["SenseCheck", "SenseCheckError", "SenseProblem", "judge", "recipient_problems",
           "transfer_problems"]

#: How many of a programme's transfers a refusal names.
_NAMED_CHILDREN = 3


class SenseCheck(enum.StrEnum):
    """What a refused letter got wrong."""

    programme = "programme"                  # the transfer is a programme of transfers
    same_organisation = "same-organisation"  # sender and recipient are one organisation
    wrong_regime = "wrong-regime"            # the letter is for another legal regime
    not_a_party = "not-a-party"              # the recipient belongs to neither party
    no_employees = "no-employees"            # it would give a count of 0 employees
    dated_after_transfer = "dated-after-transfer"    # about a proposed transfer, dated too late
    dated_before_transfer = "dated-before-transfer"  # says it happened, dated before it did
    meeting_passed = "meeting-passed"        # proposes a meeting before the letter's own date
    not_as_eli = "not-as-eli"                # tells an employee other facts than the ELI gives


#: Refusals that no reason can override: the letter cannot be right as addressed.
_FIXED = frozenset({SenseCheck.programme, SenseCheck.wrong_regime})


@dataclass(frozen=True)
class SenseProblem:
    """One reason a letter does not make sense: which check, what it found, and its dates."""

    check: SenseCheck
    message: str                       # in words that name no command or page
    recipient: str = ""                # the recipient it concerns, when not all of them
    letter_date: date | None = None
    transfer_date: date | None = None
    meeting_date: date | None = None
    children: tuple[str, ...] = ()     # a programme's transfers (programme)

    @property
    def overridable(self) -> bool:
        return self.check not in _FIXED

    def __str__(self) -> str:
        return f"{self.recipient}: {self.message}" if self.recipient else self.message

    def as_json(self) -> dict[str, Any]:
        return {"check": self.check.value, "message": self.message,
                "recipient": self.recipient or None, "overridable": self.overridable,
                "letter_date": self.letter_date.isoformat() if self.letter_date else None,
                "transfer_date": self.transfer_date.isoformat() if self.transfer_date else None,
                "meeting_date": self.meeting_date.isoformat() if self.meeting_date else None,
                "children": list(self.children)}


class SenseCheckError(ValidationError):
    """A letter was not issued because it does not make sense as it stands; nothing was written.

    ``overridable``: every problem may be overridden with a written reason (``override_reason``).
    """

    def __init__(self, letter: str, ref: str, problems: Sequence[SenseProblem]) -> None:
        self.letter = letter
        self.ref = ref
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(
            f"letter {letter!r} for {ref} was not issued; nothing was written:\n{lines}",
            next_step=NextStep(Action.override_letter_checks, ref=ref, letter=letter)
            if self.overridable else None)

    @property
    def overridable(self) -> bool:
        return bool(self.problems) and all(p.overridable for p in self.problems)


def _children(session: Session, transfer_id: int) -> list[str]:
    return list(session.exec(select(Transfer.ref).where(Transfer.parent_id == transfer_id)
                             .order_by(col(Transfer.ref))).all())


def _meeting_date(facts: TransferFacts) -> date | None:
    value = to_context({"d": facts.transfer_data.get("meeting_date")}).get("d")
    return value if isinstance(value, date) else None


def transfer_problems(session: Session, facts: TransferFacts, spec: LetterSpec,
                      letter_date: date) -> list[SenseProblem]:
    """What is wrong with issuing ``spec`` on this transfer dated ``letter_date``, whoever the
    recipient. A problem that no reason overrides comes first, and alone: the others would only
    add noise to a letter that cannot be sent."""
    transfer, ref = facts.transfer, facts.transfer.ref
    children = _children(session, facts.id)
    if children:
        shown = ", ".join(children[:_NAMED_CHILDREN]) + (
            ", ..." if len(children) > _NAMED_CHILDREN else "")
        return [SenseProblem(
            SenseCheck.programme,
            f"{ref} is a programme of {len(children)} transfers, not a transfer itself: it has "
            f"no staff of its own and its parties stand for all of its transfers; issue "
            f"{spec.name} on each of its transfers instead ({shown})",
            children=tuple(children))]
    if transfer.regime.value not in spec.regimes:
        return [SenseProblem(
            SenseCheck.wrong_regime,
            f"{ref} is recorded as {transfer.regime.value} "
            f"({' '.join(transfer.regime_reason.split())}); {spec.name} is only for "
            f"{' or '.join(spec.regimes)} transfers. If the regime was recorded wrongly, correct "
            "it first")]
    problems: list[SenseProblem] = []
    transferor, transferee = facts.transferor, facts.transferee
    if transferor.id == transferee.id:
        to_itself = spec.recipients in ("transferee", "eli")
        problems.append(SenseProblem(
            SenseCheck.same_organisation,
            f"the sender and the recipient are the same organisation: {ref} is recorded as a "
            f"transfer from {transferor.name} to itself, so {spec.name} would go from "
            f"{transferor.name} to {transferor.name}" if to_itself else
            f"{ref} is recorded as a transfer from {transferor.name} to itself: no employer "
            f"changes, so {spec.name} has nothing to tell its recipients"))
    if "transfer.employee_count" in spec.fields and not facts.transfer_data.get("employee_count"):
        problems.append(SenseProblem(
            SenseCheck.no_employees,
            f"it gives the number of employees transferring, and {ref} has none recorded (in "
            "scope and not objecting): it would say 0 employees. Record the staff list first"))
    transfer_date = facts.key_dates.get("transfer")
    if transfer_date is not None and spec.stage == "proposed" and letter_date >= transfer_date:
        problems.append(SenseProblem(
            SenseCheck.dated_after_transfer,
            f"it is about a proposed transfer, but it would be dated {long_date(letter_date)}, "
            f"on or after the transfer date ({long_date(transfer_date)}). If it should carry the "
            "date it was due to be sent, issue it as of that date",
            letter_date=letter_date, transfer_date=transfer_date))
    if transfer_date is not None and spec.stage == "transferred" and letter_date < transfer_date:
        problems.append(SenseProblem(
            SenseCheck.dated_before_transfer,
            f"it says the transfer has happened, but it would be dated {long_date(letter_date)}, "
            f"before the transfer date ({long_date(transfer_date)})",
            letter_date=letter_date, transfer_date=transfer_date))
    meeting = _meeting_date(facts)
    if meeting is not None and "transfer.meeting_date" in spec.fields and meeting < letter_date:
        problems.append(SenseProblem(
            SenseCheck.meeting_passed,
            f"it proposes a meeting on {long_date(meeting)}, before the letter's own date "
            f"({long_date(letter_date)}). Record the new meeting date first",
            letter_date=letter_date, meeting_date=meeting))
    return problems


#: What an employee's letter says of them that the ELI also gives the transferee: the letter's
#: field, the staff list's column (the ELI's source), and how it is named.
_AS_IN_THE_ELI = (("service_start", "continuous_start", "continuous service from"),
                  ("hours", "weekly_hours", "weekly hours"),
                  ("workplace", "place_of_work", "place of work"))


def _same(stated: Any, recorded: Any) -> bool:
    if isinstance(recorded, date):
        return stated == recorded
    if isinstance(recorded, Decimal):
        try:
            return Decimal(str(stated)) == recorded
        except InvalidOperation:
            return False
    return " ".join(str(stated).split()).casefold() == " ".join(str(recorded).split()).casefold()


def _shown(value: Any) -> str:
    if isinstance(value, date):
        return long_date(value)
    if isinstance(value, Decimal):
        return f"{value.normalize():f}"
    return f"“{value}”"


def _not_as_eli(recipient: Recipient, data: Mapping[str, Any]) -> list[SenseProblem]:
    # Letters to the employee themselves (an ELI schedule, to the transferee, prints the staff
    # list's values and no others).
    employee = recipient.employee if recipient.audience == "employee" else None
    stated = to_context(data).get("employee") if employee is not None else None
    if employee is None or stated is None:
        return []
    problems = []
    for field, column, words in _AS_IN_THE_ELI:
        said, recorded = getattr(stated, field, None), getattr(employee, column)
        if said in (None, "") or recorded in (None, "") or _same(said, recorded):
            continue
        problems.append(SenseProblem(
            SenseCheck.not_as_eli,
            f"the letter gives {words} {_shown(said)}, but the staff list, from which the "
            f"employee liability information goes to the transferee (reg 11(2)), records "
            f"{_shown(recorded)}: correct whichever is wrong, so that the employee is told what "
            "the transferee is told", recipient=recipient.label))
    return problems


def recipient_problems(facts: TransferFacts, recipient: Recipient,
                       data: Mapping[str, Any] | None = None) -> list[SenseProblem]:
    """What is wrong with sending this transfer's letter to ``recipient`` in particular (with
    ``data``, the letter's own data: whether it tells an employee what the ELI says)."""
    if data is not None:
        mismatched = _not_as_eli(recipient, data)
        if mismatched:
            return mismatched
    rep = recipient.representative
    parties = {facts.transferor.id, facts.transferee.id}
    if rep is not None and rep.organisation_id not in parties:
        employer = facts.organisations.get(rep.organisation_id)
        name = employer.name if employer is not None else "another organisation"
        return [SenseProblem(
            SenseCheck.not_a_party,
            f"represents staff of {name}, which is neither the transferor "
            f"({facts.transferor.name}) nor the transferee ({facts.transferee.name}) of "
            f"{facts.transfer.ref}", recipient=recipient.label)]
    return []


def judge(letter: str, ref: str, problems: Sequence[SenseProblem],
          override_reason: str | None) -> list[SenseProblem]:
    """Refuse the letter if anything is wrong and no valid override covers it; otherwise the
    problems overridden (to keep in the audit log with the reason).

    An override reason is checked (:data:`OVERRIDE_REASON`) only when there is something to
    override: a reason given for a letter with no problem is not needed, and not recorded.
    """
    if not problems:
        return []
    error = SenseCheckError(letter, ref, problems)
    if override_reason is None or not override_reason.strip() or not error.overridable:
        raise error
    problem = OVERRIDE_REASON.problem(override_reason)
    if problem is not None:
        raise ValidationError(field_problems=[problem])
    return list(problems)
