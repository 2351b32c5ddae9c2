"""Reg 14 elections, the reg 13(11) and reg 13A routes, and objections dated before the transfer
(reg 4(7)) that count from their date."""

from __future__ import annotations

import html
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

from tests.conftest import Cli
from tests.web_fixtures import WebEnv
from transfer_engine.store.database import read_session
from transfer_engine.store.queries import get_transfer

TRANSFER_DATE = "2025-06-01"
HEADER = "employee_ref,full_name,role,fte,weekly_pay,in_scope,objected_on\n"


def _transfer(cli: Cli, ref: str, headcount: int = 300, transfer_date: str = TRANSFER_DATE,
              decision_date: str = "2025-02-03") -> None:
    """A contractor's catering staff back in house from 1 June 2025 (by default), nobody
    representing them."""
    cli("organisations", "add", f"{ref}-co", "--name", f"Contractor for {ref} Ltd", "--kind",
        "company", "--headcount", str(headcount))
    cli("organisations", "add", f"{ref}-council", "--name", f"Council for {ref}", "--kind",
        "council", "--headcount", "4000")
    cli("create", ref, "--title", f"Catering back in house ({ref})", "--from", f"{ref}-co",
        "--to", f"{ref}-council", "--transfer-date", transfer_date, "--decision-date",
        decision_date, "--regime-reason", "service provision change back in house, reg 3(1)(b)")


def _staff(tmp_path: Path, count: int, objections: dict[int, str] | None = None) -> Path:
    objections = objections or {}
    path = tmp_path / "staff.csv"
    path.write_text(HEADER + "".join(
        f"C{i:03},Sample Cook {i},Cook,1,400,yes,{objections.get(i, '')}\n"
        for i in range(1, count + 1)), encoding="utf-8")
    return path


def _timeline(cli: Cli, ref: str, *as_of: str) -> dict[str, dict[str, Any]]:
    return {row["step"]: row for row in cli.json("timeline", ref, *as_of)}


def _route(cli: Cli, ref: str, as_of: str) -> dict[str, Any]:
    return cli.json("elections", "show", ref, "--as-of", as_of)["parties"][0]


def _blocked_by(cli: Cli, ref: str, trigger: str, as_of: str) -> list[str]:
    status = cli.json("status", ref, "--as-of", as_of)
    found = [t for t in status["triggers"] if t["trigger"] == trigger]
    return [b["guard"] for b in found[0]["blocked_by"]] if found else []


# ---------------------------------------------------------------------------------------------
# Objections (reg 4(7)-(8))


def test_an_objection_dated_on_or_after_the_transfer_is_refused_at_import_by_row_and_column(
    database, cli: Cli, tmp_path: Path
) -> None:
    _transfer(cli, "late-objection")
    path = _staff(tmp_path, 4, {2: "2025-05-31", 3: TRANSFER_DATE, 4: "2025-07-01"})
    code, _, err = cli("import-employees", "late-objection", str(path), ok=False)
    assert code == 1 and "Traceback" not in err
    assert "row 4, column 'objected_on'" in err and "row 5, column 'objected_on'" in err
    assert "row 3," not in err  # the day before the transfer is in time
    assert "must be made before the transfer" in err and TRANSFER_DATE in err
    assert cli.json("employees", "late-objection") == []  # nothing was imported


def test_an_objection_dated_in_the_future_is_refused_at_import_as_on_the_form(
        database, cli: Cli, tmp_path: Path) -> None:
    """An objection is recorded once made: a staff list may not date one after today, any more
    than record-objection may (both say so; nothing is imported)."""
    _transfer(cli, "future", transfer_date="2099-06-01", decision_date="2099-02-01")
    path = _staff(tmp_path, 3, {2: "2099-01-15"})
    code, _, err = cli("import-employees", "future", str(path), ok=False)
    assert code == 1 and "row 3, column 'objected_on'" in err
    assert "2099-01-15 is in the future" in " ".join(err.split())
    assert cli.json("employees", "future") == []


