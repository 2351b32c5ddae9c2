"""Dates that happened: every action that completes a step says the day it happened.

The L&D transfer (decision 7 September 2022, transfer 1 November 2022) is recorded as HR would,
often days after the event: the steps are done, and judged on time or late, on the day stated;
a date in the future, before the transfer for a step that follows it, or before the steps it
needs were done, is refused and nothing is written; the history keeps both dates.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Cli
from tests.lifecycle import LD_TO_NCT
from tests.test_workflow_versions import copy_workflows
from tests.web_fixtures import Browser, WebEnv
from transfer_engine.store.database import read_session
from transfer_engine.store.queries import get_transfer, steps_of

LD = "ld-to-nct"


def _timeline(cli: Cli, as_of: str) -> dict[str, Any]:
    return {row["step"]: row for row in cli.json("timeline", LD, "--as-of", as_of)}


def _advances(cli: Cli) -> list[dict[str, Any]]:
    return [h for h in cli.json("history", LD) if h["action"] == "advance"]


def _shown(browser: Browser, response: Any) -> str:
    """The page a refused form leaves the person on (shown at once, or after a redirect)."""
    if response.status_code == 303:
        return browser.get(response.headers["location"]).text
    assert response.status_code in (409, 422), response.status_code
    return response.text


def _recently(at: str) -> bool:
    """``at`` (UTC) is within the last few minutes: when the test recorded it."""
    recorded = datetime.fromisoformat(at).replace(tzinfo=None)
    return abs(datetime.now(UTC).replace(tzinfo=None) - recorded) < timedelta(minutes=10)


def _drive(cli: Cli, sequence: list[tuple[str, str]], until: str) -> None:
    """Fire the seed's triggers, each on its day, up to (not including) ``until``."""
    for trigger, day in sequence:
        if trigger == until:
            return
        cli("advance", LD, trigger, "--note", f"{trigger} evidence", "--as-of", day)


def test_a_decision_minuted_earlier_is_done_and_judged_on_that_day(demo, cli: Cli) -> None:
    # Minuted on 7 September, recorded on the 20th: done on the 7th, on time.
    cli("advance", LD, "approve", "--on", "2022-09-07", "--as-of", "2022-09-20",
        "--note", "Joint Committee minute 7")
    # The unions were advised on the 16th, after the 14th it was due: late, whenever recorded.
    cli("advance", LD, "advise_unions", "--on", "2022-09-16", "--as-of", "2022-09-20")
    # The measures arrived on the 13th, before they were due (14th): on time.
    cli("advance", LD, "record_measures", "--on", "2022-09-13", "--as-of", "2022-09-20")
    timeline = _timeline(cli, "2022-09-20")
    assert (timeline["decision"]["done_on"], timeline["decision"]["late"]) == ("2022-09-07", False)
    assert timeline["advise_unions"]["due_date"] == "2022-09-14"
    assert (timeline["advise_unions"]["done_on"], timeline["advise_unions"]["late"]) == (
        "2022-09-16", True)
    assert (timeline["measures"]["done_on"], timeline["measures"]["late"]) == ("2022-09-13", False)

    # The history keeps the day stated and when it was recorded.
    approve = _advances(cli)[0]
    assert approve["data"]["occurred_on"] == "2022-09-07"
    assert approve["data"]["as_of"] == "2022-09-20"
    assert _recently(approve["at"])


# The seed's go_live, as an organisation might write it: consultation concluded in time (reg
# 13(6)) is checked by an on_time guard, like the ELI's in the base workflow.
GO_LIVE = """  go_live:
    label: Go live (staff and funding transfer)
    completes: [go_live, funding_transfer]
"""
GO_LIVE_ON_TIME = GO_LIVE + """    guards:
      - date_reached: transfer
      - on_time: consultation
        overridable: true
"""


@pytest.fixture
def on_time_consultation(database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                         cli: Cli) -> Cli:
    folder = copy_workflows(tmp_path / "own-workflows")
    path = folder / "ld-to-nct.yaml"
    assert GO_LIVE in path.read_text()
    path.write_text(path.read_text().replace(GO_LIVE, GO_LIVE_ON_TIME))
    monkeypatch.setenv("TRANSFER_ENGINE_WORKFLOWS", str(folder))
    cli("demo")
    return cli


