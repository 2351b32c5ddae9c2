"""YAML read strictly: a key given twice, or a date that does not exist, is an error with its line.

PyYAML's ``safe_load`` keeps the last of two equal keys without a word, so a step pasted twice
with different deadlines silently loses the first; and it raises a bare ``ValueError`` with no
position for a date such as ``2023-02-30``. Reviewers of a workflow file need both pointed out,
with the line and the key.
"""

from __future__ import annotations

import datetime
import re
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode

_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_MERGE = "tag:yaml.org,2002:merge"
_DATE_PARTS = re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})")


class YamlProblem(yaml.MarkedYAMLError):
    """A problem in the file's content rather than its syntax; ``problem`` says it for people."""

    def __init__(self, problem: str, node: Node) -> None:
        super().__init__(problem=problem, problem_mark=node.start_mark)

    @property
    def line(self) -> int:
        return self.problem_mark.line + 1 if self.problem_mark else 0


class StrictLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that refuses duplicate keys and impossible dates."""

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, Node] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                continue  # "<<: *defaults" may be overridden key by key: that is its purpose
            key = self.construct_object(key_node, deep=True)
            try:
                first = seen.get(key)
            except TypeError:
                continue  # an unhashable key; the base class reports it
            if first is not None:
                raise YamlProblem(
                    f"key {key!r} is given twice in the same mapping (first on line "
                    f"{first.start_mark.line + 1}); the second would silently replace the first, "
                    "so remove or rename one", key_node)
            seen[key] = key_node
            if isinstance(value_node, ScalarNode) and value_node.tag == _TIMESTAMP:
                _check_date(key, value_node)
        return super().construct_mapping(node, deep=deep)


def _check_date(key: object, node: ScalarNode) -> None:
    found = _DATE_PARTS.match(node.value)
    if found is None:
        return
    year, month, day = (int(part) for part in found.groups())
    try:
        datetime.date(year, month, day)
    except ValueError:
        raise YamlProblem(
            f"{key}: {node.value} is not a date that exists (check the month and the day); "
            "write a real date as YYYY-MM-DD", node) from None


def _timestamp(loader: StrictLoader, node: Node) -> object:
    # A date outside any mapping (in a list): no key to name, but still the line.
    assert isinstance(node, ScalarNode)
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except ValueError:
        raise YamlProblem(f"{node.value} is not a date that exists (check the month and the "
                          "day); write a real date as YYYY-MM-DD", node) from None


StrictLoader.add_constructor(_TIMESTAMP, _timestamp)


def load(text: str) -> Any:
    """The document in ``text``; :class:`YamlProblem` or another ``yaml.YAMLError`` if bad."""
    return yaml.load(text, Loader=StrictLoader)  # a SafeLoader: no arbitrary objects