def test_recording_an_objection_after_the_transfer_is_refused_and_in_time_is_offered_a_letter(
    database, cli: Cli, tmp_path: Path
) -> None:
    _transfer(cli, "objecting")
    cli("import-employees", "objecting", str(_staff(tmp_path, 3)))
    code, _, err = cli("record-objection", "objecting", "C002", "--on", "2025-06-02",
                       "--as-of", "2025-06-05", ok=False)
    assert code != 0 and "before the transfer" in err and "Traceback" not in err
    assert {e["employee_ref"]: e["objected_on"] for e in cli.json("employees", "objecting")
            }["C002"] is None
    _, out, _ = cli("record-objection", "objecting", "C002", "--on", "2025-05-12",
                    "--as-of", "2025-05-14")
    assert "letters issue objecting objection-acknowledgement --recipient employee:C002" in out
    staff = {e["employee_ref"]: e for e in cli.json("employees", "objecting")}
    assert staff["C002"]["objected_on"] == "2025-05-12" and staff["C002"]["in_scope"] is True


def test_an_objection_counts_from_its_date_for_reg_12_and_reg_13a(
    database, cli: Cli, tmp_path: Path
) -> None:
    # 11 cooks from a contractor of 300; three object on 20 May 2025, before the transfer.
    # From 1 July 2024 reg 13A applies where fewer than 10 transfer: so from 20 May, not before.
    _transfer(cli, "counting")
    cli("import-employees", "counting", str(_staff(tmp_path, 11,
                                                   {9: "2025-05-20", 10: "2025-05-20",
                                                    11: "2025-05-20"})))
    # The ELI (due 4 May) is late on both dates; only the objections' date differs.
    before = cli.json("status", "counting", "--as-of", "2025-05-10")["exposure"]
    after = cli.json("status", "counting", "--as-of", "2025-05-21")["exposure"]
    assert Decimal(before["reg12_minimum"]) == 500 * 11
    assert Decimal(after["reg12_minimum"]) == 500 * 8
    assert "11 transferring" in " ".join(before["reasons"])
    assert _route(cli, "counting", "2025-05-10")["route"] is None
    assert _route(cli, "counting", "2025-05-21")["route"] == "each-employee-reg-13a"


def test_an_objector_is_not_told_that_they_will_transfer(demo, cli: Cli) -> None:
    """Reg 4(7)-(8): an employee who objected does not transfer. Their reg 13 letter gives them
    the same information as everyone's, but says what their objection means, not that their
    employment transfers, nor what is given about them in the ELI, nor how to object."""
    cli("record-objection", "ld-to-nct", "LD-006", "--on", "2022-09-15", "--as-of",
        "2022-09-20")

    def letter(ref: str) -> str:
        _, out, _ = cli("letters", "preview", "ld-to-nct", "employee-notification",
                        "--recipient", f"employee:{ref}", "--as-of", "2022-09-20")
        return " ".join(out.split())

    objector, colleague = letter("LD-006"), letter("LD-005")
    assert "You told us on 15 September 2022 that you object" in objector
    assert "so your employment will not transfer" in objector
    assert "What your objection means" in objector
    for said in ("expected to transfer", "Your details that we will give",
                 "You may object to the transfer by telling us"):
        assert said not in objector and said in colleague
    # The information reg 13(2) asks for is in both.
    for common in ("Why the transfer is taking place", "Measures", "Pensions"):
        assert common in objector and common in colleague


def test_an_objector_is_told_when_the_transfer_date_moves(demo, cli: Cli) -> None:
    """Their employment ends on the transfer date (reg 4(8)): when it moves, the objector, who
    holds an acknowledgement giving the old date, is sent the changed-date notice, which says
    their objection stands (not how to object)."""
    cli("record-objection", "ld-to-nct", "LD-006", "--on", "2022-09-15", "--as-of",
        "2022-09-20", "--acknowledge")
    cli("reschedule", "ld-to-nct", "transfer", "2022-12-01", "--reason", "Trust asked for a "
        "later date", "--as-of", "2022-09-21")
    _, out, _ = cli("letters", "preview", "ld-to-nct", "date-change", "--recipient",
                    "employee:LD-006", "--as-of", "2022-09-22")
    text = " ".join(out.split())
    assert "Your objection of 15 September 2022 stands" in text
    assert "it will end on the new transfer date, 1 December 2022" in text
    assert "If you wish to object" not in text


def test_the_transfer_date_cannot_move_to_or_before_a_recorded_objection(
    database, cli: Cli, tmp_path: Path
) -> None:
    _transfer(cli, "moving")
    cli("import-employees", "moving", str(_staff(tmp_path, 3, {2: "2025-05-12"})))
    code, _, err = cli("reschedule", "moving", "transfer", "2025-05-12", "--reason",
                       "the contractor asked to hand over earlier", "--as-of", "2025-05-01",
                       ok=False)
    assert code != 0 and "2025-05-12" in err and "reg 4(7)" in err
    assert cli.json("status", "moving")["key_dates"]["transfer"] == TRANSFER_DATE
    cli("reschedule", "moving", "transfer", "2025-05-13", "--reason",
        "the contractor asked to hand over earlier", "--as-of", "2025-05-01")


