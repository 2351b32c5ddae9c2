"""Representatives are recorded for a party to the transfer, and each person once per employer
(reg 13(2)-(3): each employer informs the representatives of its own affected employees).

The command line, the web form and the API refuse alike, naming the parties or the
representative already recorded and since when, and write nothing. All data is synthetic.
"""

from __future__ import annotations

import html
import re
import unicodedata
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import col, func, select

from tests.conftest import Cli
from tests.web_fixtures import WebEnv
from transfer_engine.dates.clock import uk_date, utcnow
from transfer_engine.store.database import read_session
from transfer_engine.store.people import Representative
from transfer_engine.store.queries import get_transfer
from transfer_engine.store.transfers import AuditEntry

LD = "ld-to-nct"


def _state(engine: Engine, ref: str) -> tuple[list[tuple[str, str, str | None]], int, int]:
    """The transfer's representatives (name, email, union), its version and its audit entries
    recording representatives: what a refusal must leave as it was."""
    with read_session(engine) as session:
        transfer = get_transfer(session, ref)
        reps = session.exec(select(Representative).where(
            Representative.transfer_id == transfer.id).order_by(col(Representative.id))).all()
        added = session.exec(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.transfer_id == transfer.id,
            col(AuditEntry.action).in_(["representative-added", "election-result"]))).one()
        return [(r.name, r.email, r.union) for r in reps], transfer.version, added


def _add(cli: Cli, ref: str, org: str, name: str, email: str, *more: str,
         ok: bool = True) -> tuple[int, str]:
    code, out, err = cli("add-representative", ref, "--org", org, "--name", name, "--email",
                         email, *more, ok=ok)
    return code, " ".join((out + err).split())


def _today() -> str:
    return uk_date(utcnow()).isoformat()


# ---------------------------------------------------------------------------------------------
# Only a party's representatives


def test_a_representative_of_an_organisation_not_a_party_is_refused_naming_the_parties(
        demo: Engine, cli: Cli) -> None:
    before = _state(demo, LD)
    code, err = _add(cli, LD, "wnc", "Wrong org", "w@example.org", ok=False)
    assert code == 1 and "Traceback" not in err
    assert ("--org names West Northamptonshire Council (wnc), which is not a party to "
            "ld-to-nct") in err
    assert "reg 13(2)-(3)" in err
    assert ("the transferor, North Northamptonshire Council (nnc), or the transferee, "
            "Northamptonshire Children's Trust (nct)") in err
    assert "Nothing was recorded" in err
    assert _state(demo, LD) == before
    # The reg 13 letter still goes only to the representatives recorded before.
    recipients = cli.json("letters", "list", LD, "--recipients", "reg13-information")
    assert "Wrong org" not in str(recipients)


def test_a_school_s_representatives_are_sent_to_its_own_transfer_or_its_employer(
        demo: Engine, cli: Cli) -> None:
    programme = _state(demo, "acsws-to-schools")
    # An academy is a party to its own transfer in the programme, not to the programme.
    code, err = _add(cli, "acsws-to-schools", "school-07", "Academy steward", "a7@example.org",
                     ok=False)
    assert code == 1
    assert "which is not a party to acsws-to-schools" in err
    assert "North Northamptonshire Council (nnc), the transferor and the transferee" in err
    assert "in this programme's transfer acsws-to-schools/school-07: record them there" in err
    assert _state(demo, "acsws-to-schools") == programme
    _add(cli, "acsws-to-schools/school-07", "school-07", "Academy steward", "a7@example.org")

    # At a community school the council that maintains it employs the staff (and is the
    # transferee the school's transfer records).
    school = _state(demo, "acsws-to-schools/school-03")
    code, err = _add(cli, "acsws-to-schools/school-03", "school-03", "School 3 steward",
                     "s3@example.org", ok=False)
    assert code == 1
    assert ("its staff are employed by the council that maintains it, West Northamptonshire "
            "Council (wnc), so record a representative of its staff for wnc") in err
    assert _state(demo, "acsws-to-schools/school-03") == school
    _add(cli, "acsws-to-schools/school-03", "wnc", "School 3 steward", "s3@example.org")