def _conclude_on(cli: Cli, day: str) -> None:
    """Everything up to consultation on its day; consultation (due 25 October) concluded on
    ``day`` and recorded on 28 October."""
    _drive(cli, LD_TO_NCT, until="conclude_consultation")
    cli("advance", LD, "conclude_consultation", "--on", day, "--as-of", "2022-10-28",
        "--note", "representations answered, letter of 21 October")


def test_the_on_time_guard_judges_the_day_it_happened(on_time_consultation: Cli) -> None:
    cli = on_time_consultation
    _conclude_on(cli, "2022-10-21")
    for trigger in ("confirm_pensions", "confirm_readiness", "agree_revised_sla"):
        cli("advance", LD, trigger, "--as-of", "2022-10-28")
    cli("advance", LD, "go_live", "--as-of", "2022-11-01")  # no override needed
    assert cli.json("status", LD, "--as-of", "2022-11-01")["state"] == "transferred"
    assert not [h for h in cli.json("history", LD) if h["action"] == "override"]


def test_the_on_time_guard_refuses_a_day_after_the_deadline(on_time_consultation: Cli) -> None:
    cli = on_time_consultation
    _conclude_on(cli, "2022-10-27")
    for trigger in ("confirm_pensions", "confirm_readiness", "agree_revised_sla"):
        cli("advance", LD, trigger, "--as-of", "2022-10-28")
    code, _, err = cli("advance", LD, "go_live", "--as-of", "2022-11-01", ok=False)
    assert code == 1
    assert "was due by 2022-10-25 (1 week before transfer) and is done on 2022-10-27" in err


def test_money_at_risk_is_judged_on_the_day_it_happened(demo, cli: Cli) -> None:
    _conclude_on(cli, "2022-10-21")
    assert _timeline(cli, "2022-10-28")["consultation"]["late"] is False
    assert cli.json("status", LD, "--as-of", "2022-10-28")["exposure"]["total"] == "0"


def test_money_at_risk_counts_a_step_done_late_whenever_recorded(demo, cli: Cli) -> None:
    _conclude_on(cli, "2022-10-27")
    assert _timeline(cli, "2022-10-28")["consultation"]["late"] is True
    exposure = cli.json("status", LD, "--as-of", "2022-10-28")["exposure"]
    assert exposure["total"] != "0" and "consultation" in " ".join(exposure["reasons"])


def test_a_post_transfer_step_dated_before_the_transfer_is_refused(demo, cli: Cli) -> None:
    # Before its first day has come, a step that follows the transfer cannot be recorded at
    # all (the claims window's: the day after it closes, reg 15(12)).
    code, _, err = cli("done", LD, "claims_window", "--evidence", "claims register checked",
                       "--as-of", "2022-09-20", ok=False)
    assert code == 1
    assert "is 2023-02-01, 134 day(s) from today" in " ".join(err.split())
    assert "wait until 2023-02-01" in " ".join(err.split())

    _drive(cli, LD_TO_NCT, until="go_live")
    before = len(cli.json("history", LD))
    # Recorded on 2 November as having gone live on 31 October: refused, nothing written.
    code, _, err = cli("advance", LD, "go_live", "--on", "2022-10-31", "--as-of", "2022-11-02",
                       ok=False)
    assert code == 1
    assert "--on must be on or after 2022-11-01, the transfer date: “Transfer takes effect; " \
           "contracts move to the transferee” cannot happen before it" in err
    assert "Traceback" not in err
    assert cli.json("status", LD, "--as-of", "2022-11-02")["state"] == "ready"
    assert len(cli.json("history", LD)) == before

    cli("advance", LD, "go_live", "--on", "2022-11-01", "--as-of", "2022-11-02")
    code, _, err = cli("advance", LD, "confirm_employment", "--on", "2022-10-28",
                       "--as-of", "2022-11-10", ok=False)
    assert code == 1 and "--on must be on or after 2022-11-01, the transfer date" in err
    timeline = _timeline(cli, "2022-11-10")
    assert timeline["confirmation_letters"]["status"] == "open"
    assert timeline["go_live"]["done_on"] == "2022-11-01"


