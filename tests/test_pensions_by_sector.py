"""The pensions step by who transfers staff to whom, with the protection that applies:
the Best Value Direction 2007 only when an English council contracts out, New Fair Deal for
central government, the NHS and schools, no admission between LGPS employers, and otherwise the
Pensions Act 2004 minimum."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import PROJECT, Cli
from transfer_engine.errors import WorkflowError
from transfer_engine.workflow.loader import WorkflowLibrary

BEST_VALUE = "Best Value Authorities Staff Transfers (Pensions) Direction 2007"
FAIR_DEAL = "New Fair Deal"
MINIMUM = "Transfer of Employment (Pension Protection) Regulations 2005"
LGPS = "Local Government Pension Scheme Regulations 2013"


def _pensions(cli: Cli, from_kind: str, to_kind: str) -> dict:
    cli("organisations", "add", "sender", "--name", "Sender", "--kind", from_kind)
    cli("organisations", "add", "receiver", "--name", "Receiver", "--kind", to_kind)
    cli("create", "move", "--title", "A service moves", "--from", "sender", "--to", "receiver",
        "--transfer-date", "2025-10-01", "--regime-reason", "a service provision change")
    return {row["step"]: row for row in cli.json("timeline", "move")}["pensions"]


def test_insourcing_from_a_private_contractor_takes_the_pensions_act_minimum(cli: Cli) -> None:
    pensions = _pensions(cli, "company", "council")
    assert pensions["status"] == "open" and pensions["due_date"] == "2025-09-24"
    assert "Pensions Act 2004 s.257-258" in pensions["legal_basis"]
    assert MINIMUM in pensions["legal_basis"]
    assert BEST_VALUE not in pensions["legal_basis"] and FAIR_DEAL not in pensions["legal_basis"]
    assert "matches employee contributions up to 6%" in pensions["title"]


@pytest.mark.parametrize(("from_kind", "to_kind", "law", "title"), [
    ("council", "company", BEST_VALUE, "LGPS admission agreement or broadly comparable scheme"),
    ("council", "other", BEST_VALUE, "LGPS admission agreement or broadly comparable scheme"),
    ("nhs", "company", FAIR_DEAL, "public service pension scheme"),
    ("central-government", "company", FAIR_DEAL, "public service pension scheme"),
    ("school", "company", FAIR_DEAL, "public service pension scheme"),
    ("council", "council", LGPS, "LGPS membership continues"),
    ("council", "trust", LGPS, "LGPS membership continues"),
    ("company", "company", MINIMUM, "matches employee contributions"),
    ("nhs", "council", MINIMUM, "matches employee contributions"),
])
def test_the_protection_follows_the_sectors_of_the_two_employers(
        cli: Cli, from_kind: str, to_kind: str, law: str, title: str) -> None:
    pensions = _pensions(cli, from_kind, to_kind)
    assert law in pensions["legal_basis"] and title in pensions["title"]
    others = {BEST_VALUE, FAIR_DEAL, MINIMUM, LGPS} - {law}
    assert not [other for other in others if other in pensions["legal_basis"]]


def test_the_seed_transfers_move_staff_between_lgps_employers(demo, cli: Cli) -> None:
    for ref in ("ld-to-nct", "send-iass-to-wnc", "acsws-to-schools/school-03",
                "acsws-to-schools/school-07"):
        pensions = {row["step"]: row for row in cli.json("timeline", ref)}["pensions"]
        assert LGPS in pensions["legal_basis"], ref
        assert BEST_VALUE not in pensions["legal_basis"], ref
        assert "no admission agreement may be needed" in pensions["legal_basis"]


def test_a_condition_naming_an_unknown_kind_of_organisation_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "workflows"
    folder.mkdir()
    text = (PROJECT / "workflows" / "tupe-base.yaml").read_text()
    (folder / "tupe-base.yaml").write_text(
        text.replace("transferee_kind_in: [company, other]", "transferee_kind_in: [contractor]",
                     1))
    with pytest.raises(WorkflowError) as raised:
        WorkflowLibrary(folder)
    assert any("'contractor' is not an organisation kind" in p and "central-government" in p
               for p in raised.value.problems)
