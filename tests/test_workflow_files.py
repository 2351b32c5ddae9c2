"""Malformed workflow files: a clear error naming file, key and fault, never a traceback."""

import shutil
from pathlib import Path

import pytest

from tests.conftest import PROJECT, Cli, run_cli


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    target = tmp_path / "workflows"
    shutil.copytree(PROJECT / "workflows", target)
    return target


def _break(folder: Path, name: str, old: str, new: str) -> None:
    path = folder / name
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def _validate(cli: Cli, folder: Path) -> tuple[int, str]:
    code, _, err = cli("workflows", "validate", "--folder", str(folder), ok=False)
    assert "Traceback" not in err
    return code, err


def test_shipped_workflows_are_valid(cli: Cli) -> None:
    result = cli.json("workflows", "validate")
    assert set(result["workflows"]) >= {"tupe-base", "ld-to-nct", "send-iass-to-wnc",
                                        "acsws-to-schools", "acsw-school"}


@pytest.mark.parametrize(("old", "new", "expected"), [
    ("    due: 5 weeks before transfer", "    due: five weeks before transfer",
     "steps.notify_employees.due: 'five weeks before transfer' is not a deadline"),
    ("    due: 1 week before transfer\n    exposure: reg15",
     "    due: 1 week before go_live\n    exposure: reg15",
     "counts from 'go_live', which is not a key date"),
    ("      - representatives_recorded", "      - representatives_present",
     "triggers.inform_representatives.guards[0]: unknown guard 'representatives_present'"),
    ("    dest: consulting", "    dest: consultation",
     "triggers.inform_representatives.dest: 'consultation' is not a state"),
    ("    legal_basis: TUPE reg 13(4)", "    legal_bassis: TUPE reg 13(4)",
     "steps.measures.legal_bassis: unknown key"),
    ("      - steps_done: [measures]", "      - steps_done: [measure]",
     "steps_done: 'measure' is not one of"),
    ("initial: proposed", "initial: drafted", "initial: 'drafted' is not one of the states"),
    ("    exposure: reg12", "    exposure: reg-12", "steps.eli.exposure: must be"),
    # Counts so large their due dates would not exist are refused, not a traceback later.
    ("    due: 5 weeks before transfer", "    due: 999999 months after decision",
     "steps.notify_employees.due: '999999 months after decision': 999999 months is too long; "
     "a deadline may count at most 1200 months"),
    ("    due: 5 weeks before transfer", "    due: 5 weeks before transfer less 99999 days",
     "'less 99999 days' is too many"),
    # A condition's value has the type the condition reads.
    ("    applies_when:\n      no_representatives: true",
     "    applies_when:\n      no_representatives: 'maybe'",
     "applies_when.no_representatives: 'maybe' is not yes or no"),
    ("            - election_invited: false", "            - election_invited: 0",
     "all_of[1].election_invited: 0 is not yes or no"),
    ("        - election_failed: true", "        - election_failed",
     "all_of[0]: 'election_failed' is not a condition"),
    ("    applies_when:\n      no_representatives: true",
     "    applies_when:\n      not: [no_representatives]",
     "applies_when.not: ['no_representatives'] is not a condition"),
])
def test_broken_base_workflow_reports_file_key_and_fault(
    cli: Cli, folder: Path, old: str, new: str, expected: str
) -> None:
    _break(folder, "tupe-base.yaml", old, new)
    code, err = _validate(cli, folder)
    assert code == 1
    assert "tupe-base.yaml" in err
    assert expected in err


@pytest.mark.parametrize(("old", "new", "expected"), [
    ("proposed_dismissals_at_least: 100", "proposed_dismissals_at_least: true",
     "proposed_dismissals_at_least: True is not a count"),
    ("proposed_dismissals_at_least: 20", "proposed_dismissals_at_least: -20",
     "proposed_dismissals_at_least: -20 is not a count"),
    ("proposed_dismissals_at_least: 20", "proposed_dismissals_at_least: '20'",
     "proposed_dismissals_at_least: '20' is not a count"),
])
def test_a_condition_that_counts_needs_a_whole_number(
    cli: Cli, folder: Path, old: str, new: str, expected: str
) -> None:
    _break(folder, "collective-redundancies.yaml", old, new)
    code, err = _validate(cli, folder)
    assert code == 1
    assert "collective-redundancies.yaml" in err and expected in " ".join(err.split())


