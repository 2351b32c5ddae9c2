"""Elections of employee representatives (reg 14), and whom the employer informs (reg 13(3)).

Where an employer's affected employees have no recognised trade union and no existing
representatives with authority, the employer invites them to elect representatives (reg 14):
it sets the number of representatives and their term, candidates are affected employees, every
affected employee may vote, and the ballot is secret and fairly counted. Each stage is recorded
on the date it happened, and completes the workflow's step for it (``election_invitation``,
``election_nominations``, ``election_ballot``, ``election_result``). If the employees fail to
elect anyone within a reasonable time, the employer gives the reg 13(2) information to each
affected employee (reg 13(11)); once an election has been invited, reg 13A's direct informing is
no longer available.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from transfer_engine.dates.clock import utcnow
from transfer_engine.dates.plausible import implausibly_early
from transfer_engine.domain import RepresentativeKind, StepStatus
from transfer_engine.engine.advance import _bump, _check_version
from transfer_engine.engine.evidence import reconcile_in
from transfer_engine.engine.inputs import ElectionInvite, ElectionResult
from transfer_engine.engine.planning import _facts, plan_steps, refresh_steps
from transfer_engine.engine.representatives import (
    ELECTION_DUTY,
    Candidate,
    duplicate_problems,
    require_party,
)
from transfer_engine.errors import (
    Action,
    FieldProblem,
    NextStep,
    NotFoundError,
    ValidationError,
)
from transfer_engine.rules.representation import (
    ElectionStage,
    Representation,
    election_stage,
    latest_election,
    representation_of,
)
from transfer_engine.store.database import write_session
from transfer_engine.store.organisations import Organisation
from transfer_engine.store.people import Election, Representative
from transfer_engine.store.queries import (
    audit,
    definition_of,
    get_organisation,
    get_transfer,
    key_dates_of,
    steps_of,
)
from transfer_engine.store.transfers import Transfer
from transfer_engine.validation import parse

# The step each stage completes, when the transfer's workflow has it.
INVITATION, NOMINATIONS, BALLOT, RESULT = (
    "election_invitation", "election_nominations", "election_ballot", "election_result")
DIRECT_REG13A = "inform_employees_directly"


def representation(session: Session, transfer: Transfer, as_of: date | None = None,
                   organisation_id: int | None = None) -> Representation:
    """Whether ``organisation_id``'s (the transferor's by default) affected employees have
    appropriate representatives on ``as_of``, and by which route (reg 13(3), 13(11), 13A).

    Reg 13A is judged under the workflow's rule in force on the transfer date, with the facts
    as they stand on ``as_of`` (an objection dated later does not change who transfers yet).
    """
    as_of = as_of or date.today()
    assert transfer.id is not None  # read from the database
    organisation_id = organisation_id or transfer.transferor_id
    definition = definition_of(transfer, session)
    reg13a = False
    if DIRECT_REG13A in definition.steps and organisation_id == transfer.transferor_id:
        plans = plan_steps(definition, key_dates_of(session, transfer),
                           _facts(session, transfer, as_of))
        reg13a = plans[DIRECT_REG13A].not_applicable is None
    return representation_of(session, transfer.id, organisation_id, as_of,
                             reg13a_available=reg13a)


def _date_problems(field: str, label: str, value: date, today: date,
                   earliest: date | None = None, earliest_because: str = "",
                   before: date | None = None, before_because: str = "") -> list[FieldProblem]:
    if value > today:
        return [FieldProblem(field, "must be today or in the past", label, "in_future")]
    if earliest is not None and value < earliest:
        return [FieldProblem(field, f"cannot be before {earliest_because} "
                                    f"({earliest.isoformat()})", label, "before_prerequisite",
                             earliest=earliest, earliest_because=earliest_because)]
    if before is not None and value >= before:
        return [FieldProblem(field, f"must be before {before_because} ({before.isoformat()})",
                             label, "invalid")]
    return []


def _complete(session: Session, transfer: Transfer, step_id: str, on: date, actor: str,
              evidence: str) -> bool:
    """Mark the workflow's step for a stage done on the date it happened, if it is open."""
    step = steps_of(session, transfer).get(step_id)
    if step is None or step.status != StepStatus.open:
        return False
    step.status, step.done_at, step.done_on = StepStatus.done, utcnow(), on
    step.done_by, step.evidence = actor, evidence
    session.add(step)
    return True


