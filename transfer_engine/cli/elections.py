"""Commands on elections of employee representatives (reg 14) and on objections (reg 4(7))."""

from __future__ import annotations

import re

import typer

from transfer_engine.cli.app import (
    AsOfOption,
    JsonOption,
    actor,
    app,
    as_of_date,
    console,
    guarded,
    print_json,
    print_table,
    required_date,
)
from transfer_engine.engine import elections as engine_elections
from transfer_engine.engine.staff import update_employee
from transfer_engine.errors import FieldProblem, ValidationError
from transfer_engine.letters import service
from transfer_engine.store.database import read_session
from transfer_engine.store.queries import get_transfer
from transfer_engine.views.elections import representation_summary

elections_app = typer.Typer(
    help="Elections of employee representatives (TUPE reg 14), where the affected employees "
         "have no recognised union and no existing representatives.", no_args_is_help=True)
app.add_typer(elections_app, name="elections")

OrgOption = typer.Option(None, "--org", help="The employer arranging it (default: transferor)")
ACKNOWLEDGEMENT = "objection-acknowledgement"


@elections_app.command("invite")
@guarded
def invite(
    ref: str,
    seats: int = typer.Option(..., "--seats", help="How many representatives (reg 14(1)(b))"),
    term: str = typer.Option(..., "--term", help="Their term of office (reg 14(1)(d)), e.g. "
                                                 "'until the transfer and 3 months after'"),
    invited_on: str = typer.Option(..., "--invited-on", help="Date of the invitation"),
    nominations_close: str = typer.Option(..., "--nominations-close",
                                          help="Date nominations close"),
    organisation: str = OrgOption,
    as_of: str = AsOfOption,
) -> None:
    """Record the invitation to the affected employees to elect representatives."""
    election = engine_elections.invite_election(ref, {
        "organisation": organisation, "seats": seats, "term": term,
        "invited_on": required_date(invited_on, "--invited-on"),
        "nominations_close_on": required_date(nominations_close, "--nominations-close")},
        actor=actor(), today=as_of_date(as_of))
    console.print(f"{ref}: election invited on {election.invited_on} for {election.seats} "
                  f"seat(s); nominations close {election.nominations_close_on}. Reg 13A's "
                  "direct informing is no longer available.", highlight=False)


@elections_app.command("nominations")
@guarded
def nominations(
    ref: str,
    closed_on: str = typer.Option(..., "--closed-on", help="Date nominations closed"),
    candidates: int = typer.Option(..., "--candidates", help="How many affected employees stood"),
    organisation: str = OrgOption,
    as_of: str = AsOfOption,
) -> None:
    """Record the close of nominations (reg 14(1)(e)-(f))."""
    engine_elections.close_nominations(ref, required_date(closed_on, "--closed-on"),
                                       candidates=candidates, actor=actor(),
                                       organisation=organisation, today=as_of_date(as_of))
    console.print(f"{ref}: nominations closed on {closed_on} with {candidates} candidate(s).",
                  highlight=False)


@elections_app.command("ballot")
@guarded
def ballot(
    ref: str,
    held_on: str = typer.Option(..., "--held-on", help="Date of the ballot"),
    organisation: str = OrgOption,
    as_of: str = AsOfOption,
) -> None:
    """Record the ballot (reg 14(1)(g)-(h))."""
    engine_elections.record_ballot(ref, required_date(held_on, "--held-on"), actor=actor(),
                                   organisation=organisation, today=as_of_date(as_of))
    console.print(f"{ref}: ballot held on {held_on}.", highlight=False)


_PERSON = re.compile(r"\s*(?P<name>[^<>]+?)\s*<(?P<email>[^<>]+)>\s*")


def _person(text: str) -> dict[str, str]:
    match = _PERSON.fullmatch(text)
    if match is None:
        raise ValidationError(field_problems=[FieldProblem(
            "elected", f"{text!r} is not written 'Full Name <email>', e.g. "
                       "'Sam Smith <sam.smith@example.org>'", "--elected")])
    return {"name": match["name"], "email": match["email"]}


