"""How a gap in a letter's data shows: refused when issuing, marked in a preview.

A *gap* is a field a letter needs that its data lacks (``transfer.meeting_place`` not recorded
yet). Issuing never lets one through: the letter is refused with the field named
(:class:`~transfer_engine.letters.refusal.LetterDataError`). A preview is for HR to read what
the letter will say and to see what is still missing, so it prints each gap where it falls, as
``[not recorded: transfer.meeting_place]``.

The marking environment is compiled from exactly the sources the letter is issued from (its
:class:`~transfer_engine.letters.catalogue.TemplateBundle`, the organisation's overrides
applied), so a preview differs from the issued letter only where a gap is marked; a letter
without gaps is never rendered with it at all.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from enum import Enum
from pathlib import Path
from typing import Any

import jinja2
import jinja2.sandbox
from markupsafe import escape

from transfer_engine.letters.catalogue import LetterSpec
from transfer_engine.letters.check import passing_undefined
from transfer_engine.letters.templates import LetterTemplates, field_path

__all__ = ["Gaps", "gap_marker", "marking_templates"]


class Gaps(Enum):
    """What making a letter does with a field its data lacks."""

    refuse = "refuse"   # issuing: the letter is not made, and the refusal names the field
    mark = "mark"       # previewing: the field prints as "[not recorded: <field>]"


def gap_marker(field: str) -> str:
    return f"[not recorded: {field}]"


class _Marked(jinja2.ChainableUndefined):
    """A missing field that prints as its marker wherever the template uses it.

    It counts as true and iterates once (as its marker), so that a template which prints the
    value only if there is one (``{% if transfer.transferee_measures %}``) shows the gap rather
    than the wording for "there is none". A value the sandbox refused still fails the letter.
    """

    __slots__ = ()

    def _marker(self) -> str:
        if self._undefined_exception is jinja2.sandbox.SecurityError:
            self._fail_with_undefined_error()
        path = field_path(self._undefined_obj, self._undefined_name)
        return gap_marker(path or str(self._undefined_name or "a value"))

    def __str__(self) -> str:
        return self._marker()

    def __html__(self) -> str:
        return str(escape(self._marker()))

    def __format__(self, spec: str) -> str:
        return self._marker()

    def __iter__(self) -> Iterator[str]:
        return iter((self._marker(),))

    def __bool__(self) -> bool:
        self._marker()
        return True

    def __len__(self) -> int:
        return 1

    # Jinja types these Undefined methods as never returning (they raise); these return.
    def __call__(self, *args: Any, **kwargs: Any) -> _Marked:  # type: ignore[override]
        return self

    # A comparison with a date not recorded (``letter_date > transfer.eli_due``) is false:
    # the text that assumes nothing unusual is shown, and the gap is marked where it prints.
    def __lt__(self, other: Any) -> bool:  # type: ignore[override]
        return False

    __le__ = __gt__ = __ge__ = __lt__  # type: ignore[assignment]


@functools.lru_cache(maxsize=64)
def marking_templates(spec: LetterSpec) -> LetterTemplates:
    """``spec``'s exact sources, compiled to mark gaps rather than refuse them (once a version)."""
    templates = LetterTemplates(Path(f"<preview of version {spec.version[:12]}>"),
                                loader=jinja2.DictLoader(spec.bundle.as_dict()),
                                undefined=_Marked)
    filters = templates.environment.filters
    for name in ("long_date", "money", "lines"):
        filters[name] = passing_undefined(filters[name])
    return templates
