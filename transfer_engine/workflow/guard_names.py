"""The guards a workflow file may name: each one's argument and what it checks.

The workflow layer knows the vocabulary so that a file can be validated without the rules that
run the checks (``transfer_engine.rules.guards`` implements every name here and refuses to load
if one is missing), which keeps the definitions below the database and the rules.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class GuardSignature:
    """A guard's name, the shape of its argument and a one-line summary for documentation."""

    name: str
    argument: str  # "none", "key-date", "step-list", "step", "regime-list", "name-list"
    summary: str


def _signatures(*items: tuple[str, str, str]) -> dict[str, GuardSignature]:
    return {name: GuardSignature(name, argument, summary) for name, argument, summary in items}


GUARDS: dict[str, GuardSignature] = _signatures(
    ("key_date_set", "key-date", "the named key date has been recorded"),
    ("date_reached", "key-date", "today is on or after the named key date"),
    ("steps_done", "step-list", "each named step is done (or does not apply)"),
    ("steps_due_done", "key-date", "every step due on or before the named key date is done"),
    ("on_time", "step", "the named step was done by its statutory due date"),
    ("representatives_recorded", "none",
     "the transferor's affected employees have representatives, or reg 13A or reg 13(11) "
     "lets it inform each of them directly"),
    ("representations_answered", "none",
     "every representation the representatives made has the employer's reply (reg 13(7))"),
    ("employees_recorded", "none", "at least one employee in scope is recorded"),
    ("regime_is", "regime-list", "the transfer's legal regime is one of those named"),
    ("note_given", "none", "a note saying why is given"),
    ("children_in", "name-list", "every child transfer is in one of the named states"),
    ("children_steps_done", "name-list",
     "the named steps are done (or do not apply) in every child transfer"),
)
