"""Whether an employer's affected employees have appropriate representatives, and by which route.

Reg 13(3): the appropriate representatives are a recognised independent trade union (a);
otherwise, at the employer's choice, employee representatives elected or appointed earlier with
authority to be informed and consulted about the transfer (b)(i), or representatives elected
under reg 14 (b)(ii). Without any of them the employees are informed directly: under reg 13A
where it is available (no representatives, no election invited, the thresholds in force on the
transfer date met), or under reg 13(11) where they were invited to elect and failed to within a
reasonable time.

The decision reads what is recorded; whether reg 13A is available comes from the workflow's
rules, which the engine works out (:func:`transfer_engine.engine.elections.representation`).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from transfer_engine.domain import RepresentativeKind
from transfer_engine.store.people import Election, Representative


class Route(enum.StrEnum):
    """How the information of reg 13(2) reaches the affected employees."""

    recognised_union = "recognised-union"   # reg 13(3)(a)
    existing = "existing-representatives"   # reg 13(3)(b)(i)
    elected = "elected-representatives"     # reg 13(3)(b)(ii), reg 14
    reg13_11 = "each-employee-reg-13-11"    # invited to elect, none elected
    reg13a = "each-employee-reg-13a"        # no representatives, no election invited


LEGAL_BASIS = {
    Route.recognised_union: "TUPE reg 13(3)(a)",
    Route.existing: "TUPE reg 13(3)(b)(i)",
    Route.elected: "TUPE reg 13(3)(b)(ii), reg 14",
    Route.reg13_11: "TUPE reg 13(11)",
    Route.reg13a: "TUPE reg 13A",
}


class ElectionStage(enum.StrEnum):
    """Where an employer's latest reg 14 election stands on a date."""

    none = "none"                 # never invited
    invited = "invited"           # invitation given; nominations open
    nominations_closed = "nominations-closed"
    balloted = "balloted"
    elected = "elected"           # result declared, representatives elected
    none_elected = "none-elected"  # failed to elect within a reasonable time (reg 13(11))


def election_stage(election: Election | None, as_of: date) -> ElectionStage:
    """The stage ``election`` had reached on ``as_of`` (each stage counts from its date)."""
    if election is None or election.invited_on > as_of:
        return ElectionStage.none
    if election.none_elected_on is not None and election.none_elected_on <= as_of:
        return ElectionStage.none_elected
    if election.result_on is not None and election.result_on <= as_of:
        return ElectionStage.elected
    if election.ballot_on is not None and election.ballot_on <= as_of:
        return ElectionStage.balloted
    if election.nominations_closed_on is not None and election.nominations_closed_on <= as_of:
        return ElectionStage.nominations_closed
    return ElectionStage.invited


@dataclass(frozen=True)
class Representation:
    """Who represents an employer's affected employees on a date, or why nobody does yet."""

    route: Route | None
    explanation: str
    recognised_unions: int = 0
    existing: int = 0
    elected: int = 0
    election: ElectionStage = ElectionStage.none

    @property
    def in_place(self) -> bool:
        """Informing can go ahead: to representatives, or to each employee directly."""
        return self.route is not None

    @property
    def to_each_employee(self) -> bool:
        """The reg 13(2) information goes to each affected employee (reg 13A or 13(11))."""
        return self.route in (Route.reg13a, Route.reg13_11)

    @property
    def legal_basis(self) -> str:
        return LEGAL_BASIS[self.route] if self.route else "TUPE reg 13(3), reg 14"

    def as_json(self) -> dict[str, Any]:
        return {"route": self.route.value if self.route else None,
                "in_place": self.in_place, "to_each_employee": self.to_each_employee,
                "legal_basis": self.legal_basis, "explanation": self.explanation,
                "recognised_unions": self.recognised_unions, "existing": self.existing,
                "elected": self.elected, "election": self.election.value}


def latest_election(session: Session, transfer_id: int, organisation_id: int) -> Election | None:
    """The employer's latest election in this transfer (a new invitation after a failed one is
    the one that counts)."""
    return session.exec(select(Election).where(Election.transfer_id == transfer_id,
                                               Election.organisation_id == organisation_id)
                        .order_by(col(Election.id).desc())).first()


def representation_of(session: Session, transfer_id: int, organisation_id: int, as_of: date, *,
                      reg13a_available: bool) -> Representation:
    """The route by which ``organisation_id``'s affected employees are informed on ``as_of``.

    ``reg13a_available``: whether the workflow's reg 13A rule (its thresholds on the transfer
    date) holds for this transfer; it is taken only where nobody represents the employees and
    no election was invited.
    """
    def count(kind: RepresentativeKind, *extra: Any) -> int:
        return session.exec(select(func.count()).select_from(Representative).where(
            Representative.transfer_id == transfer_id,
            Representative.organisation_id == organisation_id,
            Representative.kind == kind, *extra)).one()

    unions = count(RepresentativeKind.recognised_union)
    existing = count(RepresentativeKind.existing)
    # Only those elected at a recorded election whose result had been declared by the date.
    elected = count(RepresentativeKind.elected, col(Representative.elected_on).is_not(None),
                    col(Representative.elected_on) <= as_of)
    stage = election_stage(latest_election(session, transfer_id, organisation_id), as_of)

    def made(route: Route | None, explanation: str) -> Representation:
        return Representation(route, explanation, recognised_unions=unions, existing=existing,
                              elected=elected, election=stage)

    if unions:
        return made(Route.recognised_union,
                    f"{unions} recognised trade union representative(s) recorded")
    if existing:
        return made(Route.existing, f"{existing} existing representative(s) with authority to "
                                    "be informed and consulted recorded")
    if elected:
        return made(Route.elected, f"{elected} representative(s) elected under reg 14 recorded")
    if stage == ElectionStage.none_elected:
        return made(Route.reg13_11, "the employees were invited to elect representatives and "
                                    "none were elected: give the reg 13(2) information to each "
                                    "affected employee")
    if stage != ElectionStage.none:
        return made(None, f"an election of representatives is under way ({stage}): record its "
                          "result, or that none were elected")
    if reg13a_available:
        return made(Route.reg13a, "no representatives and no election invited, and the reg 13A "
                                  "thresholds are met: each affected employee may be informed "
                                  "and consulted directly")
    return made(None, "no recognised union or other representatives recorded: record them, or "
                      "invite the affected employees to elect representatives (reg 14)")
