"""Numbers in web addresses: ids and page numbers the database can hold, or a clear refusal.

Python's integers have no limit, but the database's do: a 64-bit signed integer. An id such as
``/transfers/99999999999999999999999`` reaches SQLite (or psycopg) as a number it cannot bind,
and the driver raises ``OverflowError`` (or a ``DataError``) instead of finding nothing.
:func:`within_range` runs before every page and API route, ahead of the route's own
dependencies, and checks each whole-number parameter the route declares in its path or query:

* a path id out of range names nothing that could exist: 404, the same "not found" as any
  unknown id;
* a query number out of range (``?page=...``) is a malformed request: 400, saying so.

Numbers in forms and JSON bodies are read after this check; the app's handlers for
``OverflowError`` and ``DataError`` answer those with 404, like an unknown id.
"""

from __future__ import annotations

from typing import Any

from fastapi import HTTPException, Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from transfer_engine.web.errors import PageNotFound

# The largest value of a 64-bit signed integer column (SQLite INTEGER, PostgreSQL BIGINT).
MAX_ID = 2**63 - 1


def _is_int(annotation: Any) -> bool:
    return annotation is int or annotation == int | None


def _int_params(dependant: Dependant) -> tuple[set[str], set[str]]:
    path = {p.name for p in dependant.path_params if _is_int(p.field_info.annotation)}
    query = {p.alias for p in dependant.query_params if _is_int(p.field_info.annotation)}
    for sub in dependant.dependencies:
        more_path, more_query = _int_params(sub)
        path |= more_path
        query |= more_query
    return path, query


# Worked out once per route. Routes are not hashable; keyed by identity, holding the route so
# that its id cannot be reused by another object.
_PARAMETERS: dict[int, tuple[APIRoute, frozenset[str], frozenset[str]]] = {}


def int_parameters(route: APIRoute) -> tuple[frozenset[str], frozenset[str]]:
    """The names of the whole-number path and query parameters of ``route`` (and its deps)."""
    found = _PARAMETERS.get(id(route))
    if found is None or found[0] is not route:
        path, query = _int_params(route.dependant)
        found = _PARAMETERS[id(route)] = (route, frozenset(path), frozenset(query))
    return found[1], found[2]


def out_of_range(raw: str) -> bool:
    """A whole number too large (or too negative) for a database integer column."""
    text = raw.strip()
    digits = (text[1:] if text[:1] in "+-" else text).lstrip("0")
    if not (digits.isascii() and digits.isdigit()):
        return False
    # Counted before converting: Python refuses to convert a string of thousands of digits.
    return len(digits) > len(str(MAX_ID)) or int(digits) > MAX_ID


def within_range(request: Request) -> None:
    """Refuse, before any work, a route's whole-number parameter that no row could have."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return
    path, query = int_parameters(route)
    if any(out_of_range(str(request.path_params.get(name, ""))) for name in path):
        raise PageNotFound()
    for name in query:
        if any(out_of_range(value) for value in request.query_params.getlist(name)):
            raise HTTPException(400, detail=f"The number given for {name!r} in the address is "
                                            "too large. Check the link, or go back and try "
                                            "again.")
