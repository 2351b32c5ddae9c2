"""Who may be recorded as a representative in a transfer: a party's, and each person once.

Reg 13(2)-(3) is a duty of each employer to the appropriate representatives of *its own*
affected employees: the transferor informs (and consults) the transferor's, the transferee its
own. A representative recorded for an organisation that is neither would be owed letters that
neither employer sends, so the reg 13 step could never be completed. A programme's schools are
parties to their own transfers (the programme's children), not to the programme; and at a
community or voluntary-controlled school the employer is the council that maintains it, which
a school's transfer records as the transferee when it is another council
(:mod:`transfer_engine.rules.schools`). A refusal says where such employees are dealt with.

A person recorded twice for one employer would be sent every notice twice, and could not be
named in a particulars file; the same name with the same union (in Unicode NFC, whatever the
case and spacing), or the same email address, for the same employer is the same
representative. Adding a representative (``add-representative``, the web form) and recording
an election's result (the web form, the API) both go through here.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, col, select

from transfer_engine.dates.clock import uk_date
from transfer_engine.errors import FieldProblem, ValidationError
from transfer_engine.rules.schools import COUNCIL_EMPLOYS
from transfer_engine.store.organisations import Organisation
from transfer_engine.store.people import Representative
from transfer_engine.store.transfers import AuditEntry, Transfer

__all__ = ["ELECTION_DUTY", "REPRESENTATIVE_DUTY", "Candidate", "duplicate_problems",
           "organisation_words", "parties", "require_party"]

#: Whose duty it is, and what to do instead, said when an organisation is not a party.
REPRESENTATIVE_DUTY = ("each employer informs and consults the representatives of its own "
                       "affected employees (reg 13(2)-(3)), so record a representative of the "
                       "employees of")
ELECTION_DUTY = ("elections are arranged by each employer for its own affected employees "
                 "(reg 14), so arrange one for the employees of")

#: The audit entries that record representatives: added one at a time, or elected together.
_RECORDED_BY = ("representative-added", "election-result")


def organisation_words(organisation: Organisation) -> str:
    """``North Northamptonshire Council (nnc)``: the name people know, the slug they type."""
    return f"{organisation.name} ({organisation.slug})"


def parties(session: Session, transfer: Transfer) -> list[tuple[str, Organisation]]:
    """The transfer's employers with their role: the transferor, then the transferee (a
    programme's own record names the same organisation as both)."""
    found: list[tuple[str, Organisation]] = []
    for role, organisation_id in (("transferor", transfer.transferor_id),
                                  ("transferee", transfer.transferee_id)):
        organisation = session.get(Organisation, organisation_id)
        if organisation is not None:
            found.append((role, organisation))
    return found


def _choices(found: Sequence[tuple[str, Organisation]]) -> str:
    if len(found) == 2 and found[0][1].id == found[1][1].id:
        return f"{organisation_words(found[0][1])}, the transferor and the transferee"
    return ", or ".join(f"the {role}, {organisation_words(o)}" for role, o in found)


def _elsewhere(session: Session, transfer: Transfer, organisation: Organisation,
               found: Sequence[tuple[str, Organisation]]) -> str:
    """Where ``organisation``'s employees are dealt with instead, as far as the records say:
    by the council that employs a school's staff, or in one of a programme's transfers."""
    by_id = {o.id: o for _, o in found}
    employer, said = organisation, ""
    if (organisation.school_type in COUNCIL_EMPLOYS
            and organisation.maintaining_authority_id is not None):
        council = session.get(Organisation, organisation.maintaining_authority_id)
        if council is not None:
            employer = council
            said = (f". {organisation.name} is a {organisation.school_type.value} school: its "
                    "staff are employed by the council that maintains it, "
                    f"{organisation_words(council)}")
            if council.id in by_id:
                return f"{said}, so record a representative of its staff for {council.slug}"
    children = session.exec(select(Transfer.ref).where(
        Transfer.parent_id == transfer.id,
        (col(Transfer.transferor_id) == employer.id)
        | (col(Transfer.transferee_id) == employer.id)).order_by(col(Transfer.ref))).all()
    if children:
        where = (f"this programme's transfer{'s' if len(children) > 1 else ''} "
                 f"{', '.join(children)}: record them there")
        return (f"{said}, whose staff are in {where}" if said
                else f". {employer.slug}'s staff are in {where}")
    return said


