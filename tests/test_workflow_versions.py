"""Workflow versions stay put: a running transfer keeps the version it started with when its
file changes, and moves to a newer one only when someone checks the changes and says so."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import PROJECT, Cli, fresh_database, run_cli
from tests.test_migrations import FIRST, _insert_engine_core_data
from tests.web_fixtures import WebEnv
from transfer_engine.store.database import get_engine, read_session, upgrade
from transfer_engine.store.definitions import stored_definition
from transfer_engine.store.queries import get_transfer, steps_of
from transfer_engine.views.vocabulary import action_label
from transfer_engine.workflow.loader import WorkflowLibrary, library

# The version of ld-to-nct the shipped file has (the demo's transfer starts on it), and the one
# the edit below raises it to.
SHIPPED = WorkflowLibrary(PROJECT / "workflows").get("ld-to-nct").version
NEXT = SHIPPED + 1

# Issue 10, point 6: advising the unions moves from 5 to 20 working days after the decision
# (7 September 2022), and recording the decision now needs a note.
OLD_DUE = "due: 5 working days after decision"
NEW_DUE = "due: 20 working days after decision"
APPROVE_WITH_NOTE = """triggers:
  approve:
    guards:
      - key_date_set: decision
      - key_date_set: transfer
      - note_given
"""


def copy_workflows(target: Path) -> Path:
    shutil.copytree(PROJECT / "workflows", target)
    return target


def edit_ld_to_nct(folder: Path, *, version: int | None = NEXT) -> None:
    """Make the issue's change to ld-to-nct.yaml, raising its version (unless ``None``)."""
    path = folder / "ld-to-nct.yaml"
    text = path.read_text()
    shipped = f"\nversion: {SHIPPED}\n"
    assert OLD_DUE in text and "\ntriggers:\n" in text and shipped in text
    text = text.replace(OLD_DUE, NEW_DUE).replace("\ntriggers:\n", "\n" + APPROVE_WITH_NOTE, 1)
    if version is not None:
        text = text.replace(shipped, f"\nversion: {version}\n")
    path.write_text(text)


def _run(*args: str, ok: bool = True) -> Any:
    """``transfer-engine`` in a process of its own: it reads the workflow files as they are now,
    as a command typed after editing them would (a process reads them once; the commands that
    only read what the database holds run in this one, through ``cli``)."""
    result = run_cli(*args)
    assert "Traceback" not in result.stderr, result.stderr
    if ok:
        assert result.returncode == 0, result.stderr
    return result


def _due(cli: Cli, ref: str = "ld-to-nct") -> dict[str, str]:
    return {row["step"]: row["due_date"] for row in cli.json("timeline", ref)}


