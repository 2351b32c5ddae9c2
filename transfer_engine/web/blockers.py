"""Why a step's action cannot be taken now, in words, each with a link to what unblocks it.

:mod:`transfer_engine.views.tasks` keeps what blocks an action as data; this module words it
(guard failures through :mod:`transfer_engine.web.wording`) and points at the page that
removes it: the step it waits for, the representatives, the staff list, a key date.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from transfer_engine.errors import Action, GuardFailure, GuardKind
from transfer_engine.views.tasks import Blocked
from transfer_engine.web import wording
from transfer_engine.web.rendering import long_date
from transfer_engine.workflow.definition import WorkflowDefinition

__all__ = ["Blocker", "blockers"]

#: Remedies that are said in words because the form itself (or waiting) is the way.
_SAID = {Action.give_note, Action.give_special_circumstances, Action.use_another_trigger,
         Action.wait_for_date, Action.nothing_to_do}


@dataclass(frozen=True)
class Blocker:
    reason: str
    remedy: str
    links: tuple[tuple[str, str], ...]   # (text, href)


def _step_link(base: str, definition: WorkflowDefinition, step_id: str) -> tuple[str, str]:
    title = definition.steps[step_id].title if step_id in definition.steps else step_id
    return f"Go to “{title}”", f"{base}/steps/{step_id}"


def _failure(base: str, definition: WorkflowDefinition, failure: GuardFailure,
             children: Mapping[str, str]) -> Blocker:
    reason, remedy = wording.guard_failure(failure)
    links: list[tuple[str, str]] = []
    kind = failure.kind
    if kind in (GuardKind.steps_open, GuardKind.step_late):
        links = [_step_link(base, definition, s.id) for s in failure.steps
                 if s.id in definition.steps]
    elif kind in (GuardKind.key_date_missing, GuardKind.date_not_reached) and failure.key_date:
        label = failure.key_date_label or failure.key_date
        links = [(f"Change the {label.lower()}", f"{base}/key-dates/{failure.key_date}")]
    elif kind == GuardKind.no_representatives:
        links = [("Record the representatives, or invite an election",
                  f"{base}/representatives")]
    elif kind == GuardKind.no_employees:
        links = [("Import the staff list", f"{base}/employees")]
    elif kind == GuardKind.representations_unanswered:
        links = [("Reply to the representations", f"{base}/representations")]
    elif kind == GuardKind.children_not_ready:
        links = [(f"Go to {c.ref}", children[c.ref]) for c in failure.children
                 if c.ref in children]
    if kind == GuardKind.step_late and failure.overridable:
        remedy = wording.guard_remedy(failure)
    return Blocker(reason, remedy if failure.satisfied_by in _SAID or not links else "",
                   tuple(links))


def blockers(base: str, definition: WorkflowDefinition, blocked: Blocked | None,
             state_label: str, children: Mapping[str, str] | None = None) -> list[Blocker]:
    """What holds an action back; ``base`` is the transfer's address (``/transfers/ld-to-nct``),
    ``children`` the addresses of the programme's transfers by reference."""
    if blocked is None:
        return []
    out: list[Blocker] = []
    if blocked.ended:
        out.append(Blocker(f"The transfer is {state_label.lower()}: nothing more is recorded "
                           "for it", "", ()))
    if blocked.states:
        out.append(Blocker(
            "This can be recorded only when the transfer is "
            + " or ".join(s.lower() for s in blocked.states),
            "", tuple(_step_link(base, definition, s) for s in blocked.steps)))
    elif blocked.steps:
        out.append(Blocker(
            "Not done yet: " + "; ".join(definition.steps[s].title for s in blocked.steps
                                         if s in definition.steps),
            "", tuple(_step_link(base, definition, s) for s in blocked.steps)))
    if blocked.earliest is not None:
        key = blocked.key_date or ""
        label = definition.key_dates[key].label if key in definition.key_dates else key
        # The key date itself, or a day counted from it (the claims window: the day after
        # it closes, "3 months beginning with transfer plus 1 day").
        counted = (f"{blocked.rule}, counted from the {label.lower()}" if blocked.rule
                   else label.lower())
        out.append(Blocker(
            f"It cannot happen before {long_date(blocked.earliest)} ({counted})",
            "Wait until then, or change the date if it has moved.",
            ((f"Change the {label.lower()}", f"{base}/key-dates/{key}"),) if key else ()))
    out.extend(_failure(base, definition, f, children or {}) for f in blocked.failures)
    return out
