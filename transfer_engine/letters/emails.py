"""The scheduler's emails (reminders, escalations), rendered from letter templates.

They are templates like every letter (``templates/letters/reminder-email.html.j2``, ...), so HR
can change their wording and an organisation can override them, and they can be previewed
with ``letters preview``. They go out as plain text only: a reminder is read in a mail program
or, with the default file outbox, in a text editor, and needs no HTML or PDF.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from transfer_engine.letters.catalogue import Catalogue, catalogue
from transfer_engine.letters.data import encode, to_context
from transfer_engine.letters.register import render_subject
from transfer_engine.letters.text import render_text

__all__ = ["render_email"]


def render_email(name: str, values: Mapping[str, Any],
                 letters: Catalogue | None = None) -> tuple[str, str]:
    """The subject and plain-text body of scheduler email ``name`` for ``values``.

    ``letters``: the catalogue to use (default: looked up now); a sweep passes the one it
    looked up once.

    Raises :class:`~transfer_engine.letters.errors.LetterFormatError` if the template cannot
    be rendered; the scheduler then falls back to its built-in wording (a broken template must
    never silence a statutory reminder).
    """
    letters = letters or catalogue()
    spec = letters.get(name)
    templates = letters.templates(name)
    context = to_context(encode(values))
    document = templates.render(name, context)
    return render_subject(templates, spec, context), render_text(document)