# ---------------------------------------------------------------------------------------------
# Elections (reg 14) and the reg 13(11) route


def _invite(cli: Cli, ref: str, seats: str = "3") -> None:
    cli("elections", "invite", ref, "--seats", seats, "--term", "until three months after the "
        "transfer", "--invited-on", "2025-03-03", "--nominations-close", "2025-03-10",
        "--as-of", "2025-03-04")


def test_elected_representatives_only_through_a_recorded_election(
    database, cli: Cli, tmp_path: Path
) -> None:
    _transfer(cli, "electing")
    cli("import-employees", "electing", str(_staff(tmp_path, 20)))
    steps = _timeline(cli, "electing", "--as-of", "2025-03-01")
    # 20 transfer from an employer of 300: reg 13A is not available, an election is needed.
    assert steps["inform_employees_directly"]["status"] == "not-applicable"
    assert [steps[s]["due_date"] for s in ("election_invitation", "election_nominations",
                                           "election_ballot", "election_result")] == [
        "2025-03-16", "2025-03-23", "2025-03-30", "2025-04-06"]
    assert "reg 14(1)(a)-(d)" in steps["election_invitation"]["legal_basis"]
    assert "reg 14(1)(g)-(h)" in steps["election_ballot"]["legal_basis"]
    rep = ("add-representative", "electing", "--org", "electing-co", "--kind", "elected",
           "--name", "Sample Cook 3", "--email", "cook3@example.org")
    code, _, err = cli(*rep, ok=False)
    err = " ".join(err.split())
    assert code != 0 and "must be elected at an election recorded here" in err
    assert "recorded as an existing representative" in err and "Traceback" not in err
    assert cli.json("elections", "show", "electing")["parties"][0]["elected"] == 0

    _invite(cli, "electing")
    cli("elections", "nominations", "electing", "--closed-on", "2025-03-10", "--candidates", "4",
        "--as-of", "2025-03-12")
    cli("elections", "ballot", "electing", "--held-on", "2025-03-24", "--as-of", "2025-03-25")
    # Two of the three seats at the count; the third elected is added afterwards.
    cli("elections", "result", "electing", "--result-on", "2025-03-26",
        "--elected", "Sample Cook 1 <cook1@example.org>", "--elected",
        "Sample Cook 2 <cook2@example.org>",
        "--as-of", "2025-03-27")
    _, out, _ = cli(*rep)
    assert "2025-03-26" in out
    code, _, err = cli("add-representative", "electing", "--org", "electing-co", "--kind",
                       "elected", "--name", "Sample Cook 4", "--email", "cook4@example.org",
                       ok=False)
    assert code != 0 and "all 3 seat(s)" in err
    steps = _timeline(cli, "electing", "--as-of", "2025-03-27")
    assert {s: steps[s]["done_on"] for s in ("election_invitation", "election_nominations",
                                              "election_ballot", "election_result")} == {
        "election_invitation": "2025-03-03", "election_nominations": "2025-03-10",
        "election_ballot": "2025-03-24", "election_result": "2025-03-26"}
    party = _route(cli, "electing", "2025-03-27")
    assert party["route"] == "elected-representatives" and party["elected"] == 3
    # Before the result, nobody was elected yet.
    assert _route(cli, "electing", "2025-03-25")["route"] is None
    assert "representatives_recorded" not in _blocked_by(cli, "electing", "inform_representatives",
                                                         "2025-04-01")
    history = [h for h in cli.json("history", "electing") if h["action"] == "election-result"]
    assert history and "Sample Cook 1" not in str(history)


def test_an_existing_representative_needs_a_note_of_authority(database, cli: Cli) -> None:
    _transfer(cli, "forum")
    base = ("add-representative", "forum", "--org", "forum-co", "--kind", "existing", "--name",
            "Staff Forum Chair", "--email", "forum@example.org")
    code, _, err = cli(*base, ok=False)
    assert code != 0 and "authority" in err and "Traceback" not in err
    cli(*base, "--authority", "Chair of the elected staff forum; its terms of reference cover "
                              "consultation on transfers (para 4)")
    assert _route(cli, "forum", "2025-03-01")["route"] == "existing-representatives"
    # An election is not needed, and is refused, where they have representatives.
    code, _, err = cli("elections", "invite", "forum", "--seats", "2", "--term", "a year",
                       "--invited-on", "2025-03-03", "--nominations-close", "2025-03-10",
                       "--as-of", "2025-03-04", ok=False)
    assert code != 0 and "reg 13(3)(b)(i)" in err


