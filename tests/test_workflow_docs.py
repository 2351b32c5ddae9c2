"""workflows/README.md documents the whole workflow vocabulary: every guard, kind of evidence,
condition and field a file may use, so the documentation cannot fall behind the loader."""

from __future__ import annotations

import re
from collections.abc import Iterable

import pytest
from pydantic import BaseModel

from tests.conftest import PROJECT
from transfer_engine.workflow.evidence_names import KINDS, RECIPIENTS
from transfer_engine.workflow.guard_names import GUARDS
from transfer_engine.workflow.loader import CONDITIONS
from transfer_engine.workflow.schema import (
    KeyDateSpec,
    RuleSpec,
    StateSpec,
    StepSpec,
    TriggerSpec,
    WorkflowFile,
)

README = PROJECT / "workflows" / "README.md"


def _sections() -> dict[str, str]:
    """The README's text under each "## " heading, by heading."""
    text = README.read_text(encoding="utf-8")
    parts = re.split(r"^## (.+)$", text, flags=re.MULTILINE)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def _table_rows(section: str) -> dict[str, str]:
    """A section's table rows by the name in their first cell (`name` or `name: ARG`)."""
    rows: dict[str, str] = {}
    for line in section.splitlines():
        found = re.match(r"^\| `([a-z_]+)[:`]", line)
        if found:
            rows[found.group(1)] = line
    return rows


def _undocumented(names: Iterable[str], rows: dict[str, str]) -> list[str]:
    """The names without a row, or whose row gives no example (a last cell in backticks)."""
    return sorted(n for n in names
                  if n not in rows or not re.search(r"\| `[^`]+` \|\s*$|see below \|\s*$",
                                                    rows[n]))


def test_every_guard_is_documented_with_an_example() -> None:
    assert _undocumented(GUARDS, _table_rows(_sections()["Guards"])) == []


def test_every_kind_of_evidence_is_documented_with_an_example() -> None:
    evidence = _sections()["Evidence"]
    assert _undocumented(KINDS, _table_rows(evidence)) == []
    # and whom a letter must reach, each way it can be said
    assert [r for r in RECIPIENTS if f"`{r}`" not in evidence] == []
    assert "`without_representatives`" in evidence


def test_every_condition_is_documented_with_an_example() -> None:
    assert _undocumented(CONDITIONS, _table_rows(_sections()["Conditions"])) == []


def _fields(model: type[BaseModel]) -> set[str]:
    return set(model.model_fields)


def test_every_step_field_is_documented_with_an_example() -> None:
    rows = _table_rows(_sections()["Step fields"])
    # ``rules`` has its own paragraph and example below the table.
    assert _undocumented(_fields(StepSpec) - {"rules"}, rows) == []
    assert "rules" in rows


@pytest.mark.parametrize(("model", "section"), [
    (RuleSpec, "Step fields"), (TriggerSpec, "The file"), (StateSpec, "The file"),
    (KeyDateSpec, "The file"), (WorkflowFile, "The file")])
def test_every_other_field_is_named(model: type[BaseModel], section: str) -> None:
    text = _sections()[section]
    assert sorted(f for f in _fields(model)
                  if f"`{f}`" not in text and f"`{f}:" not in text) == []


def test_the_merge_rules_of_an_extending_workflow_are_documented() -> None:
    extending = _sections()["Extending a workflow"]
    for rule in ("field by field", "replaced whole", "`due` and `rules` are alternatives",
                 "An entry set to `null` is removed", "`organisations` are merged by slug"):
        assert rule in extending, rule


def test_the_deadline_grammar_is_documented_with_examples() -> None:
    deadlines = _sections()["Deadlines"]
    for form in ("on KEY", "working days", "weeks", "months", "beginning with KEY",
                 "less N days", "corresponding-date rule"):
        assert form in deadlines, form