def test_yaml_syntax_error_names_the_line(cli: Cli, folder: Path) -> None:
    _break(folder, "ld-to-nct.yaml", "\nversion: ", "\nversion: [")
    code, err = _validate(cli, folder)
    assert code == 1 and "ld-to-nct.yaml" in err and "line " in err


def test_extending_a_missing_workflow_or_a_cycle(cli: Cli, folder: Path) -> None:
    _break(folder, "ld-to-nct.yaml", "extends: tupe-base", "extends: tupe-basic")
    code, err = _validate(cli, folder)
    assert code == 1 and "extends: no workflow 'tupe-basic'" in err
    _break(folder, "ld-to-nct.yaml", "extends: tupe-basic", "extends: acsw-school")
    _break(folder, "acsw-school.yaml", "extends: tupe-base", "extends: ld-to-nct")
    code, err = _validate(cli, folder)
    assert code == 1 and "cycle" in err


def test_several_problems_are_reported_at_once(cli: Cli, folder: Path) -> None:
    _break(folder, "tupe-base.yaml", "    due: 5 weeks before transfer", "    due: soon")
    _break(folder, "tupe-base.yaml", "    dest: consulting", "    dest: nowhere")
    code, err = _validate(cli, folder)
    assert code == 1
    assert "steps.notify_employees.due" in err and "dest: 'nowhere'" in err


def test_a_broken_workflow_folder_is_a_clear_error_from_any_command(
    database, folder: Path, tmp_path: Path
) -> None:
    _break(folder, "tupe-base.yaml", "    dest: consulting", "    dest: nowhere")
    result = run_cli("demo", env={"TRANSFER_ENGINE_WORKFLOWS": str(folder)}, cwd=tmp_path)
    assert result.returncode == 1
    assert "dest: 'nowhere' is not a state" in result.stderr
    assert "Traceback" not in result.stderr


def test_show_prints_a_mermaid_state_diagram(cli: Cli) -> None:
    _, out, _ = cli("workflows", "show", "ld-to-nct")
    assert "stateDiagram-v2" in out
    assert "ready --> transferred : go_live" in out
    data = cli.json("workflows", "show", "ld-to-nct")
    assert data["steps"]["eli"]["rules"][-1]["due"] == "28 days before transfer"


def test_an_organisations_own_workflows_are_added_to_the_shipped_ones(tmp_path: Path) -> None:
    own = tmp_path / "own"
    own.mkdir()
    (own / "catering-insourcing.yaml").write_text(
        "# An organisation's own workflow, beside the shipped ones (synthetic example).\n"
        "id: catering-insourcing\nversion: 1\ntitle: Catering insourcing (sample)\n"
        "extends: tupe-base\n")
    result = run_cli("workflows", "list", "--json",
                     env={"TRANSFER_ENGINE_WORKFLOWS": str(own)}, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "catering-insourcing" in result.stdout and "ld-to-nct" in result.stdout


def _line_of(folder: Path, name: str, text: str) -> int:
    lines = (folder / name).read_text().splitlines()
    return next(number for number, line in enumerate(lines, start=1) if text in line)


def test_a_key_given_twice_names_the_file_line_and_key(cli: Cli, folder: Path) -> None:
    # A second "dest" under the same trigger: YAML keeps the last without a word.
    _break(folder, "tupe-base.yaml", "    dest: consulting",
           "    dest: consulting\n    dest: ready")
    code, err = _validate(cli, folder)
    first = _line_of(folder, "tupe-base.yaml", "    dest: consulting")
    assert code == 1 and "tupe-base.yaml" in err
    assert (f"line {first + 1}: key 'dest' is given twice in the same mapping (first on line "
            f"{first})") in " ".join(err.split())


def test_a_date_that_does_not_exist_names_the_file_line_and_key(
    cli: Cli, folder: Path
) -> None:
    _break(folder, "tupe-base.yaml", "effective_from: 2014-07-31", "effective_from: 2023-02-30")
    code, err = _validate(cli, folder)
    line = _line_of(folder, "tupe-base.yaml", "effective_from: 2023-02-30")
    assert code == 1 and "tupe-base.yaml" in err
    assert (f"line {line}: effective_from: 2023-02-30 is not a date that exists"
            in " ".join(err.split()))
