"""The audit log as seen by someone whose role excludes personal data (viewers, in History and
through the API).

The log itself names employees by reference only (never by name), but a reference is still
personal data: with the staff list it says who objected, who was sent which letter, whose
record changed. For people who may not see personal data every such value is replaced: one
employee becomes "an employee", several become a count. Employees are recognised by the keys
the engine writes (``employee_ref``, ``employee_refs``) and by recipient references of the form
``employee:<ref>`` (as in the outbox), wherever they sit in the entry's data.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

AN_EMPLOYEE = "an employee"
# Keys whose value names one employee, or a list of them, by reference.
EMPLOYEE_KEYS = frozenset({"employee_ref", "employee_refs"})
RECIPIENT_PREFIX = "employee:"


def _names_employee(value: Any) -> bool:
    return isinstance(value, str) and value.strip().casefold().startswith(RECIPIENT_PREFIX)


def _count(n: int) -> str:
    return AN_EMPLOYEE if n == 1 else f"{n} employees"


def _redact(key: str | None, value: Any) -> Any:
    if key in EMPLOYEE_KEYS:
        return _count(len(value)) if isinstance(value, (list, tuple, set)) else AN_EMPLOYEE
    if _names_employee(value):
        return AN_EMPLOYEE
    if isinstance(value, Mapping):
        return {k: _redact(str(k), v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        named = sum(1 for v in value if _names_employee(v))
        others = [_redact(None, v) for v in value if not _names_employee(v)]
        return others + ([_count(named)] if named else [])
    return value


def without_personal_data(data: Mapping[str, Any] | None) -> dict[str, Any]:
    """``data`` of an audit entry with every employee reference replaced (see the module)."""
    return {str(k): _redact(str(k), v) for k, v in (data or {}).items()}