# ---------------------------------------------------------------------------------------------
# Each person once for each employer


def test_the_same_representative_twice_is_refused_saying_since_when(
        demo: Engine, cli: Cli) -> None:
    gmb = ("GMB rep (sample)", "gmb@example.org", "--union", "GMB")
    _, out = _add(cli, LD, "nnc", *gmb)
    assert "added representative GMB rep (sample)" in out
    before = _state(demo, LD)

    code, err = _add(cli, LD, "nnc", *gmb, ok=False)
    assert code == 1 and "Traceback" not in err
    assert (f"--name is already recorded: GMB rep (sample) (GMB) has been recorded as a "
            f"representative of North Northamptonshire Council (nnc)'s employees in ld-to-nct "
            f"since {_today()}") in err
    assert "Nothing was recorded" in err and "--email" not in err  # one person, said once
    # The same name whatever its case, spacing or Unicode form, with the same union.
    code, err = _add(cli, LD, "nnc", "gmb  REP (Sample)", "other@example.org", "--union",
                     "gmb", ok=False)
    assert code == 1 and "--name is already recorded" in err
    # Another name at the same address is the same person.
    code, err = _add(cli, LD, "nnc", "G. Rep", "GMB@example.org", "--union", "GMB", ok=False)
    assert code == 1 and "--email is already recorded: it is the address of GMB rep " \
                         "(sample) (GMB)" in err
    assert _state(demo, LD) == before

    composed = unicodedata.normalize("NFC", "Zoë Núñez (sample)")
    _add(cli, LD, "nnc", composed, "zoe@example.org", "--kind", "existing", "--authority",
         "Chair of the staff forum, terms of reference para 4 (sample)")
    code, err = _add(cli, LD, "nnc", unicodedata.normalize("NFD", composed).upper(),
                     "zoe.nunez@example.org", "--kind", "existing", "--authority",
                     "Chair of the staff forum, terms of reference para 4 (sample)", ok=False)
    assert code == 1 and "--name is already recorded: Zoë Núñez (sample) has been" in err


def test_representatives_of_both_parties_and_two_of_one_union_are_recorded(
        demo: Engine, cli: Cli) -> None:
    reps, _, _ = _state(demo, LD)
    _add(cli, LD, "nnc", "Sample GMB steward A", "gmb.a@example.org", "--union", "GMB")
    _add(cli, LD, "nnc", "Sample GMB steward B", "gmb.b@example.org", "--union", "GMB")
    # The same union officer may act for the transferee's own employees too.
    _add(cli, LD, "nct", "Sample GMB steward A", "gmb.a@example.org", "--union", "GMB")
    # The same name for another union is someone else.
    _add(cli, LD, "nnc", "Sample GMB steward A", "unite.a@example.org", "--union", "Unite")
    after, _, _ = _state(demo, LD)
    assert after[len(reps):] == [
        ("Sample GMB steward A", "gmb.a@example.org", "GMB"),
        ("Sample GMB steward B", "gmb.b@example.org", "GMB"),
        ("Sample GMB steward A", "gmb.a@example.org", "GMB"),
        ("Sample GMB steward A", "unite.a@example.org", "Unite")]
    parties = {p["role"]: p for p in cli.json("elections", "show", LD)["parties"]}
    assert parties["transferor"]["recognised_unions"] == 4
    assert parties["transferee"]["recognised_unions"] == 2


# ---------------------------------------------------------------------------------------------
# The web form and the API refuse alike


def _errors(page: str) -> dict[str, str]:
    summary = page.split('class="govuk-error-summary"', 1)
    assert len(summary) == 2, "no error summary"
    body = summary[1].split("</ul>", 1)[0]
    return {field: html.unescape(text) for field, text in
            re.findall(r'<a href="#([^"]+)">([^<]+)</a>', body)}


