"""Who employs a school's staff, and so whether a move "into school employment" is a transfer.

At community and voluntary-controlled schools the maintaining council is the employer; at
foundation and voluntary-aided schools the governing body; at academies the academy trust
(School Staffing (England) Regulations 2009; Academies Act 2010). A move changes the employer, and
is a relevant transfer, only where the new employer differs from the old one.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from transfer_engine.domain import OrganisationKind, Regime, SchoolType
from transfer_engine.errors import FieldProblem, ValidationError
from transfer_engine.store.organisations import Organisation

COUNCIL_EMPLOYS = {SchoolType.community, SchoolType.voluntary_controlled}


@dataclass(frozen=True)
class EmployerChange:
    """The regime that follows from a school's type, and why, in words HR can check."""

    regime: Regime
    reason: str
    # The organisation the transfer records as receiving the staff: the employer they move to
    # (another council that maintains the school, or the governing body or academy trust, as
    # the school), or the school itself where the employer does not change.
    transferee: Organisation


def employer_change(
    transferor: Organisation, school: Organisation, maintaining: Organisation | None
) -> EmployerChange:
    """Decide the regime for moving staff from ``transferor`` into ``school``'s employment."""
    kind = school.school_type
    if kind is None:
        raise ValueError(f"{school.name} has no school type; record it before deciding the regime")
    if kind in COUNCIL_EMPLOYS:
        if maintaining is None:
            raise ValueError(
                f"{school.name} is a {kind.value} school: record its maintaining council"
            )
        if maintaining.id == transferor.id:
            return EmployerChange(
                Regime.not_a_transfer,
                f"{school.name} is a {kind.value} school maintained by {maintaining.name}, which "
                "already employs the staff: the employer does not change.",
                school,
            )
        return EmployerChange(
            Regime.cosop,
            f"{school.name} is a {kind.value} school maintained by {maintaining.name}: the staff "
            f"move from {transferor.name} to another council, an administrative transfer between "
            "public authorities (TUPE reg 3(5)) treated under COSOP.",
            maintaining,
        )
    employer = "the academy trust" if kind == SchoolType.academy else "the governing body"
    return EmployerChange(
        Regime.tupe,
        f"{school.name} is {_article(kind.value)} {kind.value} school: {employer} becomes the "
        "employer, a relevant transfer under TUPE reg 3(1)(a).",
        school,
    )


def _article(word: str) -> str:
    return "an" if word[0] in "aeiou" else "a"


def school_regime(session: Session, transferor: Organisation,
                  receiving: Organisation) -> EmployerChange | None:
    """The regime a move into ``receiving`` has by its school type, or None when it is not a
    school with a type recorded (then whoever creates the transfer states the regime)."""
    if receiving.kind != OrganisationKind.school or receiving.school_type is None:
        return None
    maintaining = (session.get(Organisation, receiving.maintaining_authority_id)
                   if receiving.maintaining_authority_id is not None else None)
    if receiving.school_type in COUNCIL_EMPLOYS and maintaining is None:
        raise ValidationError(field_problems=[FieldProblem(
            "transferee", f"{receiving.name} is a {receiving.school_type.value} school, whose "
            "staff are employed by the council that maintains it, and none is recorded: record "
            "the school again with its maintaining council so that the regime can be decided",
            "receiving school", "invalid")])
    return employer_change(transferor, receiving, maintaining)


def regime_warning(change: EmployerChange, regime: Regime, reason: str) -> str:
    """What a transfer shows when its regime departs from what the school's type decides."""
    return (f"The school's type makes this {change.regime.value}, not {regime.value}: "
            f"{change.reason} Recorded as {regime.value} for the reason given: {reason}")
