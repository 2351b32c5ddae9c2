"""The engine's refusals of a form, as GOV.UK error messages linked to the form's own fields.

Each form says, for every engine field it has, the id of its box and how the page names it
("the reference", "the date of the invitation"). A problem with no box on the form goes to the
top of the error summary, unlinked. The engine's own words follow the field's name, with any
internal word (a regime key, an organisation's slug) put as the page says it.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

from starlette.datastructures import FormData

from transfer_engine.domain import Regime
from transfer_engine.errors import FieldProblem, TransferEngineError, ValidationError
from transfer_engine.views.vocabulary import regime_words
from transfer_engine.web import wording
from transfer_engine.web.rendering import long_date


def regime_in_sentence(regime: object) -> str:
    """A regime in words within a sentence ("under TUPE", "under not a transfer"): the
    vocabulary's words, with only an acronym keeping its capitals."""
    words = regime_words(regime)
    return words if words.isupper() else words[:1].lower() + words[1:]


@dataclass(frozen=True)
class Box:
    """One field of a form: the id of its box, its name in a sentence, and what to enter."""

    id: str
    name: str          # "the reference"
    enter: str = ""    # "a reference for the transfer, like cleaning-to-acme"


def plain(text: str) -> str:
    """An engine message with the regimes' keys in words."""
    for regime in Regime:
        text = text.replace(f" {regime.value}", f" {regime_in_sentence(regime)}")
    return text


def message(problem: FieldProblem, box: Box, empty: bool = False) -> str:
    """One problem as the GOV.UK error message of its box (``empty``: nothing was typed)."""
    name = box.name[:1].upper() + box.name[1:]
    if (problem.code == "required" or empty) and box.enter:
        return f"Enter {box.enter}"
    if problem.code == "too_short" and problem.limit and box.enter:
        return f"Enter {box.enter} (at least {problem.limit} characters)"
    if problem.code == "too_long" and problem.limit:
        return f"{name} must be {problem.limit} characters or fewer"
    if problem.code == "in_future":
        return f"{name} must be today or in the past"
    if problem.earliest is not None:
        return f"{name} must be on or after {long_date(problem.earliest)}, " \
               f"{problem.earliest_because}"
    return plain(f"{name} {problem.message}")


def form_errors(exc: TransferEngineError, boxes: Mapping[str, Box],
                fallback: str = "_problem", empty: Collection[str] = ()) -> dict[str, str]:
    """The errors of a refused form by box id (``boxes`` maps the engine's fields to them;
    ``empty``: the engine fields left blank, which are asked for rather than judged)."""
    problems = exc.field_problems if isinstance(exc, ValidationError) else []
    if not problems:
        return {fallback: plain(wording.describe(exc))}
    errors: dict[str, str] = {}
    for problem in problems:
        box = boxes.get(problem.field) or boxes.get(problem.field.split(".", 1)[0])
        if box is None:
            errors.setdefault(fallback, plain(wording.field_error(problem)))
        else:
            errors.setdefault(box.id, message(problem, box, problem.field in empty))
    return errors


def text(form: FormData, name: str) -> str:
    """A text field of a posted form ('' when absent, or when a file came instead)."""
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def date_parts(form: FormData, name: str) -> dict[str, str]:
    """The day, month and year boxes of a GOV.UK date input named ``name``."""
    return {part: text(form, f"{name}-{part}") for part in ("day", "month", "year")}