@elections_app.command("result")
@guarded
def result(
    ref: str,
    result_on: str = typer.Option(..., "--result-on", help="Date the result was declared"),
    elected: list[str] = typer.Option(..., "--elected",
                                      help="Each person elected, as 'Full Name <email>' "
                                           "as the staff list has them (repeatable)"),
    unopposed: bool = typer.Option(False, "--unopposed",
                                   help="No more candidates than seats: elected without a "
                                        "ballot"),
    organisation: str = OrgOption,
    as_of: str = AsOfOption,
) -> None:
    """Record the result: those elected become the employees' representatives from its date."""
    people = engine_elections.declare_result(ref, {
        "result_on": required_date(result_on, "--result-on"),
        "elected": [_person(p) for p in elected], "unopposed": unopposed},
        actor=actor(), organisation=organisation, today=as_of_date(as_of))
    console.print(f"{ref}: {len(people)} representative(s) elected, from {result_on}: "
                  + ", ".join(p.name for p in people), highlight=False)


@elections_app.command("none-elected")
@guarded
def none_elected(
    ref: str,
    on: str = typer.Option(..., "--on", help="Date by which none had been elected"),
    organisation: str = OrgOption,
    as_of: str = AsOfOption,
) -> None:
    """Record that no representatives were elected within a reasonable time (reg 13(11))."""
    engine_elections.record_none_elected(ref, required_date(on, "--on"), actor=actor(),
                                         organisation=organisation, today=as_of_date(as_of))
    console.print(f"{ref}: no representatives elected. Under TUPE reg 13(11), give the reg "
                  "13(2) information to each affected employee (step "
                  "inform_employees_no_election; letter employee-notification).",
                  highlight=False)


@elections_app.command("show")
@guarded
def show(ref: str, as_of: str = AsOfOption, as_json: bool = JsonOption) -> None:
    """Who represents each party's affected employees, by which route, and its elections."""
    today = as_of_date(as_of)
    with read_session() as session:
        summary = representation_summary(session, get_transfer(session, ref), today)
    if as_json:
        print_json(summary)
        return
    print_table(f"{ref}: representatives as of {today.isoformat()}",
                ["party", "route", "law", "what it means", "election"],
                [[f"{p['role']} ({p['organisation']})", p["route"] or "none yet",
                  p["legal_basis"], p["explanation"],
                  ", ".join(f"{e['stage']} (invited {e['invited_on']})" for e in p["elections"])
                  or ""] for p in summary["parties"]])


@app.command("record-objection")
@guarded
def record_objection(
    ref: str,
    employee_ref: str,
    on: str = typer.Option(..., "--on", help="Date of the objection (before the transfer)"),
    acknowledge: bool = typer.Option(False, "--acknowledge",
                                     help="Issue the acknowledgement letter now"),
    as_of: str = AsOfOption,
) -> None:
    """Record an employee's objection to transferring (reg 4(7)-(8)): they leave the
    transferring headcount, the ELI and the reg 12 figures from its date."""
    today = as_of_date(as_of)
    objected_on = required_date(on, "--on")
    update_employee(ref, employee_ref, in_scope=None, objected_on=objected_on, actor=actor(),
                    today=today)
    console.print(f"{ref}: {employee_ref} objected on {objected_on} (TUPE reg 4(7)); they do not "
                  "transfer, and leave the ELI and the transferring headcount from that date.",
                  highlight=False)
    if acknowledge:
        report = service.issue_letters(ref, ACKNOWLEDGEMENT, actor=actor(), today=today,
                                       recipients=[f"employee:{employee_ref}"])
        console.print(f"{ref}: issued {ACKNOWLEDGEMENT} to {employee_ref} "
                      f"({len(report.issued)} letter(s)); the scheduler sends it.",
                      highlight=False)
    else:
        console.print(f"Acknowledge it in writing: transfer-engine letters issue {ref} "
                      f"{ACKNOWLEDGEMENT} --recipient employee:{employee_ref}", highlight=False,
                      soft_wrap=True)  # a command to copy: never broken across lines
