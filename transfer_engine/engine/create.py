"""Creating a transfer: its row, key dates and planned steps, in one transaction."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, select

from transfer_engine.domain import Regime
from transfer_engine.engine.inputs import TransferCreate
from transfer_engine.engine.planning import refresh_steps
from transfer_engine.errors import (
    FieldProblem,
    ValidationError,
)
from transfer_engine.rules.schools import regime_warning, school_regime
from transfer_engine.store.definitions import record_definition
from transfer_engine.store.organisations import Organisation
from transfer_engine.store.queries import audit, get_organisation, get_transfer
from transfer_engine.store.transfers import KeyDate, Transfer
from transfer_engine.validation import parse
from transfer_engine.workflow.loader import WorkflowLibrary, library

# ---------------------------------------------------------------------------------------------
# Creating transfers


def create_transfer(session: Session, data: TransferCreate, *, actor: str,
                    workflows: WorkflowLibrary | None = None) -> Transfer:
    """Create a transfer in its workflow's initial state, with every step's deadline.

    ``workflows`` is the library to take the definition from (default: the configured one);
    the definition is stored with the transfer, which keeps it for its whole life.
    """
    definition = (workflows or library()).get(data.workflow_id)
    missing = [k for k, spec in definition.key_dates.items() if spec.required
               and k not in data.key_dates]
    unknown = [k for k in data.key_dates if k not in definition.key_dates]
    if missing or unknown:
        parts = []
        if missing:
            parts.append(f"missing key date(s) {', '.join(missing)}")
        if unknown:
            parts.append(f"unknown key date(s) {', '.join(unknown)} "
                         f"(workflow {definition.id} has {', '.join(definition.key_dates)})")
        raise ValidationError(f"cannot create {data.ref}: {'; '.join(parts)}")
    # TUPE reg 3(1): a relevant transfer is to another person (COSOP follows it); staff who
    # stay with their employer have no transfer to run. A programme's own record (its schools'
    # transfers are its children) names the council on both sides: it moves nobody itself.
    programme = definition.seed is not None and definition.seed.children_workflow is not None
    if data.transferor == data.transferee and not programme:
        raise ValidationError(field_problems=[FieldProblem(
            "transferee", f"is the same organisation as the transferor ({data.transferor}); a "
            "transfer moves staff to another employer (TUPE reg 3(1)): choose the organisation "
            "they move to", "transferee", "same_employer")])
    if session.exec(select(Transfer.id).where(Transfer.ref == data.ref)).first() is not None:
        raise ValidationError(field_problems=[FieldProblem(
            "ref", f"{data.ref!r} is taken by another transfer; choose another reference",
            "reference", "taken")])
    parent_id = get_transfer(session, data.parent).id if data.parent else None
    # The transfer runs on this version as it is now, whatever later happens to the file.
    record_definition(session, definition, actor=actor)
    transferor = get_organisation(session, data.transferor)
    settled = settle_regime(session, data, transferor, get_organisation(session, data.transferee))
    transferee = settled.transferee
    assert transferor.id is not None and transferee.id is not None  # both read from the database
    transfer = Transfer(
        ref=data.ref, title=data.title, workflow_id=definition.id,
        workflow_version=definition.version, regime=settled.regime,
        regime_reason=settled.reason, regime_warning=settled.warning,
        transferor_id=transferor.id, transferee_id=transferee.id,
        state=definition.initial, parent_id=parent_id, hr_owner=data.hr_owner,
        escalation_contact=data.escalation_contact, sample_data=data.sample_data,
        proposed_dismissals=data.proposed_dismissals, establishment=data.establishment,
    )
    session.add(transfer)
    session.flush()
    assert transfer.id is not None  # given by the flush
    for name, value in data.key_dates.items():
        session.add(KeyDate(transfer_id=transfer.id, name=name, value=value))
    session.flush()
    refresh_steps(session, transfer, definition)
    audit(session, transfer, actor, "created", to_state=transfer.state, data={
        "workflow": f"{definition.id} v{definition.version}",
        "workflow_sha256": definition.sha256, "regime": settled.regime.value,
        "regime_reason": settled.reason,
        **({"regime_warning": settled.warning} if settled.warning else {}),
        "key_dates": {k: v.isoformat() for k, v in data.key_dates.items()},
        "sample_data": data.sample_data,
        **({"proposed_dismissals": data.proposed_dismissals,
            "establishment": data.establishment}
           if data.proposed_dismissals is not None else {}),
    })
    return transfer


@dataclass(frozen=True)
class SettledRegime:
    """The regime a new transfer is recorded under, and the employer it moves staff to."""

    regime: Regime
    reason: str
    transferee: Organisation
    warning: str | None = None   # the regime departs from what the school's type decides


def settle_regime(session: Session, data: TransferCreate, transferor: Organisation,
                  receiving: Organisation) -> SettledRegime:
    """Decide the regime: a receiving school's type and maintaining council decide it (reg 3;
    who employs a school's staff), whatever interface creates the transfer; otherwise the
    regime given (TUPE when none is), with the reason for it.

    A regime that contradicts the school's type is recorded only with a reason, and flagged.
    Where a council maintains the school and employs its staff, that council is the employer
    the staff move to, and the transfer records it as the transferee.
    """
    change = school_regime(session, transferor, receiving)
    if change is None:
        if not data.regime_reason:
            raise ValidationError(field_problems=[FieldProblem(
                "regime_reason", "is required: say why this regime applies (e.g. 'outsourcing "
                "of a service, reg 3(1)(b)(ii)')", "reason for the regime", "required")])
        return SettledRegime(data.regime or Regime.tupe, data.regime_reason, receiving)
    if data.regime is None or data.regime == change.regime:
        # The reason given, if any, adds to the rule's; it never replaces it.
        reason = " ".join(filter(None, [change.reason, data.regime_reason]))
        return SettledRegime(change.regime, reason, change.transferee)
    if not data.regime_reason:
        raise ValidationError(field_problems=[FieldProblem(
            "regime", f"is {data.regime.value}, but {change.reason} That makes it "
            f"{change.regime.value}. Leave the regime out to record {change.regime.value}, or "
            f"give the reason {data.regime.value} applies all the same (it is recorded, and "
            "the transfer is flagged)", "regime", "contradicts_school_type")])
    return SettledRegime(data.regime, data.regime_reason, receiving,
                         regime_warning(change, data.regime, data.regime_reason))


def parse_transfer_create(values: Mapping[str, Any]) -> TransferCreate:
    """Validate user input for a new transfer, naming each bad field."""
    return parse(TransferCreate, values, formats={
        name: spec.description for name, spec in TransferCreate.model_fields.items()
        if spec.description})
