"""A workflow may not make a step due before a step it requires (a trigger that completes X
with the guard ``steps_done: [Y]``): ``workflows validate`` names both steps and both dates."""

import shutil
from pathlib import Path

import pytest

from tests.conftest import PROJECT, Cli
from transfer_engine.workflow.dependencies import deadline_order_problems, requirements
from transfer_engine.workflow.loader import WorkflowLibrary, library


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    target = tmp_path / "workflows"
    shutil.copytree(PROJECT / "workflows", target)
    return target


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def test_no_shipped_workflow_sets_a_step_due_before_one_it_requires() -> None:
    for definition in library().all():
        assert deadline_order_problems(definition) == [], definition.id


def test_informing_requires_the_transferees_measures() -> None:
    pairs = {(step, required) for step, required, _ in requirements(library().get("ld-to-nct"))}
    assert ("inform_representatives", "measures") in pairs
    assert ("consultation", "inform_representatives") in pairs


def test_ld_to_nct_measures_arrive_before_the_representatives_are_informed(
        demo, cli: Cli) -> None:
    due = {row["step"]: row["due_date"] for row in cli.json("timeline", "ld-to-nct")}
    assert due["measures"] <= due["inform_representatives"] == "2022-09-20"


def test_validate_reports_the_old_ld_to_nct_timetable_with_titles_and_dates(
        cli: Cli, folder: Path) -> None:
    # The measures as the file first had them.
    _edit(folder / "ld-to-nct.yaml", "    due: 1 week after decision\n",
          "    due: 10 working days after decision\n")
    code, _, err = cli("workflows", "validate", "--folder", str(folder), ok=False)
    assert code == 1 and "Traceback" not in err
    text = " ".join(err.split())
    assert "ld-to-nct.yaml" in text and "steps.inform_representatives" in text
    assert "'Inform the appropriate representatives" in text
    assert "Transferee's envisaged measures received in writing" in text
    assert "is due 2022-09-20 (6 weeks before transfer)" in text
    assert "due 2022-09-22 (10 working days after decision)" in text
    assert "seed transfer ld-to-nct" in text
    # The other files are fine and are not named.
    assert "send-iass-to-wnc.yaml" not in text


def test_a_workflow_without_a_seed_is_checked_against_sample_dates(folder: Path) -> None:
    # The transferee's measures put after the letter that must give them.
    _edit(folder / "tupe-base.yaml", "    due: 7 weeks before transfer\n",
          "    due: 5 weeks before transfer\n")
    problems = deadline_order_problems(WorkflowLibrary(folder).get("tupe-base"))
    assert len(problems) == 1
    assert "is due 2024-11-20 (6 weeks before transfer)" in problems[0]
    assert "due 2024-11-27 (5 weeks before transfer)" in problems[0]
    assert "a sample transfer on 2025-01-01 decided on 2024-11-06" in problems[0]


def test_a_requirement_due_the_same_day_is_allowed(folder: Path) -> None:
    _edit(folder / "tupe-base.yaml", "    due: 7 weeks before transfer\n",
          "    due: 6 weeks before transfer\n")
    assert deadline_order_problems(WorkflowLibrary(folder).get("tupe-base")) == []