def _employer(session: Session, transfer: Transfer, slug: str | None) -> Organisation:
    organisation = (get_organisation(session, slug) if slug
                    else session.get(Organisation, transfer.transferor_id))
    assert organisation is not None and organisation.id is not None
    require_party(session, transfer, organisation, duty=ELECTION_DUTY)
    return organisation


def _current(session: Session, transfer: Transfer, slug: str | None) -> Election:
    organisation = _employer(session, transfer, slug)
    assert transfer.id is not None and organisation.id is not None
    election = latest_election(session, transfer.id, organisation.id)
    if election is None or election.result_on or election.none_elected_on:
        raise NotFoundError(
            f"{transfer.ref}: no election of representatives of {organisation.slug}'s employees "
            "is under way; record the invitation to elect them first (the number of "
            "representatives, their term, the date of the invitation and when nominations "
            "close)")
    return election


def _finish(session: Session, transfer: Transfer, actor: str, action: str,
            data: dict[str, Any], today: date) -> None:
    refresh_steps(session, transfer, as_of=today)
    _bump(session, transfer, transfer.version)
    audit(session, transfer, actor, action, from_state=transfer.state, to_state=transfer.state,
          data=data)
    # Who is to be informed has changed (representatives elected, reg 13A taken off the table
    # by the invitation, reg 13(11) opened by a failed election): informing done for the old
    # set of people reopens, and informing that now reaches everyone is done.
    reconcile_in(session, transfer.id, actor=actor, today=today)


def invite_election(ref: str, data: Mapping[str, Any], *, actor: str, today: date | None = None,
                    expected_version: int | None = None,
                    engine: Engine | None = None) -> Election:
    """Record the invitation to elect representatives (reg 14(1)(a)-(d)).

    Refused where the employees already have a recognised union or existing representatives
    (reg 13(3)), or an election is under way.
    """
    spec = parse(ElectionInvite, data)
    today = today or date.today()
    with write_session(engine) as session:
        transfer = get_transfer(session, ref, lock=True)
        _check_version(transfer, expected_version)
        organisation = _employer(session, transfer, spec.organisation)
        assert transfer.id is not None and organisation.id is not None
        transfer_date = key_dates_of(session, transfer).get("transfer")
        problems = _date_problems("invited_on", "date of the invitation", spec.invited_on, today,
                                  before=transfer_date, before_because="the transfer date")
        # The later stages cannot be before the invitation, so its year is the one checked.
        mistyped = implausibly_early("invited_on", "date of the invitation", spec.invited_on,
                                     transfer_date)
        if mistyped is not None and not problems:
            problems.append(mistyped)
        if spec.nominations_close_on < spec.invited_on:
            problems.append(FieldProblem(
                "nominations_close_on", "cannot be before the invitation "
                f"({spec.invited_on.isoformat()})", "close of nominations",
                "before_prerequisite", earliest=spec.invited_on,
                earliest_because="the invitation"))
        if problems:
            raise ValidationError(field_problems=problems)
        now = representation_of(session, transfer.id, organisation.id, today,
                                reg13a_available=False)
        if now.recognised_unions or now.existing:
            raise ValidationError(
                f"{ref}: {organisation.slug}'s affected employees already have "
                + ("a recognised trade union" if now.recognised_unions
                   else "existing representatives with authority")
                + f" ({now.legal_basis}): they are the ones to inform and consult, and no "
                "election is needed")
        running = latest_election(session, transfer.id, organisation.id)
        if running is not None and election_stage(running, date.max) not in (
                ElectionStage.elected, ElectionStage.none_elected):
            raise ValidationError(
                f"{ref}: an election invited on {running.invited_on.isoformat()} is under way; "
                "record its result (or that none were elected) before inviting another")
        election = Election(transfer_id=transfer.id, organisation_id=organisation.id,
                            seats=spec.seats, term=spec.term, invited_on=spec.invited_on,
                            nominations_close_on=spec.nominations_close_on)
        session.add(election)
        session.flush()
        # Inviting an election takes reg 13A off the table and may bring the election's steps
        # in: the plan is worked out again before the invitation's step is marked done.
        refresh_steps(session, transfer, as_of=today)
        _complete(session, transfer, INVITATION, spec.invited_on, actor,
                  f"{spec.seats} representative(s) to be elected for {spec.term}; nominations "
                  f"close {spec.nominations_close_on.isoformat()} (reg 14(1)(a)-(d))")
        _finish(session, transfer, actor, "election-invited", {
            "election_id": election.id, "organisation": organisation.slug,
            "seats": spec.seats, "term": spec.term,
            "invited_on": spec.invited_on.isoformat(),
            "nominations_close_on": spec.nominations_close_on.isoformat()}, today)
        return election