def test_the_web_form_refuses_a_representative_already_recorded_on_its_boxes(
        web: WebEnv) -> None:
    officer = web.as_role("hr_officer")
    add = f"/transfers/{web.ids[LD]}/representatives/add"
    gmb = {"organisation": "nnc", "kind": "recognised-union", "name": "GMB rep (sample)",
           "union": "GMB", "email": "gmb@example.org"}
    assert officer.post(add, gmb).status_code == 303
    before = _state(web.engine, LD)

    again = officer.post(add, gmb)
    assert again.status_code == 422
    errors = _errors(again.text)
    assert errors["name"].startswith(
        "The name is already recorded: GMB rep (sample) (GMB) has been recorded as a "
        "representative of North Northamptonshire Council (nnc)'s employees in ld-to-nct "
        f"since {_today()}")
    assert "email" not in errors
    same_address = officer.post(add, {**gmb, "name": "Another GMB rep"})
    assert same_address.status_code == 422
    assert _errors(same_address.text)["email"].startswith(
        "The email address is already recorded: it is the address of GMB rep (sample) (GMB)")
    wrong = officer.post(add, {**gmb, "organisation": "wnc", "name": "Wrong org"})
    assert wrong.status_code == 422
    assert _errors(wrong.text)["organisation"] == "Select whose employees they represent"
    assert _state(web.engine, LD) == before


def test_an_election_result_records_each_person_once(
        web: WebEnv, cli: Cli, tmp_path: Path) -> None:
    cli("organisations", "add", "once-co", "--name", "Sample Contractor Ltd", "--kind",
        "company", "--headcount", "300")
    cli("organisations", "add", "once-council", "--name", "Sample Council", "--kind",
        "council", "--headcount", "4000")
    cli("create", "once", "--title", "Catering back in house (sample)", "--from", "once-co",
        "--to", "once-council", "--transfer-date", "2023-01-01", "--decision-date",
        "2022-09-01", "--regime-reason", "service provision change back in house, reg 3(1)(b)")
    staff = tmp_path / "staff.csv"
    staff.write_text("employee_ref,full_name,role,fte,weekly_pay\n" + "".join(
        f"C{i:03},Sample Cook {i},Cook,1,400\n" for i in range(1, 13)), encoding="utf-8")
    cli("import-employees", "once", str(staff))
    with read_session(web.engine) as session:
        once = get_transfer(session, "once").id
    api = web.api("admin@example.org")
    # The web app judges deadlines as of 20 September 2022 in these tests.
    api.post(f"/api/v1/transfers/{once}/elections", json={
        "seats": 3, "term": "until the transfer", "invited_on": "2022-09-12",
        "nominations_close_on": "2022-09-19"}).raise_for_status()
    api.post(f"/api/v1/transfers/{once}/elections/nominations",
             json={"closed_on": "2022-09-19", "candidates": 3}).raise_for_status()
    before = _state(web.engine, "once")

    twice = api.post(f"/api/v1/transfers/{once}/elections/result", json={
        "result_on": "2022-09-20", "unopposed": True,
        "elected": [{"name": "Sample Cook 1", "email": "cook1@example.org"},
                    {"name": "SAMPLE COOK 1", "email": "cook.1@example.org"}]})
    assert twice.status_code == 422
    problems = twice.json()["problems"]
    assert [(p["field"], p["code"]) for p in problems] == [("elected[1]", "duplicate")]
    assert "is the same employee as person 1 elected" in problems[0]["message"]
    assert _state(web.engine, "once") == before

    api.post(f"/api/v1/transfers/{once}/elections/result", json={
        "result_on": "2022-09-20", "unopposed": True,
        "elected": [{"name": "Sample Cook 1", "email": "cook1@example.org"},
                    {"name": "Sample Cook 2", "email": "cook2@example.org"}]}).raise_for_status()
    # The third seat: someone already elected is not added again.
    code, err = _add(cli, "once", "once-co", "Sample Cook 1", "cook.1@example.org", "--kind",
                     "elected", ok=False)
    assert code == 1 and "--name is already recorded: Sample Cook 1 has been recorded as a " \
                         "representative of Sample Contractor Ltd (once-co)'s employees" in err
    _add(cli, "once", "once-co", "Sample Cook 3", "cook3@example.org", "--kind", "elected")
