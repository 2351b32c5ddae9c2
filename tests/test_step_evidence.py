"""Step evidence: a step is done only when its evidence exists, or by an audited override;
evidence that stops being true reopens the step."""

from __future__ import annotations

import hashlib
import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from tests.conftest import Cli
from transfer_engine.domain import OrganisationKind
from transfer_engine.engine.create import create_transfer, parse_transfer_create
from transfer_engine.engine.inputs import EmployeeRow
from transfer_engine.engine.staff import store_employees
from transfer_engine.letters.sample_particulars import fill_synthetic
from transfer_engine.store.database import write_session
from transfer_engine.store.organisations import Organisation
from transfer_engine.store.queries import get_transfer
from transfer_engine.workflow.evidence_names import LETTER_RECIPIENTS, parse_evidence

REF = "catering-insourcing"
DECISION, TRANSFER = date(2025, 3, 3), date(2025, 6, 2)
# Reg 13A as amended from 1 July 2024: fewer than 10 employees transfer, so a 300-employee
# contractor with no representatives may inform each of its 8 affected employees directly.
INFORMED = "2025-04-17"


def _small_transfer(*, particulars: bool, workflow: str = "tupe-base") -> None:
    """8 employees of a 300-employee contractor, no representatives (synthetic data)."""
    with write_session() as session:
        session.add(Organisation(slug="acme", name="Acme Catering Ltd (sample)",
                                 kind=OrganisationKind.company, headcount=300))
        session.add(Organisation(slug="riverside", name="Riverside Council (sample)",
                                 kind=OrganisationKind.council, headcount=4200))
    with write_session() as session:
        create_transfer(session, parse_transfer_create({
            "ref": REF, "title": "School catering back in house (sample)",
            "workflow_id": workflow, "regime": "TUPE",
            "regime_reason": "service provision change back in house, reg 3(1)(b)(iii)",
            "transferor": "acme", "transferee": "riverside",
            "key_dates": {"decision": DECISION, "transfer": TRANSFER},
            "hr_owner": "hr@example.org", "sample_data": True}), actor="test")
    store_employees(REF, [
        EmployeeRow(employee_ref=f"C{i:02d}", full_name=f"Sample Cook {i:02d}",
                    email=f"cook.{i:02d}@example.org", role="Cook", fte=Decimal("0.8"),
                    weekly_pay=Decimal("420.00"))
        for i in range(1, 9)], actor="test", replace=False, source="test", synthetic=True)
    if particulars:
        with write_session() as session:
            fill_synthetic(session, get_transfer(session, REF), actor="test")
        # No representatives: the letter to each employee says who informs them instead.
        Path("reg13a.yaml").write_text(
            "transfer:\n  representatives: no employee representatives, so "
            "each of you is informed directly (TUPE reg 13A)\n")
        Cli()("letters", "data", REF, "reg13a.yaml")


def _to_consulting(cli: Cli, *, letters_made: bool = True) -> dict:
    for trigger, day in (("approve", "2025-03-03"), ("advise_unions", "2025-04-07"),
                         ("record_measures", "2025-04-14")):
        cli("advance", REF, trigger, "--note", f"{trigger} (test)", "--as-of", day)
    code, out, _ = cli("advance", REF, "inform_representatives", "--as-of", INFORMED, "--json",
                       ok=False)
    # Exit status 4 when a letter owed could not be made (the HR owner is alerted); a letter
    # with nobody to go to (no representatives, reg 13A) is not a failure.
    assert code == (0 if letters_made else 4)
    return json.loads(out)


def _timeline(cli: Cli, as_of: str) -> dict[str, dict]:
    return {row["step"]: row for row in cli.json("timeline", REF, "--as-of", as_of)}