def close_nominations(ref: str, closed_on: date, *, candidates: int, actor: str,
                      organisation: str | None = None, today: date | None = None,
                      engine: Engine | None = None) -> Election:
    """Record that nominations closed, with how many affected employees stood (reg 14(1)(e)-(f))."""
    today = today or date.today()
    if candidates < 0:
        raise ValidationError(field_problems=[FieldProblem(
            "candidates", "must be 0 or more", "number of candidates")])
    with write_session(engine) as session:
        transfer = get_transfer(session, ref, lock=True)
        election = _current(session, transfer, organisation)
        if election.nominations_closed_on is not None:
            raise ValidationError(f"{ref}: nominations already closed on "
                                  f"{election.nominations_closed_on.isoformat()}")
        problems = _date_problems("closed_on", "date nominations closed", closed_on, today,
                                  election.invited_on, "the invitation")
        if problems:
            raise ValidationError(field_problems=problems)
        election.nominations_closed_on = closed_on
        session.add(election)
        _complete(session, transfer, NOMINATIONS, closed_on, actor,
                  f"nominations closed with {candidates} candidate(s) for {election.seats} "
                  "seat(s) (reg 14(1)(e)-(f))")
        _finish(session, transfer, actor, "election-nominations-closed", {
            "election_id": election.id, "closed_on": closed_on.isoformat(),
            "candidates": candidates}, today)
        return election


def record_ballot(ref: str, held_on: date, *, actor: str, organisation: str | None = None,
                  today: date | None = None, engine: Engine | None = None) -> Election:
    """Record the ballot: every affected employee entitled to vote, in secret (reg 14(1)(g)-(h))."""
    today = today or date.today()
    with write_session(engine) as session:
        transfer = get_transfer(session, ref, lock=True)
        election = _current(session, transfer, organisation)
        if election.nominations_closed_on is None:
            raise ValidationError(f"{ref}: record the close of nominations before the ballot")
        if election.ballot_on is not None:
            raise ValidationError(f"{ref}: the ballot was already recorded, held on "
                                  f"{election.ballot_on.isoformat()}")
        problems = _date_problems("held_on", "date of the ballot", held_on, today,
                                  election.nominations_closed_on, "the close of nominations")
        if problems:
            raise ValidationError(field_problems=problems)
        election.ballot_on = held_on
        session.add(election)
        _complete(session, transfer, BALLOT, held_on, actor,
                  "ballot held: affected employees voted in secret (reg 14(1)(g)-(h))")
        _finish(session, transfer, actor, "election-ballot",
                {"election_id": election.id, "held_on": held_on.isoformat()}, today)
        return election