def test_the_claims_window_is_recorded_as_closed_only_after_its_last_day(
        demo, cli: Cli) -> None:
    """Reg 15(12): a claim may be presented within 3 months beginning with the transfer (1
    November 2022), so to 31 January 2023 inclusive (30 January: the day before the
    corresponding date). It is closed, and can be recorded so, from 1 February."""
    _drive(cli, LD_TO_NCT, until="go_live")
    cli("advance", LD, "go_live", "--on", "2022-11-01", "--as-of", "2022-11-02")
    window = _timeline(cli, "2022-11-02")["claims_window"]
    assert window["due_date"] == "2023-01-31"
    code, _, err = cli("done", LD, "claims_window", "--evidence", "no claims were presented",
                       "--as-of", "2022-11-02", ok=False)
    assert code == 1 and "wait until 2023-02-01" in " ".join(err.split())
    code, _, err = cli("done", LD, "claims_window", "--evidence", "no claims were presented",
                       "--on", "2023-01-31", "--as-of", "2023-02-03", ok=False)
    assert code == 1 and "--on must be on or after 2023-02-01" in " ".join(err.split())
    cli("done", LD, "claims_window", "--evidence", "no claims were presented",
        "--on", "2023-02-01", "--as-of", "2023-02-03")
    assert _timeline(cli, "2023-02-03")["claims_window"]["done_on"] == "2023-02-01"
    # Its legal basis says where the time can be longer.
    assert "ACAS early conciliation" in window["legal_basis"]


def test_a_date_in_the_future_is_refused(demo, cli: Cli) -> None:
    code, _, err = cli("advance", LD, "approve", "--on", "2022-09-21", "--as-of", "2022-09-20",
                       ok=False)
    assert code == 1 and "--on must be today or in the past" in err
    # Two days ahead: still in the future if the clock passes midnight during the test.
    ahead = (date.today() + timedelta(days=2)).isoformat()
    code, _, err = cli("advance", LD, "approve", "--on", ahead, ok=False)
    assert code == 1 and "--on must be today or in the past" in err
    assert cli.json("status", LD)["state"] == "proposed"
    assert _advances(cli) == []


def test_a_date_before_the_steps_it_needs_is_refused(demo, cli: Cli) -> None:
    cli("advance", LD, "approve", "--on", "2022-09-07", "--as-of", "2022-09-20")
    cli("advance", LD, "record_measures", "--on", "2022-09-14", "--as-of", "2022-09-20")
    # Informing the representatives needs the transferee's measures (reg 13(2)(d), 13(4)).
    code, _, err = cli("advance", LD, "inform_representatives", "--on", "2022-09-13",
                       "--as-of", "2022-09-20", ok=False)
    assert code == 1
    assert "--on must be on or after 2022-09-14, when “Transferee's" in err
    assert "measures received in writing”, which it needs, was done" in err
    assert cli.json("status", LD, "--as-of", "2022-09-20")["state"] == "approved"
    cli("advance", LD, "inform_representatives", "--on", "2022-09-14", "--as-of", "2022-09-20")
    assert cli.json("status", LD, "--as-of", "2022-09-20")["state"] == "consulting"