def test_without_representatives_it_cannot_reach_transferred_without_an_override(
        database: Engine, cli: Cli) -> None:
    _small_transfer(particulars=False)
    # The trigger fires (reg 13A applies), but nobody has been informed: no letter could be
    # made, so informing is not done.
    moved = _to_consulting(cli, letters_made=False)
    assert moved["to"] == "consulting" and moved["completed_steps"] == []
    assert cli.json("letters", "list", REF) == []
    step = _timeline(cli, INFORMED)["inform_representatives"]
    assert step["status"] == "open"
    assert "employee-notification not issued to 8 of 8 affected employee(s)" in step["awaiting"]

    # Recording a union representative afterwards does not make informing done: now the
    # reg 13 information is owed to them.
    cli("add-representative", REF, "--org", "acme", "--name", "Sample steward",
        "--union", "GMB", "--email", "steward@example.org")
    cli("advance", REF, "notify_employees", "--note", "meetings held", "--as-of", "2025-04-25")
    code, _, err = cli("advance", REF, "conclude_consultation", "--as-of", "2025-05-20",
                       ok=False)
    assert code == 1
    assert "inform_representatives" in err
    assert "reg13-information not issued to 1 of 1 representative(s): Sample steward (GMB)" \
        in err
    assert cli.json("status", REF)["state"] == "consulting"

    # Only an override with a written reason gets past, and it says so everywhere.
    reason = "Contractor's staff were briefed in person on 16 April; letters follow (test)"
    for step_id in ("inform_representatives", "notify_employees"):
        cli("override-step", REF, step_id, "--override-reason", reason, "--as-of", "2025-05-20")
    cli("advance", REF, "conclude_consultation", "--as-of", "2025-05-20")
    for trigger in ("confirm_pensions", "confirm_readiness"):
        cli("advance", REF, trigger, "--note", "test", "--as-of", "2025-05-27")
    code, _, err = cli("advance", REF, "go_live", "--as-of", "2025-06-02", ok=False)
    assert code == 1 and "eli" in err  # the ELI was never given either
    cli("override-step", REF, "eli", "--override-reason", "ELI given on paper (test) late",
        "--as-of", "2025-06-02")
    code, _, err = cli("advance", REF, "go_live", "--as-of", "2025-06-02", "--override-reason",
                       "ELI given late on paper: special circumstances (test)", ok=False)
    # Transferred; but the confirmation letters could not be made (no particulars): exit 4.
    assert code == 4 and "letters were not issued" in " ".join(err.split())
    assert cli.json("status", REF)["state"] == "transferred"

    timeline = _timeline(cli, "2025-06-02")
    informing = timeline["inform_representatives"]
    assert informing["status"] == "done" and informing["overridden"] is True
    assert informing["override_reason"] == reason
    history = cli.json("history", REF)
    overrides = [h for h in history if h["action"] == "step-overridden"]
    assert [h["data"]["step"] for h in overrides] == [
        "inform_representatives", "notify_employees", "eli"]
    assert "reg13-information not issued" in overrides[0]["data"]["evidence_missing"]
    _, out, _ = cli("letters", "list", REF)
    # The letters list says which of its steps were done without the letters.
    assert "Steps these letters complete" in out and out.count("OVERRIDDEN") == 3
    evidence = {row["step"]: row for row in cli.json("evidence", REF)}
    assert evidence["inform_representatives"]["overridden"] is True


def test_a_representative_recorded_after_informing_reopens_the_step(
        database: Engine, cli: Cli) -> None:
    _small_transfer(particulars=True)
    moved = _to_consulting(cli)
    # Reg 13A: the information reached each of the 8 affected employees, so informing is
    # done on the letters' date, by whoever issued them.
    assert [(i["letter"], i["outcome"]) for i in moved["letters"]] == [
        ("reg13-information", "alert"), ("employee-notification", "issued")]
    step = _timeline(cli, INFORMED)["inform_representatives"]
    assert (step["status"], step["done_on"], step["done_by"]) == (
        "done", INFORMED, "test:hr-officer")
    assert "reg 13A" in step["evidence"]

    cli("add-representative", REF, "--org", "acme", "--name", "Sample steward",
        "--union", "GMB", "--email", "steward@example.org")
    step = _timeline(cli, "2025-04-22")["inform_representatives"]
    assert step["status"] == "open" and step["done_on"] is None
    assert "no longer holds" in step["reopened_reason"]
    assert "Sample steward (GMB)" in step["reopened_reason"]
    reopened = [h for h in cli.json("history", REF) if h["action"] == "step-reopened"]
    assert [h["data"]["step"] for h in reopened] == ["inform_representatives"]
    assert reopened[0]["data"]["was_done_on"] == INFORMED
    code, _, err = cli("advance", REF, "conclude_consultation", "--as-of", "2025-05-20",
                       ok=False)
    assert code == 1 and "reg13-information not issued to 1 of 1" in err

    # Informing the representative completes it again, on that letter's date.
    Path("steward.yaml").write_text("representatives:\n  Sample steward:\n"
                                    "    salutation: Colleague\n"
                                    "    address: [GMB office (sample), Riverside]\n")
    cli("letters", "data", REF, "steward.yaml")
    cli("letters", "issue", REF, "reg13-information", "--as-of", "2025-04-23")
    step = _timeline(cli, "2025-04-23")["inform_representatives"]
    assert (step["status"], step["done_on"], step["reopened_reason"]) == (
        "done", "2025-04-23", None)