def test_when_none_are_elected_each_employee_is_informed_under_reg_13_11(
    database, cli: Cli, tmp_path: Path
) -> None:
    _transfer(cli, "no-takers")
    cli("import-employees", "no-takers", str(_staff(tmp_path, 20)))
    cli("advance", "no-takers", "approve", "--as-of", "2025-03-04")
    _invite(cli, "no-takers")
    cli("elections", "nominations", "no-takers", "--closed-on", "2025-03-10", "--candidates",
        "0", "--as-of", "2025-03-12")
    assert "representatives_recorded" in _blocked_by(cli, "no-takers", "inform_representatives",
                                                     "2025-03-12")
    assert _timeline(cli, "no-takers")["inform_employees_no_election"]["status"] == \
        "not-applicable"
    code, _, err = cli("elections", "none-elected", "no-takers", "--on", "2025-03-05",
                       "--as-of", "2025-03-20", ok=False)
    assert code != 0 and "close of nominations" in err
    _, out, _ = cli("elections", "none-elected", "no-takers", "--on", "2025-03-17",
                    "--as-of", "2025-03-20")
    assert "reg 13(11)" in out
    steps = _timeline(cli, "no-takers", "--as-of", "2025-03-20")
    fallback = steps["inform_employees_no_election"]
    assert fallback["status"] == "open" and fallback["due_date"] == "2025-04-20"
    assert "reg 13(11)" in fallback["legal_basis"]
    # The stages that never came are closed by the failure, not left due.
    assert steps["election_ballot"]["status"] == "done"
    assert steps["election_result"]["done_on"] == "2025-03-17"
    party = _route(cli, "no-takers", "2025-03-20")
    assert party["route"] == "each-employee-reg-13-11" and party["to_each_employee"] is True
    assert "representatives_recorded" not in _blocked_by(cli, "no-takers",
                                                         "inform_representatives", "2025-03-20")


def test_reg_13a_is_not_available_once_an_election_was_invited(
    database, cli: Cli, tmp_path: Path
) -> None:
    # 8 transfer from an employer of 300 (from 1 July 2024: fewer than 10 transfer).
    _transfer(cli, "small-team")
    cli("import-employees", "small-team", str(_staff(tmp_path, 8)))
    steps = _timeline(cli, "small-team")
    assert steps["inform_employees_directly"]["status"] == "open"
    assert steps["election_invitation"]["status"] == "not-applicable"
    assert _route(cli, "small-team", "2025-03-01")["route"] == "each-employee-reg-13a"
    _invite(cli, "small-team", seats="1")
    steps = _timeline(cli, "small-team")
    assert steps["inform_employees_directly"]["status"] == "not-applicable"
    assert steps["election_invitation"]["done_on"] == "2025-03-03"
    assert steps["election_nominations"]["status"] == "open"
    party = _route(cli, "small-team", "2025-03-05")
    assert party["route"] is None and party["election"] == "invited"
    assert "under way" in party["explanation"]
    # As of the day before the invitation, reg 13A was still open to the employer.
    assert _route(cli, "small-team", "2025-03-02")["route"] == "each-employee-reg-13a"
    code, _, err = cli("elections", "invite", "small-team", "--seats", "1", "--term", "a year",
                       "--invited-on", "2025-03-04", "--nominations-close", "2025-03-11",
                       "--as-of", "2025-03-05", ok=False)
    assert code != 0 and "under way" in err


def test_election_dates_cannot_be_in_the_future_or_out_of_order(
    database, cli: Cli, tmp_path: Path
) -> None:
    _transfer(cli, "dates")
    cli("import-employees", "dates", str(_staff(tmp_path, 12)))
    code, _, err = cli("elections", "invite", "dates", "--seats", "2", "--term", "a year",
                       "--invited-on", "2025-03-10", "--nominations-close", "2025-03-01",
                       "--as-of", "2025-03-11", ok=False)
    assert code != 0 and "cannot be before the invitation" in err
    code, _, err = cli("elections", "invite", "dates", "--seats", "2", "--term", "a year",
                       "--invited-on", "2025-03-10", "--nominations-close", "2025-03-17",
                       "--as-of", "2025-03-09", ok=False)
    assert code != 0 and "today or in the past" in err
    code, _, err = cli("elections", "ballot", "dates", "--held-on", "2025-03-20", ok=False)
    assert code != 0 and "no election" in err and "record the invitation" in err
    assert cli.json("elections", "show", "dates")["parties"][0]["elections"] == []


