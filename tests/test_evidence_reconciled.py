"""Where #11's pieces meet: the ELI step needs F's completeness check, and every change to who
is informed or what the ELI holds judges the evidence again, in the same transaction."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from tests.conftest import Cli
from tests.test_eli_particulars import _reimport, _staff
from tests.test_step_evidence import INFORMED, REF, _small_transfer, _to_consulting

LD = "ld-to-nct"
SICK_PAY_GAP = "LD-004 (sick leave and sick pay)"


def _step(cli: Cli, ref: str, step: str, as_of: str) -> dict[str, Any]:
    return next(r for r in cli.json("timeline", ref, "--as-of", as_of) if r["step"] == step)


def test_an_eli_gap_holds_the_eli_step_open_and_names_the_gap(
        demo: Engine, cli: Cli, tmp_path: Path) -> None:
    sick_pay = _staff(demo, LD)["LD-004"].sick_pay
    assert sick_pay  # the demo's synthetic staff carry every item
    _reimport(cli, demo, tmp_path, **{"LD-004": {"sick_pay": ""}})
    cli("advance", LD, "approve", "--note", "minute 7", "--as-of", "2022-09-07")
    code, out, _ = cli("advance", LD, "send_eli", "--as-of", "2022-09-30", "--json", ok=False)
    assert code == 4  # LD-004's schedule could not be made: the HR owner was alerted
    sent = json.loads(out)
    assert sent["completed_steps"] == []
    eli = _step(cli, LD, "eli", "2022-09-30")
    assert eli["status"] == "open" and SICK_PAY_GAP in eli["awaiting"]
    evidence = next(r for r in cli.json("evidence", LD) if r["step"] == "eli")
    assert evidence["label"] == "awaiting evidence" and SICK_PAY_GAP in evidence["missing"]

    # The item recorded, and the schedules issued: the ELI is given, on the schedules' date.
    _reimport(cli, demo, tmp_path, **{"LD-004": {"sick_pay": sick_pay}})
    cli("letters", "issue", LD, "eli-schedule", "--as-of", "2022-10-03")
    eli = _step(cli, LD, "eli", "2022-10-03")
    assert (eli["status"], eli["done_on"]) == ("done", "2022-10-03")
    assert "every reg 11(2) item stated" in eli["evidence"]

    # An item taken off the staff list afterwards reopens it, naming the employee and item.
    _reimport(cli, demo, tmp_path, **{"LD-004": {"sick_pay": ""}})
    eli = _step(cli, LD, "eli", "2022-10-04")
    assert eli["status"] == "open" and SICK_PAY_GAP in eli["reopened_reason"]
    reopened = [h for h in cli.json("history", LD) if h["action"] == "step-reopened"]
    assert [h["data"]["step"] for h in reopened] == ["eli"]


def test_representatives_elected_after_informing_under_reg_13_11_reopen_informing(
        database: Engine, cli: Cli) -> None:
    """8 employees of a contractor with no representatives: an election was invited (so reg 13A
    is off the table) and nobody was elected, so each employee was informed under reg 13(11).
    Representatives elected afterwards are owed the reg 13(2) information themselves."""
    _small_transfer(particulars=True)
    cli("elections", "invite", REF, "--seats", "1", "--term", "until the transfer",
        "--invited-on", "2025-03-10", "--nominations-close", "2025-03-17", "--as-of",
        "2025-03-10")
    cli("elections", "nominations", REF, "--closed-on", "2025-03-17", "--candidates", "0",
        "--as-of", "2025-03-17")
    cli("elections", "none-elected", REF, "--on", "2025-03-24", "--as-of", "2025-03-24")
    _to_consulting(cli)
    informing = _step(cli, REF, "inform_representatives", INFORMED)
    assert (informing["status"], informing["done_on"]) == ("done", INFORMED)
    assert "reg 13(11)" in informing["evidence"]

    # A second election, and this time one is elected: informing was done for nobody they
    # represent, so it reopens in the same transaction as the result, saying why.
    cli("elections", "invite", REF, "--seats", "1", "--term", "until the transfer",
        "--invited-on", "2025-04-22", "--nominations-close", "2025-04-25", "--as-of",
        "2025-04-22")
    cli("elections", "nominations", REF, "--closed-on", "2025-04-25", "--candidates", "1",
        "--as-of", "2025-04-25")
    # The one candidate, an affected employee on the staff list (reg 14(1)(e)).
    cli("elections", "result", REF, "--result-on", "2025-04-28", "--unopposed", "--elected",
        "Sample Cook 01 <cook.01@example.org>", "--as-of", "2025-04-28")
    informing = _step(cli, REF, "inform_representatives", "2025-04-28")
    assert informing["status"] == "open" and informing["done_on"] is None
    assert "reg13-information not issued to 1 of 1 representative(s): Sample Cook 01" in (
        informing["reopened_reason"])
    history = cli.json("history", REF)
    result = next(i for i, h in enumerate(history) if h["action"] == "election-result")
    reopened = [h for h in history[result:] if h["action"] == "step-reopened"]
    assert [h["data"]["step"] for h in reopened] == ["inform_representatives"]
    assert reopened[0]["data"]["was_done_on"] == INFORMED
    code, _, err = cli("advance", REF, "conclude_consultation", "--as-of", "2025-05-20",
                       ok=False)
    assert code == 1 and "Sample Cook 01" in err
