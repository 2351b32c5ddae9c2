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

import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from transfer_engine.dates.clock import utcnow
from transfer_engine.dates.plausible import implausibly_early
from transfer_engine.domain import RepresentativeKind, StepStatus
from transfer_engine.engine.advance import _bump, _check_version
from transfer_engine.engine.evidence import reconcile_in
from transfer_engine.engine.inputs import ElectedPerson, ElectionInvite, ElectionResult
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
from transfer_engine.store.people import Election, Employee, Representative
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
        election.candidates = candidates
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
    date of the result (reg 13(3)(b)(ii), reg 14).

    Refused, with nothing written, unless the election's rules held: each person elected is an
    affected employee of the employer (reg 14(1)(e)); no more are elected than the seats
    (reg 14(1)(b)) or than the candidates who stood; and where more stood than there are seats,
    a ballot was held first (reg 14(1)(g)-(h)), so "unopposed" only where none was needed.
    """
    spec = parse(ElectionResult, data)
    today = today or date.today()
    with write_session(engine) as session:
        transfer = get_transfer(session, ref, lock=True)
        election = _current(session, transfer, organisation)
        assert election.id is not None and transfer.id is not None
        if election.nominations_closed_on is None:
            raise ValidationError(f"{ref}: record the close of nominations before the result")
        if election.ballot_on is None and not spec.unopposed:
            raise ValidationError(_ballot_first(election))
        problems = _count_problems(election, len(spec.elected))
        problems += _unopposed_problems(election, spec.unopposed)
        problems += _people_problems(session, transfer, election, spec.elected)
        employer = session.get(Organisation, election.organisation_id)
        assert employer is not None
        # Someone already recorded for these employees is not added again. One problem a
        # person: one named twice, or not on the staff list, is said so by _people_problems.
        said = {p.field.partition(".")[0] for p in problems}
        problems += [p for p in duplicate_problems(session, transfer, employer, [
            Candidate(person.name, None, person.email, f"elected[{i}].name",
                      f"elected[{i}].email", f"person {i + 1} elected")
            for i, person in enumerate(spec.elected)]) if p.field.partition(".")[0] not in said]
        problems += _date_problems("result_on", "date of the result", spec.result_on, today,
                                   election.ballot_on or election.nominations_closed_on,
                                   "the ballot" if election.ballot_on else
                                   "the close of nominations")
        if problems:
            raise ValidationError(field_problems=problems)
        election.result_on = spec.result_on
        if spec.unopposed:
            _complete(session, transfer, BALLOT, spec.result_on, actor,
                      f"no ballot needed: {_stood(election)} for {_seats(election.seats)}, "
                      "elected unopposed (reg 14(1)(g))")
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


# ---------------------------------------------------------------------------------------------
# The rules of reg 14 a result is judged by


def _seats(seats: int) -> str:
    return f"{seats} seat{'s' if seats != 1 else ''}"


def _stood(election: Election) -> str:
    stood = election.candidates
    return ("no candidate stood" if stood == 0 else
            f"{stood} candidate{' stood' if stood == 1 else 's stood'}")


def _contested(election: Election) -> bool:
    """More candidates stood than there are seats: only a ballot can decide (reg 14(1)(g)).

    An election whose nominations closed before the number was kept, and whose number was not
    found in the audit log (migration 0012), is not judged contested: nothing says it was.
    """
    return election.candidates is not None and election.candidates > election.seats


def _ballot_first(election: Election) -> str:
    """Why a result without a ballot, and not said to be unopposed, is refused."""
    if election.candidates is None:
        return ("record the ballot before the result, or say that the candidates were elected "
                "unopposed (no more candidates than seats)")
    if _contested(election):
        return (f"record the ballot before the result: {_stood(election)} for "
                f"{_seats(election.seats)}, so the employees choose between them in a secret "
                "ballot (TUPE reg 14(1)(g)-(h)), and only its count decides who is elected")
    return (f"say that those elected were elected unopposed ({_stood(election)} for "
            f"{_seats(election.seats)}, so no ballot was needed), or record the ballot before "
            "the result if one was held")


def _count_problems(election: Election, elected: int) -> list[FieldProblem]:
    """No more elected than the seats the employer set (reg 14(1)(b)), nor than stood."""
    stood, seats = election.candidates, election.seats
    if stood == 0:
        return [FieldProblem(
            "elected", "cannot include anyone, as no candidate stood (as recorded at the close "
            "of nominations) and only a candidate can be elected (TUPE reg 14(1)(e)); record "
            "that none were elected instead, and give the information to each affected "
            "employee (reg 13(11))", "those elected", "too_many", limit=0)]
    people = f"are {elected} people"  # more than one: at least one seat and one candidate
    if stood is not None and stood < seats and elected > stood:
        return [FieldProblem(
            "elected", f"{people}, but only {_stood(election)} (as recorded at the close of "
            "nominations): only a candidate can be elected (TUPE reg 14(1)(e)); name at most "
            f"{stood}", "those elected", "too_many", limit=stood)]
    if elected > seats:
        return [FieldProblem(
            "elected", f"{people} for {_seats(seats)}: no more can be elected than the number "
            "of representatives the employer set at the invitation (TUPE reg 14(1)(b)); name "
            f"at most {seats}", "those elected", "too_many", limit=seats)]
    return []


def _unopposed_problems(election: Election, unopposed: bool) -> list[FieldProblem]:
    """"Unopposed" (no ballot) only where no more candidates stood than there are seats."""
    if not unopposed or not _contested(election):
        return []
    then = ("a ballot was held, and its count decides who is elected: record the result "
            "without saying they were elected unopposed" if election.ballot_on else
            "record the ballot first, then the result")
    return [FieldProblem(
        "unopposed", "is only possible when no more candidates stand than there are seats: "
        f"{_stood(election)} for {_seats(election.seats)}, so the employees choose between "
        f"them in a secret ballot (TUPE reg 14(1)(g)-(h)); {then}", "elected unopposed")]


def _key(text: str) -> str:
    """A name or an email address as compared: Unicode NFC, case-folded, spaces collapsed.

    The same name typed into the HR system and into this form can differ in case ("Sam
    O'Neill", "SAM O'NEILL") and in how an accent is stored (é as one character, or e and a
    combining accent); they are the same name. Folding case can undo NFC, hence NFC again.
    """
    folded = unicodedata.normalize("NFC", text).casefold()
    return unicodedata.normalize("NFC", " ".join(folded.split()))


@dataclass(frozen=True)
class _Match:
    """The staff list's employee a person elected is (None, with why, when nobody is)."""

    employee: Employee | None
    problem: str = ""


