"""A letter's data: stored as JSON in the register, handed to its template as records.

The register keeps the exact data a letter was rendered with, so that ``letters verify`` can
render it again and compare hashes. JSON has no dates or exact decimals, and a template's
filters need both (``long_date``, ``money``), so typed values are tagged::

    {"$date": "2022-11-01"}      a datetime.date
    {"$decimal": "705.00"}       a decimal.Decimal (exact: pay is never a float)

:func:`encode` turns a context into that form (dropping ``None`` and blank strings: a field with
no value is *missing*, and the strict template environment stops on it rather than printing
"None" or "Dear ,"); :func:`to_context` turns it back into what templates read, with every
mapping a :class:`Record` that knows its dotted path, so a missing field is reported as
``employee.address`` rather than "object has no attribute".
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

__all__ = ["Record", "canonical_json", "data_sha256", "encode", "to_context"]


class Record(SimpleNamespace):
    """A group of fields a template reads as attributes (``employee.full_name``).

    ``_path`` is where the record sits in the context (``employee``, ``transfer.roles.0``);
    the sandbox keeps templates from reading it, error messages use it.
    """

    def __init__(self, path: str, values: Mapping[str, Any]) -> None:
        super().__init__(**values)
        self._path = path

    def __repr__(self) -> str:
        return f"<{self._path}>"


def _encode_value(value: Any) -> Any:
    if isinstance(value, datetime):  # before date: a datetime is a date
        raise TypeError("letter data holds dates, not times; pass value.date()")
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    if isinstance(value, Decimal):
        return {"$decimal": str(value)}
    if isinstance(value, Mapping):
        return encode(value)
    if isinstance(value, (list, tuple)):
        return [_encode_value(item) for item in value if not _blank(item)]
    if isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        raise TypeError("letter data never holds floats (money must be exact); use Decimal")
    if isinstance(value, SimpleNamespace):
        return encode(vars(value))
    raise TypeError(f"letter data cannot hold a {type(value).__name__}")


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def encode(values: Mapping[str, Any]) -> dict[str, Any]:
    """The JSON form of a context: typed values tagged, missing values left out."""
    return {str(key): _encode_value(value) for key, value in values.items()
            if not _blank(value) and not str(key).startswith("_")}


def _decode_value(value: Any, path: str) -> Any:
    if isinstance(value, dict):
        if len(value) == 1:
            ((tag, raw),) = value.items()
            if tag == "$date":
                return date.fromisoformat(raw)
            if tag == "$decimal":
                return Decimal(raw)
        return Record(path, {k: _decode_value(v, f"{path}.{k}") for k, v in value.items()})
    if isinstance(value, list):
        return [_decode_value(item, f"{path}.{i}") for i, item in enumerate(value)]
    return value


def to_context(data: Mapping[str, Any]) -> dict[str, Any]:
    """The template context for stored (or freshly encoded) letter data."""
    return {key: _decode_value(value, key) for key, value in data.items()}


def canonical_json(data: Any) -> str:
    """One spelling of the data (sorted keys, no spaces), so that its hash is reproducible."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def data_sha256(data: Any) -> str:
    return hashlib.sha256(canonical_json(data).encode("utf-8")).hexdigest()