# ---------------------------------------------------------------------------------------------
# The rules a result is judged by: who may be elected, how many, and when a ballot is needed


# Synthetic staff: an email address for some, as an HR system exports them, none for others.
MEMBERS = ("employee_ref,full_name,role,fte,weekly_pay,email,in_scope\n"
           "C001,Sample Zoë Cook,Cook,1,400,zoe.cook@example.org,yes\n"
           "C002,Sample Cook 2,Cook,1,400,,yes\n"
           "C003,Sample Cook 3,Cook,1,400,,no\n"
           + "".join(f"C{i:03},Sample Cook {i},Cook,1,400,,yes\n" for i in range(4, 13)))


def _election(cli: Cli, tmp_path: Path, ref: str, *, seats: str, candidates: str) -> None:
    """A transfer with the staff above, an election invited and its nominations closed."""
    _transfer(cli, ref)
    staff = tmp_path / f"{ref}.csv"
    staff.write_text(MEMBERS, encoding="utf-8")
    cli("import-employees", ref, str(staff))
    _invite(cli, ref, seats=seats)
    cli("elections", "nominations", ref, "--closed-on", "2025-03-10", "--candidates",
        candidates, "--as-of", "2025-03-12")


def _result(cli: Cli, ref: str, *people: str, unopposed: bool = False,
            on: str = "2025-03-17") -> tuple[int, str, str]:
    args = ["elections", "result", ref, "--result-on", on, "--as-of", "2025-03-20"]
    for person in people:
        args += ["--elected", person]
    code, out, err = cli(*args, *(["--unopposed"] if unopposed else []), ok=False)
    return code, out, " ".join(err.split())


def _nothing_elected(cli: Cli, ref: str) -> None:
    party = _route(cli, ref, "2025-03-20")
    assert party["elected"] == 0 and party["elections"][0]["result_on"] is None
    assert _timeline(cli, ref, "--as-of", "2025-03-20")["election_result"]["status"] == "open"
    assert not [h for h in cli.json("history", ref) if h["action"] == "election-result"]


def test_only_affected_employees_on_the_staff_list_can_be_elected(
    database, cli: Cli, tmp_path: Path
) -> None:
    # Reg 14(1)(e): candidates are affected employees. 3 seats, 3 stood: no ballot needed.
    _election(cli, tmp_path, "members", seats="3", candidates="3")
    code, _, err = _result(cli, "members", "Outsider Person <out@example.org>",
                           "Sample Cook 2 <cook2@example.org>", unopposed=True)
    assert code == 1 and "Traceback" not in err
    assert ("Outsider Person <out@example.org>: is not on the staff list as an affected "
            "employee of Contractor for members Ltd") in err
    assert "reg 14(1)(e)" in err and "add them to it first" in err
    assert "Sample Cook 2 <cook2@example.org>" not in err  # on the staff list: no problem
    # The staff list has Sample Zoë Cook's email address: a name alone is not her...
    code, _, err = _result(cli, "members", "Sample Zoë Cook <zoe@example.org>", unopposed=True)
    assert code == 1 and "is on the staff list with another email address" in err
    # ... nor is someone else at her address.
    code, _, err = _result(cli, "members", "Sam Other <zoe.cook@example.org>", unopposed=True)
    assert code == 1 and "whose name on the staff list is different" in err
    # Put out of scope of the transfer: not one of its affected employees.
    code, _, err = _result(cli, "members", "Sample Cook 3 <cook3@example.org>", unopposed=True)
    assert code == 1 and "out of scope of the transfer" in err and "back in scope" in err
    # One person, one seat.
    code, _, err = _result(cli, "members", "Sample Cook 4 <cook4@example.org>",
                           "sample cook 4 <c4@example.org>", unopposed=True)
    assert code == 1 and "is the same employee as person 1 elected" in err
    _nothing_elected(cli, "members")

    # Matched whatever the case, the spacing or the way the accent is typed (here as "e" and
    # a combining diaeresis): by email address where the staff list has one, else by name.
    _, out, _ = cli("elections", "result", "members", "--result-on", "2025-03-17",
                    "--elected", "SAMPLE ZOE\u0308 COOK <Zoe.Cook@Example.org>",
                    "--elected", "sample  cook 2 <cook2@example.org>", "--unopposed",
                    "--as-of", "2025-03-20")
    assert "2 representative(s) elected" in out
    party = _route(cli, "members", "2025-03-20")
    assert party["route"] == "elected-representatives" and party["elected"] == 2
    steps = _timeline(cli, "members", "--as-of", "2025-03-20")
    # No ballot was needed: its step is done by the result.
    assert steps["election_ballot"]["done_on"] == "2025-03-17"
    assert steps["election_result"]["done_on"] == "2025-03-17"

    # The seat left is a candidate's, and a candidate is an affected employee too.
    code, _, err = cli("add-representative", "members", "--org", "members-co", "--kind",
                       "elected", "--name", "Outsider Person", "--email", "out@example.org",
                       ok=False)
    assert code != 0 and "is not on the staff list" in " ".join(err.split())
    code, _, err = cli("add-representative", "members", "--org", "members-co", "--kind",
                       "elected", "--name", "Sample Cook 2", "--email", "cook2@example.org",
                       ok=False)
    assert code != 0 and "is already recorded" in " ".join(err.split())
    cli("add-representative", "members", "--org", "members-co", "--kind", "elected",
        "--name", "Sample Cook 5", "--email", "cook5@example.org")
    assert _route(cli, "members", "2025-03-20")["elected"] == 3