def _affected(staff: Sequence[Employee], name: str, email: str, employer: str) -> _Match:
    """Which affected employee (reg 14(1)(e)) on the staff list ``name <email>`` is.

    By email address where the staff list has one, by name where it has none. Names are not
    unique and are written in many ways, an email address is one person's, and it is where the
    representative's letters go, so it must be theirs: a matching name with another address
    is not the employee, nor is someone else's name at the employee's address. The staff list's
    email column is optional, so an employee it has none for can only be known by name.
    """
    wanted_email, wanted_name = _key(email), _key(name)
    by_email = [e for e in staff if e.email and _key(e.email) == wanted_email]
    if by_email:
        found = [e for e in by_email if _key(e.full_name) == wanted_name]
        if not found:
            return _Match(None, "has the email address of an employee whose name on the staff "
                                "list is different: give their name as the staff list has it, "
                                "or correct the staff list first (TUPE reg 14(1)(e))")
    else:
        found = [e for e in staff if not e.email and _key(e.full_name) == wanted_name]
    if not found:
        if any(_key(e.full_name) == wanted_name for e in staff):
            return _Match(None, "is on the staff list with another email address: give the "
                                "one the staff list holds for them, or correct the staff list "
                                "first (TUPE reg 14(1)(e))")
        return _Match(None, f"is not on the staff list as an affected employee of {employer}: "
                            "only affected employees stand, and so only they can be elected "
                            "(TUPE reg 14(1)(e)); check the name and email address against "
                            "the staff list, and if they are an affected employee, add them "
                            "to it first")
    in_scope = [e for e in found if e.in_scope]
    if not in_scope:
        return _Match(None, "is on the staff list, but out of scope of the transfer, so not "
                            f"one of {employer}'s affected employees (TUPE reg 14(1)(e)); if "
                            "they are, put them back in scope first")
    return _Match(in_scope[0])


