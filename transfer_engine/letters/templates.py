"""Letter templates: one Jinja2 file per letter, producing the letter HTML subset.

A letter called ``employee-notification`` lives in ``<templates dir>/employee-notification.html.j2``
(the directory is ``Settings.templates_dir``). Its output is the email body and the source of
every other format; see ``transfer_engine.letters.parse`` for the HTML it may use.

The environment is strict on purpose: every value is HTML-escaped (so a name such as
``<script>`` prints as text and cannot change the letter's structure), and a value the template
uses but the caller did not supply is an error naming the letter, never a silent blank in a
statutory letter.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import jinja2

from transfer_engine.letters.document import LetterDocument
from transfer_engine.letters.errors import LetterFormatError
from transfer_engine.letters.parse import parse_letter_html

__all__ = ["SUFFIX", "LetterTemplates", "long_date", "money"]

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


class LetterTemplates:
    """The letter templates in one directory."""

    def __init__(self, directory: Path | str) -> None:
        self.directory = Path(directory)
        self.environment = jinja2.Environment(
            loader=jinja2.FileSystemLoader(self.directory),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            # Templates do not change while a batch runs; skip the per-render freshness check.
            auto_reload=False,
            keep_trailing_newline=False,
        )
        self.environment.filters["long_date"] = long_date
        self.environment.filters["money"] = money

    def names(self) -> list[str]:
        """The letters available, by name."""
        return sorted(p.name[: -len(SUFFIX)] for p in self.directory.glob(f"*{SUFFIX}"))

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

    def render(self, letter: str, context: Mapping[str, Any]) -> LetterDocument:
        """Render and parse: the structured letter, ready for any renderer."""
        return parse_letter_html(self.render_html(letter, context), name=letter)