def declare_result(ref: str, data: Mapping[str, Any], *, actor: str,
                   organisation: str | None = None, today: date | None = None,
                   engine: Engine | None = None) -> list[Representative]:
    """Record the result: those elected become the employees' elected representatives, from the
    date of the result (reg 13(3)(b)(ii), reg 14)."""
    spec = parse(ElectionResult, data)
    today = today or date.today()
    with write_session(engine) as session:
        transfer = get_transfer(session, ref, lock=True)
        election = _current(session, transfer, organisation)
        assert election.id is not None and transfer.id is not None
        if election.nominations_closed_on is None:
            raise ValidationError(f"{ref}: record the close of nominations before the result")
        if election.ballot_on is None and not spec.unopposed:
            raise ValidationError(
                f"{ref}: record the ballot before the result, or say that the candidates "
                "were elected unopposed (no more candidates than seats)")
        if len(spec.elected) > election.seats:
            raise ValidationError(field_problems=[FieldProblem(
                "elected", f"names {len(spec.elected)} people for {election.seats} seat(s); "
                "the employer set the number of representatives at the invitation "
                "(reg 14(1)(b))", "those elected")])
        problems = _date_problems("result_on", "date of the result", spec.result_on, today,
                                  election.ballot_on or election.nominations_closed_on,
                                  "the ballot" if election.ballot_on else
                                  "the close of nominations")
        employer = session.get(Organisation, election.organisation_id)
        assert employer is not None
        # Someone already recorded for these employees (or named twice) is not added again.
        problems += duplicate_problems(session, transfer, employer, [
            Candidate(person.name, None, person.email, f"elected[{i}].name",
                      f"elected[{i}].email", f"person {i + 1} elected")
            for i, person in enumerate(spec.elected)])
        if problems:
            raise ValidationError(field_problems=problems)
        election.result_on = spec.result_on
        if spec.unopposed:
            _complete(session, transfer, BALLOT, spec.result_on, actor,
                      "no ballot needed: no more candidates than seats, elected unopposed")
        session.add(election)
        elected = [Representative(
            transfer_id=transfer.id, organisation_id=election.organisation_id,
            kind=RepresentativeKind.elected, name=person.name, email=person.email,
            election_id=election.id, elected_on=spec.result_on) for person in spec.elected]
        session.add_all(elected)
        session.flush()
        _complete(session, transfer, RESULT, spec.result_on, actor,
                  f"{len(elected)} representative(s) elected; result declared "
                  f"{spec.result_on.isoformat()} (reg 14)")
        # Names stay out of the audit log: the representatives' ids say who.
        _finish(session, transfer, actor, "election-result", {
            "election_id": election.id, "result_on": spec.result_on.isoformat(),
            "unopposed": spec.unopposed,
            "representative_ids": [r.id for r in elected]}, today)
        return elected


def record_none_elected(ref: str, on: date, *, actor: str, organisation: str | None = None,
                        today: date | None = None, engine: Engine | None = None) -> Election:
    """Record that the employees failed to elect representatives within a reasonable time after
    the invitation: the reg 13(2) information then goes to each affected employee (reg 13(11))."""
    today = today or date.today()
    with write_session(engine) as session:
        transfer = get_transfer(session, ref, lock=True)
        election = _current(session, transfer, organisation)
        problems = _date_problems("on", "date recorded as none elected", on, today,
                                  election.nominations_closed_on or election.invited_on,
                                  "the close of nominations" if election.nominations_closed_on
                                  else "the invitation")
        if problems:
            raise ValidationError(field_problems=problems)
        election.none_elected_on = on
        session.add(election)
        evidence = (f"no representatives elected by {on.isoformat()}; the reg 13(2) information "
                    "goes to each affected employee (reg 13(11))")
        # The stages that never came are closed by the failure, not left due.
        for step_id in (NOMINATIONS, BALLOT, RESULT):
            _complete(session, transfer, step_id, on, actor, evidence)
        _finish(session, transfer, actor, "election-none-elected",
                {"election_id": election.id, "on": on.isoformat()}, today)
        return election


def elected_at(session: Session, transfer: Transfer, organisation_id: int) -> Election:
    """The election a representative added as elected was elected at: the employer's latest,
    with its result declared and a seat left; otherwise a refusal that says what to do."""
    assert transfer.id is not None
    election = latest_election(session, transfer.id, organisation_id)
    if election is None or election.result_on is None:
        under_way = election is not None and election.none_elected_on is None
        raise ValidationError(
            f"{transfer.ref}: an elected representative (reg 13(3)(b)(ii)) must be elected "
            "at an election recorded here, and "
            + ("the election under way has no result yet: record its result, which records "
               "those elected" if under_way
               else "none has a result recorded: record the invitation to elect them first")
            + ". A representative elected or appointed before, with the employees' authority "
            "to be informed and consulted (reg 13(3)(b)(i)), is recorded as an existing "
            "representative, with a note of that authority.",
            next_step=NextStep(Action.record_representatives, ref=transfer.ref))
    taken = session.exec(select(func.count()).select_from(Representative).where(
        Representative.election_id == election.id)).one()
    if taken >= election.seats:
        raise ValidationError(
            f"{transfer.ref}: the election whose result was declared on "
            f"{election.result_on.isoformat()} filled all {election.seats} seat(s); nobody "
            "else was elected at it")
    return election
