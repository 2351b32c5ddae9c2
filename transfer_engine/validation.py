"""Pydantic's validation errors, worded for the person who typed the input.

Every schema (workflow files, CLI and form input, staff lists, letter particulars and letter
metadata) is checked by pydantic; :func:`field_problems` turns what pydantic found into
:class:`~transfer_engine.errors.FieldProblem` rows: the field by its path (``steps.eli.due``,
``guards[0]``) or by the label its caller gives, and what is wrong in plain words rather than
pydantic's ("must be 1.5 or less", not "Input should be less than or equal to 1.5").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Protocol, TypeVar

import pydantic

from transfer_engine.errors import FieldProblem, ValidationError

Model = TypeVar("Model", bound=pydantic.BaseModel)


class ReportsErrors(Protocol):
    """What is read of a ``pydantic.ValidationError``."""

    def errors(self) -> Any: ...


# pydantic names the branch of a union in the location ("str", "dict[str,any]"): not a field.
_UNION_BRANCHES = ("dict[", "list[", "tuple[", "function-")


def field_path(location: Iterable[Any]) -> str:
    """``("steps", "eli", "guards", 0)`` as ``steps.eli.guards[0]``."""
    path = ""
    for part in location:
        if isinstance(part, int):
            path += f"[{part}]"
        elif not path or (part != "str" and not str(part).startswith(_UNION_BRANCHES)):
            path += f".{part}" if path else str(part)
    return path


def _bound(context: Mapping[str, Any], key: str) -> str:
    return str(context.get(key, "")).strip("'")


def _limit(context: Mapping[str, Any], *keys: str) -> int | None:
    for key in keys:
        if isinstance(context.get(key), int):
            return int(context[key])
    return None


def _unit(error: Mapping[str, Any]) -> str:
    # pydantic reports some text as "too_short" rather than "string_too_short": go by the input.
    text = str(error.get("type", "")).startswith("string") or isinstance(error.get("input"), str)
    return "characters" if text else "items"


def _plain(error: Mapping[str, Any]) -> tuple[str, str]:
    """(code, what is wrong) for one pydantic error, in words that follow the field's name."""
    kind = str(error.get("type", ""))
    context: Mapping[str, Any] = error.get("ctx") or {}
    if kind == "missing":
        return "required", "is required"
    if kind == "extra_forbidden":
        return "unknown", "is not a field that can be given here"
    if kind in ("string_too_short", "too_short"):
        least = _limit(context, "min_length")
        if least is not None and least <= 1:
            return "required", "must not be empty"
        return "too_short", f"must be at least {least} {_unit(error)}"
    if kind in ("string_too_long", "too_long"):
        return "too_long", f"must be at most {_limit(context, 'max_length')} {_unit(error)}"
    if kind == "string_pattern_mismatch":
        return "invalid", "has characters or a form that are not allowed"
    if kind == "greater_than":
        return "invalid", f"must be more than {_bound(context, 'gt')}"
    if kind == "greater_than_equal":
        return "invalid", f"must be {_bound(context, 'ge')} or more"
    if kind == "less_than":
        return "invalid", f"must be less than {_bound(context, 'lt')}"
    if kind == "less_than_equal":
        return "invalid", f"must be {_bound(context, 'le')} or less"
    if kind == "decimal_max_places":
        return "invalid", f"must have at most {_bound(context, 'decimal_places')} decimal places"
    if kind in ("decimal_parsing", "float_parsing", "int_parsing", "decimal_type",
                "float_type", "int_type", "int_from_float"):
        return "invalid", "must be a number"
    if kind.startswith(("date_", "datetime_")):
        return "invalid", "must be a date written YYYY-MM-DD, e.g. 2022-11-01"
    if kind.startswith("bool_"):
        return "invalid", "must be yes or no"
    if kind in ("enum", "literal_error"):
        return "invalid", f"must be one of {_bound(context, 'expected')}"
    if kind in ("string_type", "dict_type", "list_type", "model_type", "model_attributes_type"):
        what = {"string_type": "text", "list_type": "a list"}.get(kind, "a mapping of key: value")
        return "invalid", f"must be {what}"
    message = str(error.get("msg", "is not valid"))
    # Our own validators raise ValueError("..."): pydantic prefixes "Value error, ".
    for prefix in ("Value error, ", "Assertion failed, "):
        message = message.removeprefix(prefix)
    if kind == "value_error" and message.startswith("value is not a valid email address"):
        message = "is not a valid email address" + message.removeprefix(
            "value is not a valid email address")
    return "invalid", message[:1].lower() + message[1:]


def field_problems(exc: ReportsErrors, *, labels: Mapping[str, str] | None = None,
                   prefix: tuple[Any, ...] = (), unknown: str | None = None,
                   missing: str | None = None, formats: Mapping[str, str] | None = None,
                   show_input: bool = False, whole: str = "input") -> list[FieldProblem]:
    """Each problem pydantic found, worded for people.

    ``labels`` names fields for people (by path or by first part); ``prefix`` is prepended to
    every path (the section a fragment came from); ``unknown`` and ``missing`` replace the words
    for a key that is not allowed or not given; ``formats`` says, by path, what a field that
    must match a pattern may hold; ``show_input`` quotes the text that was typed; ``whole``
    names the input itself, for a problem with no field.
    """
    labels, formats = labels or {}, formats or {}
    problems = []
    for error in exc.errors():
        path = field_path(prefix + tuple(error.get("loc") or ()))
        code, message = _plain(error)
        if error.get("type") == "string_pattern_mismatch" and path in formats:
            message = f"must be {formats[path]}"
        elif code == "unknown" and unknown:
            message = unknown
        elif error.get("type") == "missing" and missing:
            message = missing
        value = error.get("input")
        if show_input and isinstance(value, str) and code not in ("required", "unknown"):
            message += f" (got {value!r})"
        head = path.split(".", 1)[0].split("[", 1)[0]
        label = labels.get(path) or (labels[head] + path[len(head):] if head in labels else "")
        limit = _limit(error.get("ctx") or {}, "min_length", "max_length")
        problems.append(FieldProblem(path or whole, message, label=label, code=code,
                                     limit=limit))
    return problems


def parse(model: type[Model], data: Mapping[str, Any], *,
          formats: Mapping[str, str] | None = None) -> Model:
    """``data`` checked as ``model``; a :class:`~transfer_engine.errors.ValidationError` that
    names each bad field otherwise (``formats``: what a field should look like, by name)."""
    try:
        return model.model_validate(dict(data))
    except pydantic.ValidationError as exc:
        raise ValidationError(field_problems=field_problems(exc, formats=formats)) from None
