"""Every deadline of the three seed transfers, against the dates in the council reports."""

from datetime import date

import pytest

from tests.conftest import Cli


def _timeline(cli: Cli, ref: str) -> dict[str, dict]:
    return {row["step"]: row for row in cli.json("timeline", ref)}


def test_demo_then_timeline_shows_each_eli_deadline(demo, cli: Cli) -> None:
    ld = _timeline(cli, "ld-to-nct")
    assert ld["eli"]["due_date"] == "2022-10-04"
    assert ld["eli"]["working_due_date"] == "2022-10-04"
    assert "reg 11(6)" in ld["eli"]["legal_basis"]

    send = _timeline(cli, "send-iass-to-wnc")
    assert send["eli"]["due_date"] == "2023-03-04"  # a Saturday
    assert send["eli"]["working_due_date"] == "2023-03-03"
    assert "Saturday" in send["eli"]["note"]

    acsw = _timeline(cli, "acsws-to-schools")
    assert acsw["eli"]["due_date"] == "2023-08-04"
    for n in range(1, 13):
        school = _timeline(cli, f"acsws-to-schools/school-{n:02d}")
        if school["eli"]["status"] != "not-applicable":
            assert school["eli"]["due_date"] == "2023-08-04"


@pytest.mark.parametrize(("ref", "expected"), [
    ("ld-to-nct", {
        "decision": "2022-09-07",
        "advise_unions": "2022-09-14",       # 5 working days after the decision
        # The transferee's measures come before the letter that gives them (reg 13(4)); they
        # were 10 working days after the decision (22 Sep), two days after that letter.
        "measures": "2022-09-14",            # 1 week after the decision
        "inform_representatives": "2022-09-20",
        "notify_employees": "2022-09-27",
        "eli": "2022-10-04",
        "change_control": "2022-10-18",
        "consultation": "2022-10-25",
        "revised_sla": "2022-10-31",
        "go_live": "2022-11-01",
        "funding_transfer": "2022-11-01",
        "confirmation_letters": "2022-12-01",
        "claims_window": "2023-01-31",
    }),
    ("send-iass-to-wnc", {
        "decision": "2022-10-26",
        "dpia": "2023-03-04",
        "eli": "2023-03-04",
        "deed_of_variation": "2023-03-31",
        "service_and_exit_plans": "2023-03-31",
        "go_live": "2023-04-01",
        "claims_window": "2023-06-30",
    }),
    ("acsws-to-schools", {
        "decision": "2022-12-22",
        "wnc_cabinet": "2023-01-17",
        "delivery_plan": "2023-03-31",
        "consultation": "2023-07-31",
        "trading_contract": "2023-07-31",
        "transfer_plans": "2023-08-31",
        "eli": "2023-08-04",
        "go_live": "2023-09-01",
    }),
])
def test_seed_step_deadlines(demo, cli: Cli, ref: str, expected: dict[str, str]) -> None:
    timeline = _timeline(cli, ref)
    assert {step: timeline[step]["due_date"] for step in expected} == expected


def test_working_due_dates_of_weekend_deadlines(demo, cli: Cli) -> None:
    send = _timeline(cli, "send-iass-to-wnc")
    # Go-live on Saturday 1 April 2023: HR's last working day is Friday 31 March.
    assert send["go_live"]["working_due_date"] == "2023-03-31"
    # Claims window ends Friday 30 June 2023, a working day.
    assert send["claims_window"]["working_due_date"] == "2023-06-30"


def test_each_school_type_decides_whether_the_employer_changes(demo, cli: Cli) -> None:
    regimes = {}
    for n in range(1, 13):
        status = cli.json("status", f"acsws-to-schools/school-{n:02d}")
        regimes[n] = status["regime"]
    # Community and voluntary-controlled schools maintained by NNC: NNC stays the employer.
    assert regimes[1] == regimes[2] == regimes[4] == "not-a-transfer"
    # Community schools maintained by WNC: another council becomes the employer (COSOP).
    assert regimes[3] == regimes[12] == "COSOP"
    # Foundation, voluntary-aided and academies: the governing body or trust employs.
    assert all(regimes[n] == "TUPE" for n in (5, 6, 7, 8, 9, 10, 11))
    no_change = _timeline(cli, "acsws-to-schools/school-01")
    assert no_change["eli"]["status"] == "not-applicable"
    assert no_change["staff_informed_no_change"]["status"] == "open"


def test_eli_period_follows_the_rule_in_force_on_the_transfer_date(database, cli: Cli) -> None:
    cli("organisations", "add", "old-council", "--name", "Old Council", "--kind", "council")
    cli("organisations", "add", "new-co", "--name", "New Co Ltd", "--kind", "company")
    for ref, when in (("before-2014", "2014-04-30"), ("from-2014", "2014-05-01")):
        cli("create", ref, "--title", f"Transfer {ref}", "--from", "old-council", "--to",
            "new-co", "--transfer-date", when, "--regime-reason", "outsourcing of a service")
    before = _timeline(cli, "before-2014")["eli"]
    after = _timeline(cli, "from-2014")["eli"]
    assert before["due_date"] == "2014-04-16" and "14 days" in before["legal_basis"]
    assert after["due_date"] == "2014-04-03" and "28 days" in after["legal_basis"]


def test_reg_13a_thresholds_follow_the_transfer_date(database, cli: Cli) -> None:
    # An employer of 30 with no representatives: reg 13A applies from 1 July 2024 (under 50),
    # not before (under 10 only).
    cli("organisations", "add", "small-charity", "--name", "Small Charity", "--kind", "other",
        "--headcount", "30")
    cli("organisations", "add", "council", "--name", "A Council", "--kind", "council")
    for ref, when in (("in-2023", "2023-10-01"), ("in-2024", "2024-10-01")):
        cli("create", ref, "--title", f"Insourcing {ref}", "--from", "small-charity", "--to",
            "council", "--transfer-date", when, "--regime-reason", "insourcing of a contract")
    assert _timeline(cli, "in-2023")["inform_employees_directly"]["status"] == "not-applicable"
    direct = _timeline(cli, "in-2024")["inform_employees_directly"]
    assert direct["status"] == "open"
    assert direct["due_date"] == date(2024, 8, 20).isoformat()
    assert "SI 2023/1373" in direct["legal_basis"]