def test_a_year_typed_wrong_is_refused_wherever_a_date_is_given(demo, cli: Cli, tmp_path: Path
                                                               ) -> None:
    """2002 for 2022 would make a late step look on time and put a false date on record: a
    date more than 3 years before the transfer (1 November 2022) is refused, saying so."""
    before = cli.json("history", LD)
    check = "must be on or after 2019-11-01, 3 years before the transfer date: check the year"
    code, _, err = cli("advance", LD, "approve", "--on", "2002-09-07", "--as-of", "2022-09-20",
                       ok=False)
    assert code == 1 and f"--on {check}" in err
    code, _, err = cli("override-step", LD, "pensions", "--on", "1900-01-01", "--as-of",
                       "2022-09-20", "--override-reason", "LGPS admission agreed", ok=False)
    assert code == 1 and f"--on {check}" in err
    code, _, err = cli("record-objection", LD, "LD-002", "--on", "1800-01-01", "--as-of",
                       "2022-09-20", ok=False)
    assert code == 1 and "is more than 3 years before the transfer date (2022-11-01): " \
        "check the year" in err
    staff = tmp_path / "staff.csv"
    staff.write_text("employee_ref,full_name,role,fte,weekly_pay,objected_on\n"
                     "LD-002,Sample Employee LD-002,Case Officer,1.0,500,2002-10-01\n")
    code, _, err = cli("import-employees", LD, str(staff), ok=False)
    assert code == 1 and "check the year" in err
    code, _, err = cli("elections", "invite", LD, "--seats", "2", "--term", "until the transfer",
                       "--invited-on", "1922-09-01", "--nominations-close", "2022-09-10",
                       "--as-of", "2022-09-20", ok=False)
    assert code == 1 and "check the year" in err
    # Nothing of it was written.
    assert cli.json("status", LD, "--as-of", "2022-09-20")["state"] == "proposed"
    assert cli.json("history", LD) == before
    # The first plausible day is taken.
    cli("advance", LD, "approve", "--on", "2019-11-01", "--as-of", "2022-09-20")
    assert cli.json("status", LD, "--as-of", "2022-09-20")["state"] == "approved"


def _decision_done_on(web: WebEnv) -> date | None:
    with read_session(web.engine) as session:
        return steps_of(session, get_transfer(session, LD))["decision"].done_on


def test_the_web_form_asks_the_date_it_happened(web: WebEnv) -> None:
    officer = web.as_role("hr_officer")
    ld = web.ids[LD]
    page = officer.get(f"/transfers/{ld}/steps/decision").text
    # A GOV.UK date input on each action's form, today (20 September 2022) filled in.
    assert "Date it happened" in page
    assert 'id="occurred_on-approve" name="occurred_on-day" type="text" ' \
           'inputmode="numeric" value="20"' in page
    future = _shown(officer, officer.post(f"/transfers/{ld}/advance", {
        "trigger": "approve", "version": web.version(LD), "occurred_on-day": "21",
        "occurred_on-month": "9", "occurred_on-year": "2022"}))
    assert "Date it happened must be today or in the past" in future
    assert 'href="#occurred_on-approve"' in future
    assert 'id="occurred_on-approve" name="occurred_on-day" type="text" ' \
           'inputmode="numeric" value="21"' in future
    unreal = _shown(officer, officer.post(f"/transfers/{ld}/advance", {
        "trigger": "approve", "version": web.version(LD), "occurred_on-day": "31",
        "occurred_on-month": "9", "occurred_on-year": "2022"}))
    assert "must be a real date" in unreal
    assert _decision_done_on(web) is None
    done = officer.post(f"/transfers/{ld}/advance", {
        "trigger": "approve", "version": web.version(LD), "note": "Joint Committee minute 7",
        "occurred_on-day": "7", "occurred_on-month": "9", "occurred_on-year": "2022"})
    assert done.status_code == 303
    assert _decision_done_on(web) == date(2022, 9, 7)
    # Each action's form has its own date input.
    assert 'id="occurred_on-advise_unions-year"' in officer.get(
        f"/transfers/{ld}/steps/advise_unions").text
    history = officer.get(f"/transfers/{ld}/history").text
    assert "happened on 7 September 2022" in history


def test_the_api_takes_occurred_on(web: WebEnv) -> None:
    client = web.api("officer@example.org")
    ld = web.ids[LD]
    future = client.post(f"/api/v1/transfers/{ld}/advance",
                         json={"trigger": "approve", "occurred_on": "2022-09-21"})
    assert future.status_code == 422
    problem = future.json()["problems"][0]
    assert (problem["field"], problem["code"]) == ("occurred_on", "in_future")
    moved = client.post(f"/api/v1/transfers/{ld}/advance",
                        json={"trigger": "approve", "occurred_on": "2022-09-07"})
    assert moved.status_code == 200 and moved.json()["occurred_on"] == "2022-09-07"
    history = client.get(f"/api/v1/transfers/{ld}/history").json()
    entry = next(h for h in history if h["action"] == "advance")
    assert entry["data"]["occurred_on"] == "2022-09-07"
    assert _recently(entry["at"])  # when it was recorded
