"""Representatives and elections (TUPE reg 13(3), reg 14, reg 13(11)) in the browser.

One page shows, for each employer, whom it informs and consults and by which route, its
representatives and its elections, with the one next thing it can record. Each thing recorded
has its own form and goes through the engine function the command line uses:
:func:`transfer_engine.engine.staff.add_representative` (``add-representative``) and the stages
of :mod:`transfer_engine.engine.elections` (``elections invite|nominations|ballot|result|
none-elected``), each on the date it happened.

Representatives are named people: HR officers assigned to the transfer and administrators
only. Recording needs the right to change the transfer.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import col, select
from starlette.datastructures import FormData

from transfer_engine.domain import RepresentativeKind
from transfer_engine.engine import elections
from transfer_engine.engine.staff import add_representative
from transfer_engine.errors import NotFoundError, TransferEngineError, ValidationError
from transfer_engine.rules.representation import latest_election
from transfer_engine.store.database import read_session
from transfer_engine.store.organisations import Organisation
from transfer_engine.store.people import Election, Representative
from transfer_engine.store.transfers import Transfer
from transfer_engine.web.auth import can_edit
from transfer_engine.web.deps import (
    PersonalData,
    engine_of,
    find_transfer,
    flash,
    require_edit,
    settings_of,
)
from transfer_engine.web.errors import PageNotFound
from transfer_engine.web.form_errors import Box, date_parts, form_errors, text
from transfer_engine.web.forms import parse_date_fields, whole_number
from transfer_engine.web.rendering import render

router = APIRouter()

#: How each route of informing reads on the page (never its key).
ROUTE_WORDS = {
    "recognised-union": "Through the representatives of the recognised trade union",
    "existing-representatives": "Through existing representatives with the employees' "
                                "authority",
    "elected-representatives": "Through representatives the employees elected",
    "each-employee-reg-13-11": "To each affected employee: invited to elect representatives, "
                               "they elected none",
    "each-employee-reg-13a": "To each affected employee directly: no representatives, and the "
                             "employer is small enough",
}
KINDS = [(RepresentativeKind.recognised_union.value, "A recognised trade union's representative",
          "TUPE reg 13(3)(a)."),
         (RepresentativeKind.existing.value, "An existing representative with authority",
          "Elected or appointed before, for example to a staff forum, with the employees' "
          "authority to be informed and consulted about the transfer (reg 13(3)(b)(i))."),
         (RepresentativeKind.elected.value, "Elected at the election recorded here",
          "Only once its result is recorded (reg 13(3)(b)(ii), reg 14).")]
KIND_WORDS = {value: label for value, label, _ in KINDS}

REP_BOXES = {"organisation": Box("organisation", "whose employees they represent"),
             "kind": Box("kind", "the kind of representative"),
             "name": Box("name", "the name", "the representative's full name"),
             "union": Box("union", "the union"),
             "email": Box("email", "the email address", "the representative's email address"),
             "authority": Box("authority", "their authority",
                              "what authorises them to be informed and consulted, for example "
                              "the staff forum's terms of reference")}

#: Each stage of an election: its page's title, its date's box and how the page names it.
STAGES: dict[str, tuple[str, str, str]] = {
    "invite": ("Record the invitation to elect representatives", "invited_on",
               "the date of the invitation"),
    "nominations": ("Record the close of nominations", "closed_on",
                    "the date nominations closed"),
    "ballot": ("Record the ballot", "held_on", "the date of the ballot"),
    "result": ("Record the result of the election", "result_on", "the date of the result"),
    "none-elected": ("Record that no representatives were elected", "on",
                     "the date by which none had been elected"),
}


async def _form(request: Request) -> FormData:
    return await request.form()


Form = Annotated[FormData, Depends(_form)]


def _parties(request: Request, transfer: Transfer) -> list[tuple[str, Organisation]]:
    with read_session(engine_of(request)) as session:
        found = [(role, session.get(Organisation, oid)) for role, oid in (
            ("transferor", transfer.transferor_id), ("transferee", transfer.transferee_id))]
    return [(role, o) for role, o in found if o is not None]


def _party(request: Request, transfer: Transfer, slug: str) -> Organisation:
    for _, organisation in _parties(request, transfer):
        if organisation.slug == slug:
            return organisation
    raise PageNotFound()


def next_stages(election: Election | None) -> list[str]:
    """The stages of an employer's latest election that can be recorded next (the engine
    decides; this only chooses which forms to offer)."""
    if election is None or election.result_on or election.none_elected_on:
        return ["invite"]
    if election.nominations_closed_on is None:
        return ["nominations", "none-elected"]
    if election.ballot_on:
        return ["result", "none-elected"]
    if election.candidates is not None and election.candidates > election.seats:
        return ["ballot", "none-elected"]  # contested: the ballot decides (reg 14(1)(g))
    return ["ballot", "result", "none-elected"]


@router.get("/transfers/{transfer_id}/representatives")
def page(request: Request, transfer_id: int, principal: PersonalData) -> Response:
    transfer = find_transfer(request, principal, transfer_id)
    today = settings_of(request).today()
    parties = []
    with read_session(engine_of(request)) as session:
        fresh = session.get(Transfer, transfer.id)
        assert fresh is not None and fresh.id is not None
        editable = can_edit(session, principal, fresh)
        for role, organisation in _parties(request, fresh):
            assert organisation.id is not None
            now = elections.representation(session, fresh, today, organisation.id)
            reps = session.exec(select(Representative).where(
                Representative.transfer_id == fresh.id,
                Representative.organisation_id == organisation.id)
                .order_by(col(Representative.id))).all()
            held = session.exec(select(Election).where(
                Election.transfer_id == fresh.id, Election.organisation_id == organisation.id)
                .order_by(col(Election.id))).all()
            latest = latest_election(session, fresh.id, organisation.id)
            offered = next_stages(latest)
            if now.recognised_unions or now.existing:
                offered = [s for s in offered if s != "invite"]  # no election is needed
            parties.append({"role": role, "organisation": organisation, "route": now.route,
                            "in_place": now.in_place, "legal_basis": now.legal_basis,
                            "representatives": reps, "elections": held, "next": offered})
    return render(request, "representatives.html", {
        "t": fresh, "section": "representatives", "parties": parties, "editable": editable,
        "route_words": ROUTE_WORDS, "kind_words": KIND_WORDS, "stages": STAGES})


# ---------------------------------------------------------------------------------------------
# Adding a representative


def _rep_page(request: Request, transfer: Transfer, values: dict[str, Any],
              errors: dict[str, str] | None = None, status_code: int = 200) -> Response:
    return render(request, "representative_add.html", {
        "t": transfer, "parties": _parties(request, transfer), "kinds": KINDS,
        "values": values, "errors": errors or {}}, status_code=status_code)


def _editable(request: Request, principal: Any, transfer_id: int) -> Transfer:
    transfer = find_transfer(request, principal, transfer_id)
    require_edit(request, principal, transfer)
    return transfer


@router.get("/transfers/{transfer_id}/representatives/add")
def add_form(request: Request, transfer_id: int, principal: PersonalData,
             party: str = "") -> Response:
    transfer = _editable(request, principal, transfer_id)
    return _rep_page(request, transfer, {"organisation": party})


@router.post("/transfers/{transfer_id}/representatives/add")
def add(request: Request, transfer_id: int, principal: PersonalData, form: Form) -> Response:
    transfer = _editable(request, principal, transfer_id)
    values = {name: text(form, name) for name in REP_BOXES}
    errors: dict[str, str] = {}
    if values["organisation"] not in {o.slug for _, o in _parties(request, transfer)}:
        errors["organisation"] = "Select whose employees they represent"
    if not values["kind"]:
        errors["kind"] = "Select the kind of representative"
    if errors:
        return _rep_page(request, transfer, values, errors, 422)
    try:
        rep = add_representative(transfer.ref, {
            "organisation": values["organisation"], "kind": values["kind"],
            "name": values["name"], "union": values["union"] or None,
            "email": values["email"], "authority": values["authority"] or None},
            actor=principal.actor, engine=engine_of(request))
    except ValidationError as exc:
        found = form_errors(exc, REP_BOXES, fallback="kind",
                            empty=[name for name, value in values.items() if not value])
        if any(p.field == "email" and p.code != "taken" for p in exc.field_problems):
            found["email"] = ("Enter an email address in the correct format, like "
                              "name@example.org")
        return _rep_page(request, transfer, values, found, 422)
    flash(request, f"Recorded {rep.name} as a representative.")
    return RedirectResponse(f"/transfers/{transfer.id}/representatives", status_code=303)


# ---------------------------------------------------------------------------------------------
# The stages of an election


def _stage_page(request: Request, transfer: Transfer, organisation: Organisation, stage: str,
                values: dict[str, Any], errors: dict[str, str] | None = None,
                status_code: int = 200) -> Response:
    with read_session(engine_of(request)) as session:
        assert transfer.id is not None and organisation.id is not None
        election = latest_election(session, transfer.id, organisation.id)
    title, field, _ = STAGES[stage]
    return render(request, "election_stage.html", {
        "t": transfer, "o": organisation, "stage": stage, "title": title, "field": field,
        "election": election, "values": values, "errors": errors or {}},
        status_code=status_code)


def _stage(stage: str) -> None:
    if stage not in STAGES:
        raise PageNotFound()


@router.get("/transfers/{transfer_id}/elections/{stage}")
def stage_form(request: Request, transfer_id: int, stage: str, principal: PersonalData,
               party: str = "") -> Response:
    _stage(stage)
    transfer = _editable(request, principal, transfer_id)
    organisation = _party(request, transfer, party)
    return _stage_page(request, transfer, organisation, stage, {})


@router.post("/transfers/{transfer_id}/elections/{stage}")
def record_stage(request: Request, transfer_id: int, stage: str, principal: PersonalData,
                 form: Form, party: str = "") -> Response:
    _stage(stage)
    transfer = _editable(request, principal, transfer_id)
    organisation = _party(request, transfer, party)
    title, field, words = STAGES[stage]
    values: dict[str, Any] = {field: date_parts(form, field)}
    errors: dict[str, str] = {}
    when, problem = parse_date_fields(**values[field], what=words.removeprefix("the "))
    if problem or when is None:
        errors[field] = problem or f"Enter {words}"
    boxes = {field: Box(field, words)}
    actor, today, engine = principal.actor, settings_of(request).today(), engine_of(request)
    try:
        if stage == "invite":
            values["nominations_close_on"] = date_parts(form, "nominations_close_on")
            closes, problem = parse_date_fields(**values["nominations_close_on"],
                                                what="the date nominations close")
            if problem or closes is None:
                errors["nominations_close_on"] = problem or "Enter the date nominations close"
            values.update(seats=text(form, "seats"), term=text(form, "term"))
            boxes.update(seats=Box("seats", "the number of representatives",
                                   "how many representatives are to be elected"),
                         term=Box("term", "their term of office",
                                  "their term of office, like until 3 months after the transfer"),
                         nominations_close_on=Box("nominations_close_on",
                                                  "the date nominations close"))
            seats = whole_number(values["seats"])
            if seats is None:
                errors["seats"] = ("Enter how many representatives are to be elected, as a "
                                   "whole number like 3")
            if errors or seats is None:
                raise _Refused()
            elections.invite_election(transfer.ref, {
                "organisation": organisation.slug, "seats": seats,
                "term": values["term"], "invited_on": when, "nominations_close_on": closes},
                actor=actor, today=today, engine=engine)
        elif stage == "nominations":
            values["candidates"] = text(form, "candidates")
            boxes["candidates"] = Box("candidates", "the number of candidates")
            candidates = whole_number(values["candidates"])
            if candidates is None:
                errors["candidates"] = "Enter how many employees stood, as a whole number like 4"
            if errors or candidates is None:
                raise _Refused()
            elections.close_nominations(transfer.ref, _day(when),
                                        candidates=candidates,
                                        organisation=organisation.slug, actor=actor,
                                        today=today, engine=engine)
        elif stage == "ballot":
            if errors:
                raise _Refused()
            elections.record_ballot(transfer.ref, _day(when), organisation=organisation.slug,
                                    actor=actor, today=today, engine=engine)
        elif stage == "result":
            people = _elected(form, values, errors)
            values["unopposed"] = text(form, "unopposed")
            if errors:
                raise _Refused()
            elections.declare_result(transfer.ref, {
                "result_on": when, "elected": people, "unopposed": values["unopposed"] == "yes"},
                organisation=organisation.slug, actor=actor, today=today, engine=engine)
        else:
            if errors:
                raise _Refused()
            elections.record_none_elected(transfer.ref, _day(when),
                                          organisation=organisation.slug, actor=actor,
                                        today=today, engine=engine)
    except _Refused:
        return _stage_page(request, transfer, organisation, stage, values, errors, 422)
    except NotFoundError:
        return _stage_page(request, transfer, organisation, stage, values, {
            "_problem": "No election is under way for these employees: record the invitation "
                        "to elect representatives first."}, 422)
    except TransferEngineError as exc:
        rows = {f"elected[{i - 1}].{part}": Box(f"elected-{i}-{part}",
                                                   f"the {words} of person {i} elected")
                  for i in range(1, RESULT_ROWS + 1)
                  for part, words in (("name", "name"), ("email", "email address"))}
        # A person elected who is not an affected employee, or is named twice: by their row.
        persons = {f"elected[{i - 1}]": Box(f"elected-{i}-name", f"person {i} elected")
                   for i in range(1, RESULT_ROWS + 1)}
        found = form_errors(exc, {**boxes, **rows, **persons,
                                  "elected": Box("elected-1-name", "those elected"),
                                  "unopposed": Box("unopposed", "elected unopposed")},
                            fallback="_problem")
        return _stage_page(request, transfer, organisation, stage, values, found, 422)
    flash(request, f"Recorded: {title[len('Record '):]} ({organisation.name}).")
    return RedirectResponse(f"/transfers/{transfer.id}/representatives", status_code=303)


class _Refused(Exception):
    """The form's own checks failed: shown with the engine's, nothing saved."""


def _day(when: date | None) -> date:
    assert when is not None  # refused above when missing
    return when


#: How many people a result form offers boxes for.
RESULT_ROWS = 6


def _elected(form: FormData, values: dict[str, Any],
             errors: dict[str, str]) -> list[dict[str, str]]:
    """Those elected, from the rows of names and email addresses (a blank row is left out)."""
    people = []
    for i in range(1, RESULT_ROWS + 1):
        name, email = text(form, f"elected-{i}-name"), text(form, f"elected-{i}-email")
        values[f"elected-{i}-name"], values[f"elected-{i}-email"] = name, email
        if not name and not email:
            continue
        if not name:
            errors[f"elected-{i}-name"] = f"Enter the name of person {i} elected"
        if "@" not in email.strip("@"):
            errors[f"elected-{i}-email"] = (f"Enter the email address of person {i} elected, "
                                            "like name@example.org")
        people.append({"name": name, "email": email})
    if not people:
        errors["elected-1-name"] = "Enter the name and email address of each person elected"
    return people