def test_no_more_are_elected_than_the_seats_or_the_candidates_who_stood(
    database, cli: Cli, tmp_path: Path
) -> None:
    # 2 seats, 1 candidate: the tester's election.
    _election(cli, tmp_path, "one-stood", seats="2", candidates="1")
    code, _, err = _result(cli, "one-stood", "Sample Cook 4 <cook4@example.org>",
                           "Sample Cook 5 <cook5@example.org>", unopposed=True)
    assert code == 1 and "Traceback" not in err
    assert ("those elected: are 2 people, but only 1 candidate stood (as recorded at the "
            "close of nominations)") in err
    assert "reg 14(1)(e)" in err and "name at most 1" in err
    _nothing_elected(cli, "one-stood")
    _, out, _ = cli("elections", "result", "one-stood", "--result-on", "2025-03-17",
                    "--elected", "Sample Cook 4 <cook4@example.org>", "--unopposed",
                    "--as-of", "2025-03-20")
    assert "1 representative(s) elected" in out
    # A seat is left, but nobody else stood for it.
    code, _, err = cli("add-representative", "one-stood", "--org", "one-stood-co", "--kind",
                       "elected", "--name", "Sample Cook 5", "--email", "cook5@example.org",
                       ok=False)
    err = " ".join(err.split())
    assert code != 0 and "1 candidate stood and 1 was elected" in err
    assert _route(cli, "one-stood", "2025-03-20")["elected"] == 1

    # Nobody stood: nobody can be elected, and the way on is reg 13(11).
    _election(cli, tmp_path, "none-stood", seats="2", candidates="0")
    code, _, err = _result(cli, "none-stood", "Sample Cook 4 <cook4@example.org>",
                           unopposed=True)
    assert code == 1 and "those elected: cannot include anyone, as no candidate stood" in err
    assert "record that none were elected instead" in err and "reg 13(11)" in err
    _nothing_elected(cli, "none-stood")


