"""A resolved workflow as plain data, and the fingerprint of that data.

A transfer must run on the workflow it started with, whatever later happens to the files, so
the database keeps each version of a definition that a transfer uses (see
:mod:`transfer_engine.store.workflows`). What it keeps is this document: a workflow file with
nothing left to merge (the parents' key dates, states, triggers and steps are written into it,
each already validated), so the loader reads it back like any other file.

The demo's ``transfer:`` and ``organisations:`` sections describe sample data, not how a
transfer runs; they are left out, so editing the sample staff is not a new workflow version.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel

from transfer_engine.domain import Regime


def resolved_document(*, workflow_id: str, version: int, title: str, description: str,
                      regime: Regime | None, initial: str, reminders: list[int] | None,
                      key_dates: Mapping[str, BaseModel], states: Mapping[str, BaseModel],
                      triggers: Mapping[str, BaseModel],
                      steps: Mapping[str, BaseModel]) -> dict[str, Any]:
    """The merged, validated workflow as JSON-ready data, in the order the file gives it.

    Defaults are left out, so a document stored by this release still reads the same after a
    later one adds an optional key with a default.
    """

    def dump(section: Mapping[str, BaseModel]) -> dict[str, Any]:
        return {name: spec.model_dump(mode="json", exclude_defaults=True)
                for name, spec in section.items()}

    document: dict[str, Any] = {"id": workflow_id, "version": version, "title": title}
    if description:
        document["description"] = description
    if regime is not None:
        document["regime"] = regime.value
    document["initial"] = initial
    if reminders is not None:
        document["reminders"] = list(reminders)
    document.update(key_dates=dump(key_dates), states=dump(states), triggers=dump(triggers),
                    steps=dump(steps))
    return document


def content_sha256(document: Mapping[str, Any]) -> str:
    """The SHA-256 of a document's content.

    Key order is kept, not sorted: the order of the steps is their order on every page and
    timeline, so moving a step is a change of content.
    """
    text = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