def require_party(session: Session, transfer: Transfer, organisation: Organisation, *,
                  duty: str) -> None:
    """Refuse ``organisation`` unless it is the transferor or the transferee of ``transfer``.

    ``duty`` says whose duty it is and what to do instead, read before the parties: "each
    employer informs ... (reg 13(2)-(3)), so record a representative of the employees of".
    """
    found = parties(session, transfer)
    if organisation.id in {o.id for _, o in found}:
        return
    raise ValidationError(field_problems=[FieldProblem(
        "organisation", f"names {organisation_words(organisation)}, which is not a party to "
        f"{transfer.ref}: {duty} {_choices(found)}"
        f"{_elsewhere(session, transfer, organisation, found)}. Nothing was recorded",
        "organisation", "not_a_party")])


@dataclass(frozen=True)
class Candidate:
    """A person about to be recorded as a representative, and the fields that name them in
    the input (``name``, or ``elected[0].name`` for the first person of a result)."""

    name: str
    union: str | None
    email: str
    name_field: str = "name"
    email_field: str = "email"
    label: str = ""      # how the input names the person ("person 1 elected"), if it does


def _same_text(text: str | None) -> str:
    """Text as compared for "the same": NFC, case folded, spaces collapsed."""
    return " ".join(unicodedata.normalize("NFC", text or "").split()).casefold()


def _recorded_on(session: Session, transfer: Transfer) -> dict[int, date]:
    """The day (UK time) each representative of the transfer was recorded, from the audit."""
    days: dict[int, date] = {}
    for entry in session.exec(select(AuditEntry).where(
            AuditEntry.transfer_id == transfer.id,
            col(AuditEntry.action).in_(_RECORDED_BY)).order_by(col(AuditEntry.id))).all():
        ids = entry.data.get("representative_ids") or [entry.data.get("representative_id")]
        for rep_id in ids:
            if isinstance(rep_id, int):
                days.setdefault(rep_id, uk_date(entry.at))
    return days


def _who(rep: Representative) -> str:
    return f"{rep.name} ({rep.union})" if rep.union else rep.name


def duplicate_problems(session: Session, transfer: Transfer, organisation: Organisation,
                       candidates: Sequence[Candidate]) -> list[FieldProblem]:
    """Each candidate already recorded for ``organisation``'s employees in ``transfer`` (the
    same name and union, or the same email address), or given twice in ``candidates``."""
    assert transfer.id is not None and organisation.id is not None
    recorded = list(session.exec(select(Representative).where(
        Representative.transfer_id == transfer.id,
        Representative.organisation_id == organisation.id).order_by(
            col(Representative.id))).all())
    days = _recorded_on(session, transfer) if recorded else {}
    whose = f"{organisation_words(organisation)}'s employees in {transfer.ref}"
    problems: list[FieldProblem] = []
    seen: list[Candidate] = []
    for person in candidates:
        key = (_same_text(person.name), _same_text(person.union))
        email = _same_text(person.email)
        by_name = next((r for r in recorded
                        if (_same_text(r.name), _same_text(r.union)) == key), None)
        by_email = next((r for r in recorded if _same_text(r.email) == email), None)
        if by_name is not None:
            problems.append(FieldProblem(
                person.name_field,
                f"is already recorded: {_who(by_name)} has been recorded as a representative "
                f"of {whose}{_since(days, by_name)}, and is sent each notice once. Nothing was "
                "recorded; if this is someone else of the same name, give a name that tells "
                "the two apart (for example with a middle name or initial)",
                _label(person, "name"), "taken"))
        if by_email is not None and by_email is not by_name:
            problems.append(FieldProblem(
                person.email_field,
                f"is already recorded: it is the address of {_who(by_email)}, recorded as a "
                f"representative of {whose}{_since(days, by_email)}. Nothing was recorded; "
                "each representative is recorded once, with their own address",
                _label(person, "email address"), "taken"))
        if by_name is not None or by_email is not None:
            continue
        earlier = next((c for c in seen if (_same_text(c.name), _same_text(c.union)) == key
                        or _same_text(c.email) == email), None)
        if earlier is not None:
            field = (person.name_field if (_same_text(earlier.name),
                                           _same_text(earlier.union)) == key
                     else person.email_field)
            problems.append(FieldProblem(
                field, f"is given twice: {person.name} is the same person as "
                f"{earlier.label or earlier.name}; give each person once. Nothing was recorded",
                _label(person, "name" if field == person.name_field else "email address"),
                "taken"))
            continue
        seen.append(person)
    return problems


def _since(days: dict[int, date], rep: Representative) -> str:
    day = days.get(rep.id) if rep.id is not None else None
    return f" since {day.isoformat()}" if day else ""


def _label(person: Candidate, what: str) -> str:
    return f"{what} of {person.label}" if person.label else ""