def test_a_contested_seat_is_filled_only_by_a_secret_ballot(
    database, cli: Cli, tmp_path: Path
) -> None:
    # Reg 14(1)(g)-(h): 2 stood for 1 seat, so the employees vote, in secret.
    _election(cli, tmp_path, "contested", seats="1", candidates="2")
    code, _, err = _result(cli, "contested", "Sample Cook 4 <cook4@example.org>",
                           unopposed=True)
    assert code == 1 and "Traceback" not in err
    assert ("--unopposed is only possible when no more candidates stand than there are "
            "seats: 2 candidates stood for 1 seat") in err
    assert "reg 14(1)(g)-(h)" in err and "record the ballot first" in err
    code, _, err = _result(cli, "contested", "Sample Cook 4 <cook4@example.org>")
    assert code == 1 and "record the ballot before the result: 2 candidates stood" in err
    _nothing_elected(cli, "contested")
    assert _timeline(cli, "contested", "--as-of", "2025-03-20")["election_ballot"][
        "status"] == "open"

    cli("elections", "ballot", "contested", "--held-on", "2025-03-14", "--as-of", "2025-03-15")
    code, _, err = _result(cli, "contested", "Sample Cook 4 <cook4@example.org>",
                           "Sample Cook 5 <cook5@example.org>")
    assert code == 1 and "those elected: are 2 people for 1 seat" in err
    assert "reg 14(1)(b)" in err and "name at most 1" in err
    code, _, err = _result(cli, "contested", "Sample Cook 4 <cook4@example.org>",
                           unopposed=True)
    assert code == 1 and "a ballot was held, and its count decides who is elected" in err
    _nothing_elected(cli, "contested")

    _, out, _ = cli("elections", "result", "contested", "--result-on", "2025-03-17",
                    "--elected", "Sample Cook 4 <cook4@example.org>", "--as-of", "2025-03-20")
    assert "1 representative(s) elected" in out
    steps = _timeline(cli, "contested", "--as-of", "2025-03-20")
    assert (steps["election_ballot"]["done_on"], steps["election_result"]["done_on"]) == (
        "2025-03-14", "2025-03-17")
    party = _route(cli, "contested", "2025-03-20")
    assert party["route"] == "elected-representatives" and party["elected"] == 1
    assert party["elections"][0]["candidates"] == 2


# ---------------------------------------------------------------------------------------------
# The API


ADMIN, VIEWER = "admin@example.org", "viewer@example.org"


def test_elections_and_objections_over_the_api(web: WebEnv, cli: Cli, tmp_path: Path) -> None:
    ld = web.ids["ld-to-nct"]
    api = web.api(ADMIN)
    seen = api.get(f"/api/v1/transfers/{ld}/representation").json()
    assert seen["parties"][0]["route"] == "recognised-union"
    refused = api.post(f"/api/v1/transfers/{ld}/elections", json={
        "seats": 2, "term": "a year", "invited_on": "2022-09-12",
        "nominations_close_on": "2022-09-19"})
    assert refused.status_code == 422 and "recognised trade union" in refused.json()["detail"]

    _transfer(cli, "api-team")
    cli("import-employees", "api-team", str(_staff(tmp_path, 12)))
    with read_session(web.engine) as session:
        team = get_transfer(session, "api-team").id
    # The web app judges deadlines as of 20 September 2022 in these tests.
    invited = api.post(f"/api/v1/transfers/{team}/elections", json={
        "seats": 2, "term": "until the transfer", "invited_on": "2022-09-12",
        "nominations_close_on": "2022-09-19"})
    assert invited.status_code == 200 and invited.json()["stage"] == "invited"
    assert web.api(VIEWER).post(f"/api/v1/transfers/{team}/elections/nominations", json={
        "closed_on": "2022-09-19", "candidates": 1}).status_code == 403
    api.post(f"/api/v1/transfers/{team}/elections/nominations",
             json={"closed_on": "2022-09-19", "candidates": 1}).raise_for_status()
    result = api.post(f"/api/v1/transfers/{team}/elections/result", json={
        "result_on": "2022-09-20", "unopposed": True,
        "elected": [{"name": "Sample Cook 2", "email": "cook2@example.org"}]})
    assert result.status_code == 200 and len(result.json()["representative_ids"]) == 1
    party = api.get(f"/api/v1/transfers/{team}/representation").json()["parties"][0]
    assert party["route"] == "elected-representatives"
    assert party["elections"][0]["ballot_on"] is None and party["elections"][0]["result_on"]

    late = api.post(f"/api/v1/transfers/{team}/employees/C001/objection",
                    json={"objected_on": "2025-06-01"})
    assert late.status_code == 422
    assert web.api(VIEWER).post(f"/api/v1/transfers/{team}/employees/C001/objection",
                                json={"objected_on": "2022-09-15"}).status_code == 403
    ok = api.post(f"/api/v1/transfers/{team}/employees/C001/objection",
                  json={"objected_on": "2022-09-15"})
    assert ok.status_code == 200 and ok.json()["acknowledge_with"] == "objection-acknowledgement"


def _summary(page: str) -> dict[str, str]:
    """The error summary: field id (or "" when not linked) -> message."""
    body = page.split('class="govuk-error-summary"', 1)[1].split("</ul>", 1)[0]
    return {field: " ".join(html.unescape(text).split()) for field, text in re.findall(
        r'<li>(?:<a href="#([^"]+)">)?([^<]+)', body)}


