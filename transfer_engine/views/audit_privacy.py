"""The audit log as seen by someone whose role excludes personal data (viewers, in History and
through the API).

The log itself names employees by reference only (never by name), but a reference is still
personal data: with the staff list it says who objected, who was sent which letter, whose
record changed. For people who may not see personal data every such value is replaced: one
employee becomes "an employee", several become a count. Employees are recognised by the keys
the engine writes (``employee_ref``, ``employee_refs``) and by recipient references of the form
``employee:<ref>`` (as in the outbox), wherever they sit in the entry's data.

Texts carry references too: what a step's evidence lacks names the employees a letter has not
reached yet ("not issued to 2 of 5 affected employee(s): E1, E2"), a staff import lists those
it added, and a note may name someone. Given the transfer's employees (:func:`known_employees`),
:func:`without_employees` finds their references and names in any answer, text or data, and
says how many instead ("2 employees").
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from transfer_engine.store.people import Employee

AN_EMPLOYEE = "an employee"
# Keys whose value names one employee, or a list of them, by reference (a staff import lists
# those it added, put out of scope, or recorded as objecting).
EMPLOYEE_KEYS = frozenset({"employee_ref", "employee_refs", "added", "put_out_of_scope",
                           "objected"})
RECIPIENT_PREFIX = "employee:"
_EMPLOYEE_TABLE = Employee.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class KnownEmployees:
    """The employees some text may name: their references and names (of the transfers read)."""

    words: frozenset[str] = frozenset()

    @cached_property
    def _item(self) -> str | None:
        if not self.words:
            return None
        # Longest first, so that E10 is not read as E1 followed by 0; a whole word each, as a
        # recipient (employee:E10) too.
        alternatives = "|".join(re.escape(w) for w in sorted(self.words, key=len, reverse=True))
        return rf"(?<![\w-])(?:{RECIPIENT_PREFIX})?(?:{alternatives})(?![\w-])"

    @cached_property
    def _one(self) -> re.Pattern[str] | None:
        return re.compile(self._item, re.IGNORECASE) if self._item else None

    @cached_property
    def _run(self) -> re.Pattern[str] | None:
        """A list of employees as the rules write one: ``E1, E2 and 3 more``, or with what each
        lacks, ``E1 (start date); E2 (pay)``."""
        if not self._item:
            return None
        item = rf"{self._item}(?: \([^()]*\))?"
        return re.compile(rf"{item}(?:(?:, |; | and ){item})*(?:;? and (\d+) more)?",
                          re.IGNORECASE)

    def names(self, value: str) -> bool:
        """Whether ``value`` is one of the employees (their reference or name), and only that."""
        return self._one is not None and self._one.fullmatch(value.strip()) is not None

    def scrub(self, text: str) -> str:
        """``text`` with each list of employees replaced by how many they are."""
        if self._run is None or self._one is None:
            return text
        one = self._one

        def count(found: re.Match[str]) -> str:
            return _count(len(one.findall(found.group(0))) + int(found.group(1) or 0))

        return self._run.sub(count, text)


def known_employees(connection: Connection, transfer_ids: Iterable[int | None]
                    ) -> KnownEmployees:
    """The references and names of the employees of these transfers (one query)."""
    ids = sorted({i for i in transfer_ids if i is not None})
    if not ids:
        return KnownEmployees()
    rows = connection.execute(sa.select(_EMPLOYEE_TABLE.c.employee_ref,
                                        _EMPLOYEE_TABLE.c.full_name)
                              .where(_EMPLOYEE_TABLE.c.transfer_id.in_(ids))).all()
    return KnownEmployees(frozenset(w.strip() for row in rows for w in row
                                    if isinstance(w, str) and w.strip()))


def _names_employee(value: Any) -> bool:
    return isinstance(value, str) and value.strip().casefold().startswith(RECIPIENT_PREFIX)


def _count(n: int) -> str:
    return AN_EMPLOYEE if n == 1 else f"{n} employees"


def _redact(key: str | None, value: Any, known: KnownEmployees) -> Any:
    if key in EMPLOYEE_KEYS:
        return _count(len(value)) if isinstance(value, (list, tuple, set)) else AN_EMPLOYEE
    if _names_employee(value):
        return AN_EMPLOYEE
    if isinstance(value, str):
        return AN_EMPLOYEE if known.names(value) else known.scrub(value)
    if isinstance(value, Mapping):
        # Keyed by employee (what a staff import changed, employee by employee): how many.
        named = [k for k in value if isinstance(k, str) and known.names(k)]
        rest = {str(k): _redact(str(k), v, known) for k, v in value.items() if k not in named}
        if named and not rest:
            return _count(len(named))
        return {**rest, "employees": _count(len(named))} if named else rest
    if isinstance(value, (list, tuple)):
        def employee(v: Any) -> bool:
            return _names_employee(v) or (isinstance(v, str) and known.names(v))
        named_count = sum(1 for v in value if employee(v))
        others = [_redact(None, v, known) for v in value if not employee(v)]
        return others + ([_count(named_count)] if named_count else [])
    return value


def without_personal_data(data: Mapping[str, Any] | None,
                          known: KnownEmployees | None = None) -> dict[str, Any]:
    """``data`` of an audit entry with every employee reference replaced (see the module);
    with ``known``, their references and names in any text too."""
    known = known or KnownEmployees()
    return {str(k): _redact(str(k), v, known) for k, v in (data or {}).items()}


def without_employees(value: Any, known: KnownEmployees) -> Any:
    """Any answer (a JSON-like value: mappings, lists, texts) with the employees in ``known``
    replaced by how many they are, for a role that may not see personal data."""
    if isinstance(value, str):
        return AN_EMPLOYEE if known.names(value) else known.scrub(value)
    if isinstance(value, Mapping):
        return {k: without_employees(v, known) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [without_employees(v, known) for v in value]
    return value
