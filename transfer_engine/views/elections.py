"""Representatives and elections of a transfer as the CLI and the API show them.

No personal data: representatives are counted, never named; an election is its dates.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlmodel import Session, col, select

from transfer_engine.engine.elections import representation
from transfer_engine.rules.representation import election_stage
from transfer_engine.store.organisations import Organisation
from transfer_engine.store.people import Election
from transfer_engine.store.transfers import Transfer


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def election_as_json(election: Election, as_of: date) -> dict[str, Any]:
    return {"id": election.id, "stage": election_stage(election, as_of).value,
            "seats": election.seats, "term": election.term,
            "invited_on": _iso(election.invited_on),
            "nominations_close_on": _iso(election.nominations_close_on),
            "nominations_closed_on": _iso(election.nominations_closed_on),
            "candidates": election.candidates,
            "ballot_on": _iso(election.ballot_on), "result_on": _iso(election.result_on),
            "none_elected_on": _iso(election.none_elected_on)}


def representation_summary(session: Session, transfer: Transfer, as_of: date) -> dict[str, Any]:
    """For each party: the route by which its affected employees are informed on ``as_of``,
    and its elections (reg 13(3), reg 14, reg 13(11), reg 13A)."""
    parties = []
    for role, organisation_id in (("transferor", transfer.transferor_id),
                                  ("transferee", transfer.transferee_id)):
        organisation = session.get(Organisation, organisation_id)
        elections = session.exec(select(Election).where(
            Election.transfer_id == transfer.id, Election.organisation_id == organisation_id)
            .order_by(col(Election.id))).all()
        parties.append({
            "role": role, "organisation": organisation.slug if organisation else None,
            **representation(session, transfer, as_of, organisation_id).as_json(),
            "elections": [election_as_json(e, as_of) for e in elections]})
    return {"ref": transfer.ref, "as_of": as_of.isoformat(), "parties": parties}
