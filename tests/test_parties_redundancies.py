"""Who owes each step (reg 11, reg 13(2), reg 13(4)), each employer's own reg 13 letter, who
bears the money at risk (reg 12, reg 15(9), TULRCA s.189), and collective redundancies (TULRCA
s.188, s.193, s.198A) with their HR1 and s.188(4) letters. All data is synthetic."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy.engine import Engine

from tests.conftest import Cli
from transfer_engine.letters import service
from transfer_engine.letters.particulars import import_particulars
from transfer_engine.store.database import read_session
from transfer_engine.workflow.loader import WorkflowLibrary

WORKFLOWS = Path(__file__).resolve().parents[1] / "workflows"
TODAY = date(2022, 9, 16)

# ---------------------------------------------------------------------------------------------
# Who owes each step


def test_every_step_of_every_shipped_workflow_says_who_owes_it() -> None:
    for definition in WorkflowLibrary(WORKFLOWS).all():
        unstated = [s for s, step in definition.steps.items() if step.owed_by is None]
        assert unstated == [], f"{definition.id}: no owed_by on {unstated}"
    base = WorkflowLibrary(WORKFLOWS).get("tupe-base").steps
    assert base["eli"].owed_by == "transferor"                      # reg 11
    assert base["measures"].owed_by == "transferee"                 # reg 13(4)
    assert base["inform_representatives"].owed_by == "each"         # reg 13(2)
    assert base["consultation"].owed_by == "each"                   # reg 13(6)
    assert base["confirmation_letters"].owed_by == "transferee"


def test_an_unknown_party_is_refused_naming_the_step(tmp_path: Path) -> None:
    (tmp_path / "mine.yaml").write_text(yaml.safe_dump({
        "id": "mine", "version": 1, "title": "Mine", "extends": None, "initial": "a",
        "key_dates": {"transfer": {"label": "Transfer", "required": True}},
        "states": {"a": {"label": "A", "final": True}},
        "steps": {"x": {"title": "X", "legal_basis": "practice", "due": "on transfer",
                        "owed_by": "the council"}}}))
    from transfer_engine.errors import WorkflowError

    with pytest.raises(WorkflowError) as raised:
        WorkflowLibrary(tmp_path)
    assert "steps.x.owed_by" in str(raised.value)
    assert "transferor" in str(raised.value) and "each" in str(raised.value)


def test_timeline_and_status_say_who_owes_each_step(demo: Engine, cli: Cli) -> None:
    timeline = {row["step"]: row for row in cli.json("timeline", "ld-to-nct")}
    assert timeline["eli"]["owed_by"] == "transferor"
    assert timeline["measures"]["owed_by"] == "transferee"
    assert timeline["inform_representatives"]["owed_by"] == "each"
    _, table, _ = cli("timeline", "ld-to-nct", "--as-of", "2022-09-08")
    assert "owed" in table  # a column of its own (the table wraps in a narrow terminal)

    status = cli.json("status", "ld-to-nct", "--as-of", "2022-09-08")
    by_party = status["open_steps_by_party"]
    assert "eli" in by_party["transferor"] and "measures" in by_party["transferee"]
    assert "inform_representatives" in by_party["each"]
    _, text, _ = cli("status", "ld-to-nct", "--as-of", "2022-09-08")
    assert "Open, owed by the transferee (Northamptonshire Children's Trust): measures" in text
    assert "owed by each employer, for its own affected employees" in text


def test_the_transfer_page_says_who_owes_each_step(web) -> None:
    officer = web.as_role("hr_officer")
    page = officer.get(f"/transfers/{web.ids['ld-to-nct']}").text
    row = page.split('id="step-measures"', 1)[1].split("</tr>", 1)[0]
    assert "Owed by the transferee (Northamptonshire Children&#39;s Trust)" in row or \
        "Owed by the transferee (Northamptonshire Children's Trust)" in row
    row = page.split('id="step-eli"', 1)[1].split("</tr>", 1)[0]
    assert "Owed by the transferor (North Northamptonshire Council)" in row


# ---------------------------------------------------------------------------------------------
# Each employer's own reg 13 letter


def _letter_text(session: Any, letter: str, recipient: str, ref: str = "ld-to-nct") -> str:
    body, _, _ = service.preview_file(session, ref, letter, recipient, fmt="txt", today=TODAY)
    return " ".join(body.decode("utf-8").split())


def _rep_ref(session: Any, ref: str, name: str) -> str:
    found = [c.ref for c in service.recipients(session, ref, "reg13-information")
             if c.label.startswith(name)]
    assert len(found) == 1, found
    return found[0]


def test_the_transferee_s_representatives_receive_the_transferee_s_own_letter(
        demo: Engine) -> None:
    import_particulars("ld-to-nct", {"transfer": {
        "transferee_measures": ["Pay day moves to the 28th of each month (sample)."],
        "transferee_own_measures": ["NCT's own training officers move to a new team "
                                    "structure with the newcomers (sample)."]}}, actor="test")

    with read_session(demo) as session:
        nnc_rep = _rep_ref(session, "ld-to-nct", "UNISON branch secretary")
        nct_rep = _rep_ref(session, "ld-to-nct", "UNISON NCT steward")
        from_nnc = _letter_text(session, "reg13-information", nnc_rep)
        from_nct = _letter_text(session, "reg13-information", nct_rep)

    # The transferor's letter to its own union: signed by NNC, with the transferee's measures
    # as received under reg 13(4) at (d).
    assert "Yours sincerely" in from_nnc
    assert from_nnc.rstrip().endswith("North Northamptonshire Council")
    assert "(d) Measures envisaged by Northamptonshire Children's Trust" in from_nnc
    assert "Pay day moves to the 28th" in from_nnc
    assert "NCT's own training officers" not in from_nnc

    # The transferee's letter to the union of its own staff: signed by NCT, with the measures
    # NCT envisages for its own affected employees at (c), not the transferor's view at (d).
    assert from_nct.rstrip().endswith("Northamptonshire Children's Trust")
    assert ("(c) Measures envisaged by Northamptonshire Children's Trust for its own affected "
            "employees") in from_nct
    assert "NCT's own training officers" in from_nct
    assert "(d) Measures envisaged by Northamptonshire Children's Trust" not in from_nct
    assert "Pay day moves to the 28th" not in from_nct
    assert "North Northamptonshire Council informs the representatives of its own" in from_nct

    report = service.issue_letters("ld-to-nct", "reg13-information", actor="test", today=TODAY)
    assert len(report.issued) == 2
    from tests.letter_fixtures import letters

    senders = {row.recipient_ref: row.data["sender"] for row in letters(demo)}
    assert senders[nnc_rep]["name"] == "North Northamptonshire Council"
    assert senders[nnc_rep]["role"] == "transferor"
    assert senders[nct_rep]["name"] == "Northamptonshire Children's Trust"
    assert senders[nct_rep]["role"] == "transferee"


def test_the_transferee_s_letter_needs_its_own_measures_recorded(demo: Engine, cli: Cli) -> None:
    import_particulars("ld-to-nct", {"transfer": {"transferee_own_measures": None}},
                       actor="test")
    code, _, err = cli("letters", "issue", "ld-to-nct", "reg13-information", "--as-of",
                       TODAY.isoformat(), ok=False)
    assert code == 1
    message = " ".join(err.split())
    assert "UNISON NCT steward (sample)" in message
    assert "transfer.transferee_own_measures" in message
    assert "UNISON branch secretary (sample) (UNISON): missing" not in message


# ---------------------------------------------------------------------------------------------
# Who bears the money at risk


def test_exposure_names_who_bears_each_sum(demo: Engine, cli: Cli) -> None:
    # Nothing done by 5 October: the ELI (reg 12) and reg 13 informing (reg 15) are late.
    risk = cli.json("status", "ld-to-nct", "--as-of", "2022-10-05")["exposure"]
    items = {item["remedy"]: item for item in risk["items"]}
    assert set(items) == {"reg12", "reg15"}
    assert items["reg12"]["borne_by"] == "transferor"        # the transferee's claim (reg 12)
    assert items["reg12"]["jointly_liable"] is None
    assert items["reg12"]["amount"] == risk["reg12_minimum"]
    assert items["reg15"]["borne_by"] == "transferor"        # the failure is the transferor's
    assert items["reg15"]["jointly_liable"] == "transferee"  # reg 15(9)
    assert items["reg15"]["amount"] == risk["reg15_maximum"]
    assert "inform_representatives" in items["reg15"]["steps"]
    assert any("borne by the transferor (the transferee's claim against it" in r
               for r in risk["reasons"])
    assert any("jointly and severally liable (reg 15(9))" in r for r in risk["reasons"])
    _, text, _ = cli("status", "ld-to-nct", "--as-of", "2022-10-05")
    assert "jointly and severally liable (reg 15(9))" in " ".join(text.split())


def test_a_reg15_step_owed_by_the_transferee_alone_is_borne_by_the_transferee(
        tmp_path: Path) -> None:
    from transfer_engine.rules.exposure import StaffFigures, _reg15

    figures = StaffFigures(affected=2, transferring=2, weekly_pay=Decimal("1000"))
    own = _reg15(["measures"], {"measures": "transferee"}, figures)
    assert (own.borne_by, own.jointly_liable, own.amount) == ("transferee", None,
                                                              Decimal("13000.00"))
    theirs = _reg15(["consultation"], {"consultation": "each"}, figures)
    assert (theirs.borne_by, theirs.jointly_liable) == ("transferor", "transferee")


# ---------------------------------------------------------------------------------------------
# Collective redundancies

FIRST_DISMISSAL = date(2026, 3, 2)
TRANSFER = date(2026, 1, 5)


def _redundancy_transfer(cli: Cli, ref: str, proposed: int, *, transfer: date = TRANSFER,
                         first: date = FIRST_DISMISSAL) -> None:
    cli("organisations", "add", f"{ref}-co", "--name", f"Sample Facilities {ref} Ltd",
        "--kind", "company", "--headcount", "900")
    cli("organisations", "add", f"{ref}-council", "--name", f"Sample Council {ref}", "--kind",
        "council", "--headcount", "4000")
    cli("create", ref, "--workflow", "collective-redundancies", "--title",
        f"Facilities management back in house ({ref}, sample)", "--from", f"{ref}-co",
        "--to", f"{ref}-council", "--transfer-date", transfer.isoformat(), "--decision-date",
        (transfer - timedelta(weeks=12)).isoformat(), "--date",
        f"first_dismissal={first.isoformat()}", "--regime-reason",
        "service provision change back in house, reg 3(1)(b)(iii)",
        "--proposed-dismissals", str(proposed), "--establishment", "Sample Depot, Riverside")


def _timeline(cli: Cli, ref: str, *args: str) -> dict[str, dict[str, Any]]:
    return {row["step"]: row for row in cli.json("timeline", ref, *args)}


def test_s188_consultation_is_due_30_days_before_the_first_dismissal_for_25(
        database: Engine, cli: Cli) -> None:
    _redundancy_transfer(cli, "fm-25", 25)
    steps = _timeline(cli, "fm-25")
    thirty = (FIRST_DISMISSAL - timedelta(days=30)).isoformat()
    assert steps["s188_consultation"]["due_date"] == thirty == "2026-01-31"
    assert "s.188(1A)(b)" in steps["s188_consultation"]["legal_basis"]
    assert steps["hr1"]["due_date"] == thirty
    assert "filed online only from 30 November 2025" in steps["hr1"]["legal_basis"]
    assert steps["s198a_agreement"]["due_date"] == thirty
    for step in ("s188_consultation", "hr1", "s198a_agreement", "dismissal_notices"):
        assert steps[step]["owed_by"] == "transferee", step


def test_with_120_proposed_it_is_45_days_and_recording_the_number_moves_it(
        database: Engine, cli: Cli) -> None:
    _redundancy_transfer(cli, "fm-120", 120)
    steps = _timeline(cli, "fm-120")
    forty_five = (FIRST_DISMISSAL - timedelta(days=45)).isoformat()
    assert steps["s188_consultation"]["due_date"] == forty_five == "2026-01-16"
    assert "s.188(1A)(a)" in steps["s188_consultation"]["legal_basis"]
    assert steps["hr1"]["due_date"] == forty_five

    # Fewer proposed after all: the period follows the number recorded.
    moved = cli.json("redundancies", "fm-120", "--proposed", "60", "--establishment",
                     "Sample Depot, Riverside")
    assert {m["step"]: m["new_due"] for m in moved["moved"]}["s188_consultation"] == \
        "2026-01-31"
    assert [h for h in cli.json("history", "fm-120") if h["action"] == "redundancy-proposal"]

    # Fewer than 20: no collective consultation duty.
    cli("redundancies", "fm-120", "--proposed", "12", "--establishment", "Sample Depot")
    steps = _timeline(cli, "fm-120")
    assert steps["s188_consultation"]["status"] == "not-applicable"
    assert steps["hr1"]["status"] == "not-applicable"


def test_before_6_april_2013_100_or_more_needed_90_days(database: Engine, cli: Cli) -> None:
    _redundancy_transfer(cli, "fm-2012", 150, transfer=date(2012, 10, 1),
                         first=date(2013, 1, 31))
    steps = _timeline(cli, "fm-2012")
    assert steps["s188_consultation"]["due_date"] == "2012-11-02"  # 90 days before
    assert "SI 1995/2587" in steps["s188_consultation"]["legal_basis"]
    assert steps["s198a_agreement"]["status"] == "not-applicable"  # s.198A from 31 Jan 2014


def test_notices_of_dismissal_wait_for_the_hr1_and_consultation(
        database: Engine, cli: Cli) -> None:
    _redundancy_transfer(cli, "fm-notice", 25)
    cli("advance", "fm-notice", "approve", "--note", "Cabinet (sample)", "--as-of", "2025-12-01")
    status = cli.json("status", "fm-notice", "--as-of", "2025-12-01")
    notices = next(t for t in status["triggers"] if t["trigger"] == "give_dismissal_notices")
    assert not notices["ready"]
    assert "hr1" in json.dumps(notices["blocked_by"])
    code, _, _ = cli("advance", "fm-notice", "give_dismissal_notices", "--as-of", "2025-12-01",
                     ok=False)
    assert code != 0
    assert _timeline(cli, "fm-notice")["dismissal_notices"]["status"] == "open"


def test_the_protective_award_is_up_to_90_days_pay_per_employee_proposed(
        database: Engine, cli: Cli, tmp_path: Path) -> None:
    _redundancy_transfer(cli, "fm-award", 25)
    staff = tmp_path / "staff.csv"
    staff.write_text("employee_ref,full_name,role,fte,weekly_pay\n" + "".join(
        f"F{i:03},Sample Operative {i},Operative,1,700\n" for i in range(1, 31)))
    cli("import-employees", "fm-award", str(staff))

    before = cli.json("status", "fm-award", "--as-of", "2026-01-31")["exposure"]
    assert before["protective_award_maximum"] == "0"
    # The day after s.188 consultation had to begin, with nothing recorded.
    risk = cli.json("status", "fm-award", "--as-of", "2026-02-01")["exposure"]
    # 25 proposed x GBP 700 a week x 90/7 weeks.
    assert Decimal(risk["protective_award_maximum"]) == Decimal("225000.00")
    award = [i for i in risk["items"] if i["remedy"] == "s189"]
    assert len(award) == 1 and award[0]["borne_by"] == "transferee"
    assert award[0]["steps"] == ["s188_consultation"]
    assert Decimal(risk["total"]) >= Decimal("225000.00")
    assert any("up to 90 days' pay x 25 employee(s) proposed for dismissal" in r
               for r in risk["reasons"])


REDUNDANCY_PARTICULARS: dict[str, Any] = {
    "transfer": {
        "service": "Facilities management (sample)",
        "redundancy_reasons": "Two depots merge into one after the transfer (sample data).",
        "redundancy_groups": [
            {"description": "Cleaning operatives (sample)", "proposed": 18, "employed": 40},
            {"description": "Drivers (sample)", "proposed": 7, "employed": 12}],
        "selection_method": "A published matrix of skills and attendance (sample).",
        "dismissal_method": "Notice given in writing from 2 February 2026; dismissals take "
                            "effect over four weeks (sample).",
        "redundancy_pay_method": "Statutory redundancy pay with a 1.5 multiplier (sample).",
        "agency_workers": "Three agency drivers at the north depot (sample).",
        "meeting_date": "2026-01-10", "meeting_place": "Sample Depot canteen",
        "consultation_start": "2026-01-05", "hr1_submitted_on": "2026-01-06",
        "hr1_reference": "HR1-SAMPLE-0001",
    },
    "organisations": {
        "fm-letters-council": {"address": ["HR (sample address)", "Riverside"],
                               "signatory_name": "Sample Signatory",
                               "signatory_title": "Head of HR (sample)"}},
    "representatives": {"Sample GMB rep": {"salutation": "Colleague",
                                           "address": ["GMB (sample address)"]}},
}


def test_hr1_and_s188_letters_go_to_the_representatives_from_the_transferee(
        database: Engine, cli: Cli) -> None:
    _redundancy_transfer(cli, "fm-letters", 25)
    cli("add-representative", "fm-letters", "--org", "fm-letters-co", "--kind",
        "recognised-union", "--name", "Sample GMB rep", "--union", "GMB", "--email",
        "gmb.rep@example.org")
    import_particulars("fm-letters", REDUNDANCY_PARTICULARS, actor="test")

    with read_session(database) as session:
        rep = service.recipients(session, "fm-letters", "s188-disclosure")[0].ref
        disclosure = _letter_text(session, "s188-disclosure", rep, "fm-letters")
        hr1 = _letter_text(session, "hr1-notification", rep, "fm-letters")
        for letter in ("s188-disclosure", "hr1-notification"):
            for fmt in ("pdf", "docx", "html"):
                body, _, _ = service.preview_file(session, "fm-letters", letter, rep, fmt=fmt,
                                                  today=TODAY)
                assert body, (letter, fmt)

    # s.188(4)(a)-(h), from the transferee, counts and descriptions only.
    assert disclosure.rstrip().endswith("Sample Council fm-letters")
    for expected in ("(a) The reasons for our proposals", "Two depots merge into one",
                     "Cleaning operatives (sample) 18 of 40", "Drivers (sample) 7 of 12",
                     "In all 25", "A published matrix", "over four weeks",
                     "1.5 multiplier", "Three agency drivers", "2 March 2026",
                     "section 198A"):
        assert expected in disclosure, expected
    # The HR1 copy (s.193(6)).
    for expected in ("HR1-SAMPLE-0001", "6 January 2026", "Dismissals proposed 25",
                     "Sample Depot, Riverside", "5 January 2026", "before giving any notice"):
        assert expected in hr1, expected

    issued = cli.json("letters", "issue", "fm-letters", "s188-disclosure", "--as-of",
                      TODAY.isoformat())
    assert issued["issued"] == 1


def test_redundancy_letters_go_to_nobody_where_none_are_proposed(demo: Engine, cli: Cli) -> None:
    with read_session(demo) as session:
        assert service.recipients(session, "ld-to-nct", "hr1-notification") == []
    code, _, err = cli("letters", "issue", "ld-to-nct", "hr1-notification", ok=False)
    assert code != 0
    message = " ".join(err.split())
    assert "unless transfer.proposed_dismissals is recorded" in message
    # Said in the domain's words (errors are data: no engine message names a command).
    assert "record the number of dismissals as redundant proposed" in message


def test_a_changed_date_reaches_each_representative_from_the_employer_that_informed_them(
        demo: Engine, cli: Cli) -> None:
    service.issue_letters("ld-to-nct", "reg13-information", actor="test", today=TODAY)
    cli("reschedule", "ld-to-nct", "transfer", "2022-12-01", "--reason",
        "The trust asked for a later date (sample)")
    cli("letters", "issue", "ld-to-nct", "date-change", "--as-of", "2022-09-23")
    from tests.letter_fixtures import letters

    first = {row.recipient_ref: row.data["sender"]["name"]
             for row in letters(demo, letter="reg13-information")}
    notices = {row.recipient_ref: row.data["sender"]["name"]
               for row in letters(demo, letter="date-change")
               if row.recipient_ref.startswith("representative:")}
    assert notices == first  # "supersedes our letter": the same employer's
    assert set(first.values()) == {"North Northamptonshire Council",
                                   "Northamptonshire Children's Trust"}