def test_an_employee_added_after_the_eli_reopens_it(demo, cli: Cli) -> None:
    for trigger, day in (("approve", "2022-09-07"), ("send_eli", "2022-09-30")):
        cli("advance", "ld-to-nct", trigger, "--note", "test", "--as-of", day)
    eli = _timeline_of(cli, "ld-to-nct", "2022-09-30")["eli"]
    assert (eli["status"], eli["done_on"]) == ("done", "2022-09-30")
    assert "all 6 transferring employee(s)" in eli["evidence"]
    Path("late.csv").write_text("employee_ref,full_name,role,fte,weekly_pay\n"
                                "LD-099,Sample Late Joiner,L&D Officer,1.0,500.00\n")
    cli("import-employees", "ld-to-nct", "late.csv")
    eli = _timeline_of(cli, "ld-to-nct", "2022-10-01")["eli"]
    assert eli["status"] == "open"
    assert "not issued to 1 of 7" in eli["reopened_reason"] and "LD-099" in eli["reopened_reason"]


def _timeline_of(cli: Cli, ref: str, as_of: str) -> dict[str, dict]:
    return {row["step"]: row for row in cli.json("timeline", ref, "--as-of", as_of)}


def test_a_document_with_its_sha256_completes_a_document_step(
        database: Engine, cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    own = tmp_path / "own-workflows"
    own.mkdir()
    (own / "catering.yaml").write_text(
        "id: catering\nversion: 1\ntitle: Catering (measures in writing)\nextends: tupe-base\n"
        "steps:\n  measures:\n    evidence: document  # reg 13(4): the transferee's letter\n")
    monkeypatch.setenv("TRANSFER_ENGINE_WORKFLOWS", str(own))
    _small_transfer(particulars=True, workflow="catering")
    cli("advance", REF, "approve", "--as-of", "2025-03-03")
    # Recorded, but no document yet: the step waits for it and holds back what needs it.
    recorded = cli.json("advance", REF, "record_measures", "--as-of", "2025-04-14")
    assert recorded["completed_steps"] == []
    code, _, err = cli("advance", REF, "inform_representatives", "--as-of", "2025-04-15",
                       ok=False)
    assert code == 1 and "measures" in err and "no document attached" in err

    letter = tmp_path / "riverside-measures.pdf"
    letter.write_bytes(b"%PDF-1.4 sample measures letter (synthetic)\n")
    attached = cli.json("attach", REF, "measures", str(letter), "--description",
                        "Riverside's letter giving its measures (sample)", "--on",
                        "2025-04-11", "--as-of", "2025-04-15")
    digest = hashlib.sha256(letter.read_bytes()).hexdigest()
    assert attached["sha256"] == digest
    kept = list(Path("letters").rglob(f"*{letter.name}"))
    assert len(kept) == 1 and hashlib.sha256(kept[0].read_bytes()).hexdigest() == digest
    measures = _timeline(cli, "2025-04-15")["measures"]
    assert (measures["status"], measures["done_on"]) == ("done", "2025-04-11")
    assert digest[:16] in measures["evidence"]
    history = [h for h in cli.json("history", REF) if h["action"] == "document-attached"]
    assert history[0]["data"]["sha256"] == digest
    cli("advance", REF, "inform_representatives", "--as-of", "2025-04-15")
    # A file kept as evidence is the register's own: never swept as an orphan letter file.
    swept = cli.json("letters", "sweep-orphans", "--dry-run", "--min-age", "0")
    assert letter.name not in json.dumps(swept)


@pytest.mark.parametrize(("raw", "problem"), [
    ("signature", "unknown evidence 'signature'"),
    ({"letter": "board-minute"}, "say whom board-minute must reach"),
    ({"letter": "reg13-information", "to": "everyone"}, "'everyone' is not one of"),
    ("letter", "name the letter"),
])
def test_a_workflow_naming_evidence_wrongly_is_told_what_to_write(raw, problem) -> None:
    problems: list[str] = []
    parse_evidence("steps.x.evidence", raw, problems)
    assert len(problems) == 1 and problem in problems[0]
    assert problems[0].startswith("steps.x.evidence")


def test_the_recipients_evidence_requires_are_those_the_letters_are_addressed_to() -> None:
    from transfer_engine.letters.catalogue import catalogue

    letters = catalogue()
    for name, recipients in LETTER_RECIPIENTS.items():
        assert letters.get(name).recipients == recipients, name