def _checked_against_staff(transfer: Transfer, election: Election) -> bool:
    """Whether those elected can be checked against the transfer's staff list.

    The staff list holds the transferor's employees in the undertaking (the ones who transfer
    and those put out of scope). The transferee's own affected employees are not on it, and
    the engine keeps no list of them, so its elections are not checked against one.
    """
    return election.organisation_id == transfer.transferor_id


def _staff(session: Session, transfer: Transfer) -> list[Employee]:
    return list(session.exec(select(Employee).where(Employee.transfer_id == transfer.id)
                             .order_by(col(Employee.id))).all())


def _people_problems(session: Session, transfer: Transfer, election: Election,
                     elected: Sequence[ElectedPerson]) -> list[FieldProblem]:
    """Each person elected is an affected employee of the employer, named once (reg 14(1)(e))."""
    if not _checked_against_staff(transfer, election):
        return []
    staff = _staff(session, transfer)
    employer = session.get(Organisation, election.organisation_id)
    assert employer is not None  # a foreign key
    if not staff:
        return [FieldProblem(
            "elected", "cannot be checked against the staff list, which has nobody on it: each "
            f"person elected must be an affected employee of {employer.name} (TUPE reg "
            "14(1)(e)); import the staff list first", "those elected")]
    problems: list[FieldProblem] = []
    seen: dict[int | None, int] = {}
    for i, person in enumerate(elected):
        field, label = f"elected[{i}]", f"{person.name} <{person.email}>"
        match = _affected(staff, person.name, person.email, employer.name)
        if match.employee is None:
            problems.append(FieldProblem(field, match.problem, label, "not_affected"))
        elif match.employee.id in seen:
            problems.append(FieldProblem(
                field, f"is the same employee as person {seen[match.employee.id] + 1} elected: "
                "name each person elected once", label, "duplicate"))
        else:
            seen[match.employee.id] = i
    return problems


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


def elected_at(session: Session, transfer: Transfer, organisation_id: int, name: str,
               email: str) -> Election:
    """The election a representative added as elected (``name <email>``) was elected at: the
    employer's latest, with its result declared and a seat left that a candidate could fill,
    the person an affected employee not elected at it already; otherwise a refusal that says
    what to do."""
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
    already = session.exec(select(Representative).where(
        Representative.election_id == election.id)).all()
    if len(already) >= election.seats:
        raise ValidationError(
            f"{transfer.ref}: the election whose result was declared on "
            f"{election.result_on.isoformat()} filled all {election.seats} seat(s); nobody "
            "else was elected at it")
    if election.candidates is not None and len(already) >= election.candidates:
        raise ValidationError(
            f"{transfer.ref}: at the election whose result was declared on "
            f"{election.result_on.isoformat()}, {_stood(election)} and "
            f"{len(already)} {'was' if len(already) == 1 else 'were'} elected; nobody else "
            "can have been, as only a candidate is elected (TUPE reg 14(1)(e))")
    if _checked_against_staff(transfer, election):
        # Field "name": the email box of the representative form words its own format error.
        label = f"{name} <{email}>"
        employer = session.get(Organisation, organisation_id)
        staff = _staff(session, transfer)
        assert employer is not None  # a foreign key
        match = _affected(staff, name, email, employer.name)
        if match.employee is None:
            raise ValidationError(field_problems=[FieldProblem(
                "name", match.problem, label, "not_affected")])
        taken = [_affected(staff, r.name, r.email, employer.name).employee for r in already]
        if match.employee.id in {e.id for e in taken if e is not None}:
            raise ValidationError(field_problems=[FieldProblem(
                "name", "was already elected at the election whose result was declared on "
                f"{election.result_on.isoformat()}: a person holds one seat", label,
                "duplicate")])
    return election
