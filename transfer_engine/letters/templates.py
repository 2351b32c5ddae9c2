"""Letter templates: one Jinja2 file per letter, producing the letter HTML subset.

A letter called ``employee-notification`` lives in ``<templates dir>/employee-notification.html.j2``
(the directory is ``Settings.templates_dir``). Its output is the email body and the source of
every other format; see ``transfer_engine.letters.parse`` for the HTML it may use.

The environment is strict on purpose: every value is HTML-escaped (so a name such as
``<script>`` prints as text and cannot change the letter's structure), and a value the template
uses but the caller did not supply is an error naming the letter, never a silent blank in a
statutory letter.

It is also sandboxed (:class:`jinja2.sandbox.ImmutableSandboxedEnvironment`): templates are
edited by HR and may be replaced by an organisation's own (``overrides``), so a template must not
be able to reach Python internals (``''.__class__.__mro__``) or change the data it is given.
Files whose name starts with ``_`` are parts (letterhead, signature) that letters include, not
letters themselves.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import jinja2
import jinja2.sandbox
from markupsafe import Markup

from transfer_engine.letters.data import Record
from transfer_engine.letters.document import LetterDocument
from transfer_engine.letters.errors import LetterFormatError
from transfer_engine.letters.parse import parse_letter_html

__all__ = ["SUFFIX", "LetterSandbox", "LetterTemplates", "field_path", "lines", "long_date",
           "money"]

SUFFIX = ".html.j2"
_NAME = re.compile(r"[a-z0-9][a-z0-9_-]*")


_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")


def long_date(value: date) -> str:
    """``1 March 2025``: the form UK letters use, whatever the process locale."""
    return f"{value.day} {_MONTHS[value.month - 1]} {value.year}"


def money(value: Decimal | int | float, pence: bool = True) -> str:
    """``£27,450.00`` (or ``£27,450`` with ``pence=False``)."""
    return f"£{value:,.2f}" if pence else f"£{value:,.0f}"


def lines(values: Iterable[str]) -> Markup:
    """Address lines joined by ``<br>``, each escaped (cheaper than a loop in the template)."""
    return _BR.join(values)


_BR = Markup("<br>")


def field_path(obj: Any, name: Any) -> str | None:
    """``employee.address`` for a field missing from a record that knows its own path.

    Records built by :mod:`transfer_engine.letters.data` carry their dotted path in ``_path``
    (which templates cannot read: the sandbox refuses names starting with ``_``).
    """
    if obj is jinja2.runtime.missing:
        return str(name)
    path = getattr(obj, "_path", None) if not isinstance(obj, (dict, list, tuple)) else None
    return f"{path}.{name}" if isinstance(path, str) else None


class LetterSandbox(jinja2.sandbox.ImmutableSandboxedEnvironment):
    """The sandbox, with a fast answer for the letter's own data.

    A :class:`~transfer_engine.letters.data.Record` is a plain namespace of the letter's fields:
    every public attribute is data, so the generic checks (is it a method that mutates, a
    function's internals...) cannot refuse it, and costing a quarter of every render they are
    skipped. Names starting with ``_`` stay refused; everything else is checked as before.
    """

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        if type(obj) is Record:
            return not attr.startswith("_")
        return super().is_safe_attribute(obj, attr, value)


class _StrictUndefined(jinja2.StrictUndefined):
    """Strict, and names a missing field by its path (``employee.address``) where it can."""

    __slots__ = ()

    @property
    def _undefined_message(self) -> str:
        if not self._undefined_hint:
            path = field_path(self._undefined_obj, self._undefined_name)
            if path is not None:
                return f"{path} is missing"
        return super()._undefined_message


class LetterTemplates:
    """The letter templates in one directory."""

    def __init__(self, directory: Path | str, *, overrides: Iterable[Path | str] = (),
                 loader: jinja2.BaseLoader | None = None,
                 undefined: type[jinja2.Undefined] = _StrictUndefined) -> None:
        """Templates from ``directory``; files in ``overrides`` (searched first) replace them.

        ``loader`` replaces the file system altogether (e.g. the exact sources a letter was
        issued with, to re-render it); ``directory`` then only names it in messages.
        ``undefined`` is what a missing field becomes: an error unless a preview marks it
        (:mod:`transfer_engine.letters.gaps`).
        """
        self.directory = Path(directory)
        if loader is None:
            folders = [Path(folder) for folder in overrides] + [self.directory]
            loader = jinja2.FileSystemLoader(folders)
        self.environment = LetterSandbox(
            loader=loader,
            autoescape=True,
            undefined=undefined,
            trim_blocks=True,
            lstrip_blocks=True,
            # Templates do not change while a batch runs; skip the per-render freshness check.
            auto_reload=False,
            keep_trailing_newline=False,
        )
        self.environment.filters["long_date"] = long_date
        self.environment.filters["money"] = money
        self.environment.filters["lines"] = lines

    def names(self) -> list[str]:
        """The letters available, by name (parts such as ``_letterhead`` are not letters)."""
        return sorted(p.name[: -len(SUFFIX)] for p in self.directory.glob(f"*{SUFFIX}")
                      if not p.name.startswith("_"))

    def template(self, letter: str) -> jinja2.Template:
        """The compiled template for ``letter`` (compiled once, then cached by Jinja)."""
        if not _NAME.fullmatch(letter):
            raise LetterFormatError(letter, "a letter name is lower-case letters, digits, "
                                    "'-' and '_'")
        try:
            return self.environment.get_template(letter + SUFFIX)
        except jinja2.TemplateNotFound:
            raise LetterFormatError(
                letter, f"no template {letter + SUFFIX} in {self.directory}; "
                f"available: {', '.join(self.names()) or 'none'}"
            ) from None
        except jinja2.TemplateSyntaxError as error:
            raise LetterFormatError(
                letter, f"syntax error on line {error.lineno} of the template: {error.message}"
            ) from None

    def render_html(self, letter: str, context: Mapping[str, Any]) -> str:
        """The letter's HTML: the email body, and the input to :meth:`render`."""
        template = self.template(letter)
        try:
            return template.render(context)
        except jinja2.UndefinedError as error:
            raise LetterFormatError(letter, f"the template needs a value that was not supplied "
                                    f"({error.message})") from None
        except jinja2.sandbox.SecurityError as error:
            raise LetterFormatError(letter, f"the template tried to reach something letters "
                                    f"may not use ({error}); templates can only print the "
                                    "letter's data") from None
        except jinja2.TemplateNotFound as error:
            raise LetterFormatError(letter, f"the template includes {error.name!r}, which "
                                    f"does not exist in {self.directory}") from None
        except jinja2.TemplateSyntaxError as error:  # in a part the letter includes
            raise LetterFormatError(letter, f"syntax error on line {error.lineno} of "
                                    f"{error.name or 'an included part'}: {error.message}"
                                    ) from None
        except (jinja2.TemplateError, TypeError, ValueError, ArithmeticError,
                LookupError) as error:
            # e.g. a filter given the wrong kind of value: still the template's fault.
            raise LetterFormatError(letter, f"the template failed: {type(error).__name__}: "
                                    f"{error}") from None

    def render(self, letter: str, context: Mapping[str, Any]) -> LetterDocument:
        """Render and parse: the structured letter, ready for any renderer."""
        return parse_letter_html(self.render_html(letter, context), name=letter)
