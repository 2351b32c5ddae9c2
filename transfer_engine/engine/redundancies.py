"""Recording the collective redundancies proposed in connection with a transfer.

TULRCA 1992 s.188: an employer proposing to dismiss as redundant 20 or more employees at one
establishment within 90 days consults the appropriate representatives at least 30 days before
the first dismissal takes effect (20 to 99) or 45 days (100 or more). The number proposed and
the establishment are facts of the transfer (``proposed_dismissals_at_least`` conditions in a
workflow read them), so recording them works out every deadline again, as moving a key date does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.engine import Engine

from transfer_engine.engine.advance import _bump, _check_version
from transfer_engine.engine.evidence import reconcile_in
from transfer_engine.engine.inputs import Line
from transfer_engine.engine.limits import NAME_MAX, NAME_MIN, PROPOSED_DISMISSALS_MAX
from transfer_engine.engine.planning import StepChange, refresh_steps
from transfer_engine.errors import FieldProblem, ValidationError
from transfer_engine.store.database import write_session
from transfer_engine.store.queries import audit, definition_of, get_transfer
from transfer_engine.validation import parse

__all__ = ["RedundancyProposal", "record_redundancy_proposal"]


class _Proposal(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    proposed_dismissals: Annotated[int, Field(ge=0, le=PROPOSED_DISMISSALS_MAX)]
    establishment: Annotated[Line, Field(min_length=NAME_MIN, max_length=NAME_MAX)]


@dataclass(frozen=True)
class RedundancyProposal:
    ref: str
    proposed_dismissals: int
    establishment: str
    moved: list[StepChange]


def record_redundancy_proposal(ref: str, proposed_dismissals: int, establishment: str, *,
                               actor: str, expected_version: int | None = None,
                               engine: Engine | None = None) -> RedundancyProposal:
    """Record how many dismissals as redundant are proposed at which establishment, and work
    out every deadline again (the s.188 period depends on the number)."""
    proposal = parse(_Proposal, {"proposed_dismissals": proposed_dismissals,
                                 "establishment": establishment})
    with write_session(engine) as session:
        transfer = get_transfer(session, ref, lock=True)
        _check_version(transfer, expected_version)
        old = (transfer.proposed_dismissals, transfer.establishment)
        if old == (proposal.proposed_dismissals, proposal.establishment):
            raise ValidationError(field_problems=[FieldProblem(
                "proposed_dismissals", f"{ref} already records {proposal.proposed_dismissals} "
                f"proposed at {proposal.establishment}", "proposed dismissals", "unchanged")])
        transfer.proposed_dismissals = proposal.proposed_dismissals
        transfer.establishment = proposal.establishment
        session.add(transfer)
        session.flush()
        moved = refresh_steps(session, transfer, definition_of(transfer))
        _bump(session, transfer, transfer.version)
        audit(session, transfer, actor, "redundancy-proposal", from_state=transfer.state,
              to_state=transfer.state, data={
                  "proposed_dismissals": [old[0], proposal.proposed_dismissals],
                  "establishment": [old[1], proposal.establishment],
                  "moved": {c.step_id: [c.old_due.isoformat() if c.old_due else None,
                                        c.new_due.isoformat() if c.new_due else None]
                            for c in moved}})
        # Which steps apply follows the number proposed (s.188, s.193): their evidence is
        # judged again, as the plan now stands.
        reconcile_in(session, transfer.id, actor=actor)
        return RedundancyProposal(ref, proposal.proposed_dismissals, proposal.establishment,
                                  moved)