def test_the_result_form_and_the_api_say_what_is_wrong_with_a_result(
    web: WebEnv, cli: Cli, tmp_path: Path
) -> None:
    _transfer(cli, "web-vote")
    staff = tmp_path / "web-vote.csv"
    staff.write_text(MEMBERS, encoding="utf-8")
    cli("import-employees", "web-vote", str(staff))
    with read_session(web.engine) as session:
        vote = get_transfer(session, "web-vote").id
    api = web.api(ADMIN)
    # The web app judges deadlines as of 20 September 2022: 2 stand for 1 seat.
    api.post(f"/api/v1/transfers/{vote}/elections", json={
        "seats": 1, "term": "until the transfer", "invited_on": "2022-09-12",
        "nominations_close_on": "2022-09-19"}).raise_for_status()
    api.post(f"/api/v1/transfers/{vote}/elections/nominations",
             json={"closed_on": "2022-09-19", "candidates": 2}).raise_for_status()

    browser = web.browser(ADMIN)
    page = browser.get(f"/transfers/{vote}/representatives").text
    # Contested: the ballot comes before any result.
    assert "/elections/ballot?party=web-vote-co" in page
    assert "/elections/result?party=web-vote-co" not in page
    assert "closed 19 September 2022 with 2 candidates" in page

    form = {"result_on-day": "20", "result_on-month": "9", "result_on-year": "2022",
            "elected-1-name": "Sample Cook 4", "elected-1-email": "cook4@example.org",
            "elected-2-name": "Outsider Person", "elected-2-email": "out@example.org"}
    refused = browser.post(f"/transfers/{vote}/elections/result?party=web-vote-co",
                           {**form, "unopposed": "yes"})
    assert refused.status_code == 422
    errors = _summary(refused.text)
    # Every problem at once, each by the box it is about, saying what to do.
    assert errors["elected-1-name"].startswith(
        "Those elected are 2 people for 1 seat: no more can be elected than the number of "
        "representatives the employer set at the invitation (TUPE reg 14(1)(b))")
    assert errors["elected-2-name"].startswith(
        "Person 2 elected is not on the staff list as an affected employee of Contractor for "
        "web-vote Ltd: only affected employees stand, and so only they can be elected (TUPE "
        "reg 14(1)(e))")
    assert errors["unopposed"] == (
        "Elected unopposed is only possible when no more candidates stand than there are "
        "seats: 2 candidates stood for 1 seat, so the employees choose between them in a "
        "secret ballot (TUPE reg 14(1)(g)-(h)); record the ballot first, then the result")
    assert 'id="unopposed-error"' in refused.text  # by the box too
    refused = browser.post(f"/transfers/{vote}/elections/result?party=web-vote-co",
                           {**form, "elected-2-name": "", "elected-2-email": ""})
    assert refused.status_code == 422
    assert _summary(refused.text)[""].startswith(
        "Record the ballot before the result: 2 candidates stood for 1 seat, so the "
        "employees choose between them in a secret ballot (TUPE reg 14(1)(g)-(h))")

    # The API refuses alike, naming each person's problem; nothing is written.
    refused_api = api.post(f"/api/v1/transfers/{vote}/elections/result", json={
        "result_on": "2022-09-20", "unopposed": True,
        "elected": [{"name": "Outsider Person", "email": "out@example.org"}]})
    assert refused_api.status_code == 422
    problem = refused_api.json()["problems"][-1]
    assert problem["field"] == "elected[0]" and problem["code"] == "not_affected"
    assert problem["label"] == "Outsider Person <out@example.org>"
    assert "unopposed" in refused_api.json()["problems"][0]["field"]
    party = api.get(f"/api/v1/transfers/{vote}/representation").json()["parties"][0]
    assert party["elected"] == 0 and party["elections"][0]["result_on"] is None

    # After the ballot, the winner is elected.
    api.post(f"/api/v1/transfers/{vote}/elections/ballot",
             json={"held_on": "2022-09-20"}).raise_for_status()
    done = browser.post(f"/transfers/{vote}/elections/result?party=web-vote-co",
                        {**form, "elected-2-name": "", "elected-2-email": ""})
    assert done.status_code == 303
    party = api.get(f"/api/v1/transfers/{vote}/representation").json()["parties"][0]
    assert party["route"] == "elected-representatives" and party["elected"] == 1