@pytest.fixture
def workflows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The demo, created from a copy of the workflow files that the tests then edit."""
    folder = copy_workflows(tmp_path / "own-workflows")
    monkeypatch.setenv("TRANSFER_ENGINE_WORKFLOWS", str(folder))
    return folder


def test_a_running_transfer_keeps_its_workflow_version_after_its_file_changes(
        workflows: Path, cli: Cli) -> None:
    cli("demo")
    assert _due(cli)["advise_unions"] == "2022-09-14"
    edit_ld_to_nct(workflows)
    # Rescheduling works every deadline out again: from the version the transfer runs on.
    _run("reschedule", "ld-to-nct", "transfer", "2022-11-08", "--reason",
         "Trust asked for a week more")
    due = _due(cli)
    assert due["advise_unions"] == "2022-09-14"   # 5 working days after the decision, still
    assert due["go_live"] == "2022-11-08"         # the move itself did happen
    status = cli.json("status", "ld-to-nct")
    assert status["workflow"] == f"ld-to-nct v{SHIPPED}"
    # The new version's guard does not hold back a transfer on the version it started on.
    _run("advance", "ld-to-nct", "approve", "--as-of", "2022-09-07")
    # A transfer created now starts on the new version, with its deadline and its guard.
    _run("create", "ld-second", "--workflow", "ld-to-nct", "--title", "Second L&D team",
         "--from", "nnc", "--to", "nct", "--decision-date", "2022-09-07",
         "--transfer-date", "2022-11-01", "--regime-reason", "Same arrangement as ld-to-nct")
    assert _due(cli, "ld-second")["advise_unions"] == "2022-10-06"
    refused = _run("advance", "ld-second", "approve", "--as-of", "2022-09-07", ok=False)
    assert refused.returncode == 1 and "note" in refused.stderr


def test_migrate_shows_the_changes_then_moves_the_transfer_with_an_audit_entry(
        workflows: Path, cli: Cli) -> None:
    cli("demo")
    edit_ld_to_nct(workflows)
    dry = json.loads(_run("workflows", "migrate", "ld-to-nct", "--to-version", str(NEXT),
                          "--dry-run", "--json").stdout)
    assert dry["applied"] is False
    assert (dry["from_version"], dry["to_version"]) == (SHIPPED, NEXT)
    steps = {s["name"]: s for s in dry["steps"]}
    assert list(steps) == ["advise_unions"] and steps["advise_unions"]["change"] == "changed"
    assert "'20 working days after decision'" in steps["advise_unions"]["details"][0]
    assert dry["deadlines"] == [{"step": "advise_unions", "title": steps["advise_unions"]["label"],
                                 "old_due": "2022-09-14", "new_due": "2022-10-06",
                                 "status": "open"}]
    triggers = {t["name"]: t["details"] for t in dry["triggers"]}
    assert triggers == {"approve": ["new guard(s): note_given"]}
    assert dry["letters"] == [] and dry["problems"] == []
    assert _due(cli)["advise_unions"] == "2022-09-14"  # a dry run changes nothing

    # Without --yes it asks; a "no" changes nothing.
    shown = run_cli("workflows", "migrate", "ld-to-nct", "--to-version", str(NEXT))
    assert "advise_unions" in shown.stdout and "2022-10-06" in shown.stdout
    assert f"Move ld-to-nct to version {NEXT}" in shown.stdout
    assert _due(cli)["advise_unions"] == "2022-09-14"

    _run("workflows", "migrate", "ld-to-nct", "--to-version", str(NEXT), "--yes")
    assert _due(cli)["advise_unions"] == "2022-10-06"
    history = cli.json("history", "ld-to-nct")
    moved = [e for e in history if e["action"] == "workflow-migrated"]
    assert len(moved) == 1
    assert (moved[0]["data"]["from_version"], moved[0]["data"]["to_version"]) == (
        SHIPPED, NEXT)
    assert moved[0]["data"]["report"]["deadlines"][0]["new_due"] == "2022-10-06"
    # The machine and guards of the new version now apply to it.
    code, _, err = cli("advance", "ld-to-nct", "approve", "--as-of", "2022-09-07", ok=False)
    assert code == 1 and "note" in err
    code, _, err = cli("workflows", "migrate", "ld-to-nct", "--to-version", str(NEXT), "--yes",
                       ok=False)
    assert code == 1 and f"already runs on version {NEXT}" in err


def test_migrate_names_the_versions_there_are(workflows: Path, cli: Cli) -> None:
    cli("demo")
    code, _, err = cli("workflows", "migrate", "ld-to-nct", "--to-version", str(NEXT),
                       "--dry-run", ok=False)
    assert code == 1 and f"no version {NEXT}" in err and f"version {SHIPPED}" in err


def test_validate_refuses_new_content_under_a_version_a_transfer_uses(
        workflows: Path, cli: Cli) -> None:
    cli("demo")
    edit_ld_to_nct(workflows, version=None)
    code, _, err = cli("workflows", "validate", "--folder", str(workflows), ok=False)
    assert code == 1 and "Traceback" not in err
    assert "ld-to-nct.yaml" in err
    assert (f"'ld-to-nct' version {SHIPPED} has changed since 1 transfer(s) started on it "
            "(ld-to-nct)") in err
    assert f"version: {NEXT}" in err and "workflows migrate" in err
    # Nor can a new transfer start on it: the version's content would be ambiguous.
    refused = _run("create", "ld-second", "--workflow", "ld-to-nct", "--title", "Second team",
                   "--from", "nnc", "--to", "nct", "--decision-date", "2022-09-07",
                   "--transfer-date", "2022-11-01", "--regime-reason", "Same as ld-to-nct",
                   ok=False)
    assert refused.returncode == 1 and f"version {SHIPPED} has changed" in refused.stderr
    # Raising the version is what it asks for, and then the files are valid.
    path = workflows / "ld-to-nct.yaml"
    path.write_text(path.read_text().replace(f"\nversion: {SHIPPED}\n", f"\nversion: {NEXT}\n"))
    result = cli.json("workflows", "validate", "--folder", str(workflows))
    assert result["valid"] is True and result["checked_against_database"] is True


def test_db_upgrade_keeps_the_versions_of_transfers_made_before_versions_were_kept(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with fresh_database(tmp_path) as url:
        monkeypatch.setenv("TRANSFER_ENGINE_DATABASE_URL", url)
        monkeypatch.chdir(tmp_path)
        engine = get_engine(url)
        upgrade(engine, FIRST)
        # ld-to-nct on the version its file has, as the first release wrote it (no definition
        # kept in the database)
        _insert_engine_core_data(engine, workflow_version=SHIPPED)
        _, out, _ = Cli()("db", "upgrade")
        assert f"Kept the workflow versions running transfers use: ld-to-nct v{SHIPPED}" in out
        with read_session(engine) as session:
            stored = stored_definition(session, "ld-to-nct", SHIPPED)
        assert stored is not None and stored.sha256 == library().get("ld-to-nct").sha256
        engine.dispose()


# The content of every released version of a shipped workflow (the SHA-256 of its resolved
# definition, as installations keep it): a released version's content never changes. When a
# release ships a new version, add it here.
RELEASED = {
    ("tupe-base", 1): "00f826dfafcbcf0cd9ff5de85ce477d820374f189a449a0ac392c0e04fcc73c7",
    ("ld-to-nct", 1): "0065302dc01ce2d5f191efc7805ed7a8412ce32eca1d13d6752dc66742970dd6",
    ("send-iass-to-wnc", 1): "2402df67c51d502d7ed674fa27ac8d8264657d20cf811b3463164aeeb7349240",
    ("acsw-school", 1): "c7d72b17778eb8fa17bfbd77e7377f19d8f1f120f968e07c1f48e09ae886eaab",
    ("acsws-to-schools", 1): "733b02fa0264181be130e20d62da69b4e7d4bf114c13601d45f4105b4d3cd4c3",
}


def test_a_shipped_workflow_changed_since_its_release_has_a_new_version() -> None:
    """A transfer keeps the version it started on; an installation that stored a released
    version refuses a file with other content under it (and so would every `create`). So the
    files shipped must never change under a released version."""
    shipped = {d.id: d for d in WorkflowLibrary(PROJECT / "workflows").all()}
    for (workflow_id, version), sha256 in RELEASED.items():
        definition = shipped[workflow_id]
        assert definition.version >= version, workflow_id
        if definition.version == version:
            assert definition.sha256 == sha256, (
                f"{workflow_id}.yaml changed under its released version {version}: raise its "
                f"`version:` to {version + 1}")


def test_an_installation_moves_a_transfer_from_a_released_version_to_the_shipped_one(
        workflows: Path, cli: Cli) -> None:
    """The demo made when the shipped version was the previous one (its definition kept as
    that version, where informing the representatives was done by a note), then the files of
    this release: `workflows migrate` moves it on, and judges its steps by their evidence."""
    path = workflows / "ld-to-nct.yaml"
    shipped = path.read_text()
    path.write_text(shipped.replace(f"\nversion: {SHIPPED}\n", f"\nversion: {SHIPPED - 1}\n")
                    .replace(OLD_DUE, NEW_DUE)
                    .replace("\nsteps:\n", "\nsteps:\n  inform_representatives:\n"
                             "    evidence: note\n", 1))
    cli("demo")
    assert cli.json("status", "ld-to-nct")["workflow"] == f"ld-to-nct v{SHIPPED - 1}"
    assert _due(cli)["advise_unions"] == "2022-10-06"
    for trigger, day in (("approve", "2022-09-07"), ("advise_unions", "2022-09-12"),
                         ("record_measures", "2022-09-14"),
                         ("inform_representatives", "2022-09-16")):
        cli("advance", "ld-to-nct", trigger, "--note", "test", "--as-of", day)
    # Under the old version a representative recorded after informing changes nothing.
    cli("add-representative", "ld-to-nct", "--org", "nnc", "--name", "Sample GMB steward",
        "--union", "GMB", "--email", "gmb.steward@example.org")
    assert {r["step"]: r["status"] for r in cli.json("timeline", "ld-to-nct")}[
        "inform_representatives"] == "done"

    path.write_text(shipped)
    _run("workflows", "validate", "--folder", str(workflows))
    dry = json.loads(_run("workflows", "migrate", "ld-to-nct", "--to-version", str(SHIPPED),
                          "--dry-run", "--json").stdout)
    steps = {s["name"]: s["details"] for s in dry["steps"]}
    assert any("done when there is representatives and letter reg13-information" in d
               and "(was note)" in d for d in steps["inform_representatives"])
    _run("workflows", "migrate", "ld-to-nct", "--to-version", str(SHIPPED), "--yes")
    assert cli.json("status", "ld-to-nct")["workflow"] == f"ld-to-nct v{SHIPPED}"
    timeline = {r["step"]: r for r in cli.json("timeline", "ld-to-nct")}
    assert timeline["advise_unions"]["due_date"] == "2022-09-14"
    # Version 2 asks for the reg 13 letter to every representative: informing reopens.
    informing = timeline["inform_representatives"]
    assert informing["status"] == "open"
    assert "Sample GMB steward (GMB)" in informing["reopened_reason"]


# ---------------------------------------------------------------------------------------------
# The web app: an administrator checks the changes, then confirms.


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found
    return found.group(1)


def test_an_administrator_checks_the_changes_then_moves_a_transfer(
        web: WebEnv, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = copy_workflows(tmp_path / "own-workflows")
    edit_ld_to_nct(folder)
    monkeypatch.setenv("TRANSFER_ENGINE_WORKFLOWS", str(folder))
    ld = web.ids["ld-to-nct"]
    check_path = f"/admin/transfers/{ld}/workflow/{NEXT}"

    officer = web.as_role("hr_officer")
    assert officer.get("/admin/workflows").status_code == 403
    assert officer.get(check_path).status_code == 403

    admin = web.as_role("hr_admin")
    listing = admin.get("/admin/workflows").text
    row = listing.split(f'href="/transfers/{ld}"')[1].split("</tr>")[0]
    assert f'href="{check_path}"' in row and "Check the changes" in row
    assert "Workflows" in listing  # in the service navigation

    check = admin.get(check_path)
    assert check.status_code == 200
    deadline = check.text.split('id="deadline-advise_unions"')[1].split("</tr>")[0]
    assert "14 September 2022" in deadline and "6 October 2022" in deadline
    assert "20 working days after decision" in check.text and "note_given" in check.text
    with read_session(web.engine) as session:
        version = get_transfer(session, "ld-to-nct").version
    assert f'name="version" value="{version}"' in check.text

    # A form without its CSRF token is refused and changes nothing.
    forged = admin.client.post(check_path, data={"version": str(version)})
    assert forged.status_code == 403
    # A stale page (the transfer changed since) is shown again with the changes worked out anew.
    stale = admin.client.post(check_path, data={"version": str(version - 1),
                                                "csrf_token": _csrf(check.text)})
    assert stale.status_code == 409 and "Someone changed this transfer" in stale.text

    applied = admin.client.post(check_path, data={"version": str(version),
                                                  "csrf_token": _csrf(check.text)})
    assert applied.status_code == 303 and applied.headers["location"] == f"/transfers/{ld}"
    page = admin.get(f"/transfers/{ld}").text
    assert f"now runs on version {NEXT} of its workflow" in page and f"Version {NEXT}" in page
    with read_session(web.engine) as session:
        transfer = get_transfer(session, "ld-to-nct")
        assert transfer.workflow_version == NEXT
        assert str(steps_of(session, transfer)["advise_unions"].due_date) == "2022-10-06"
    history = admin.get(f"/transfers/{ld}/history").text
    assert action_label("workflow-migrated") in history
    assert f"ld-to-nct version {SHIPPED} → {NEXT}" in history
    assert "14 September 2022 → 6 October 2022" in history  # advise_unions's deadline
    assert "Up to date" in admin.get("/admin/workflows").text.split(
        f'href="/transfers/{ld}"')[1].split("</tr>")[0]
