"""Who employs a school's staff, and so whether a move "into school employment" is a transfer.

At community and voluntary-controlled schools the maintaining council is the employer; at
foundation and voluntary-aided schools the governing body; at academies the academy trust
(School Staffing (England) Regulations 2009; Academies Act 2010). A move changes the employer, and
is a relevant transfer, only where the new employer differs from the old one.
"""

from __future__ import annotations

from dataclasses import dataclass

from transfer_engine.domain import Regime, SchoolType
from transfer_engine.store.organisations import Organisation

COUNCIL_EMPLOYS = {SchoolType.community, SchoolType.voluntary_controlled}


@dataclass(frozen=True)
class EmployerChange:
    """The regime that follows from a school's type, and why, in words HR can check."""

    regime: Regime
    reason: str


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
            )
        return EmployerChange(
            Regime.cosop,
            f"{school.name} is a {kind.value} school maintained by {maintaining.name}: the staff "
            f"move from {transferor.name} to another council, an administrative transfer between "
            "public authorities (TUPE reg 3(5)) treated under COSOP.",
        )
    employer = "the academy trust" if kind == SchoolType.academy else "the governing body"
    return EmployerChange(
        Regime.tupe,
        f"{school.name} is a {kind.value} school: {employer} becomes the employer, a relevant "
        "transfer under TUPE reg 3(1)(a).",
    )
