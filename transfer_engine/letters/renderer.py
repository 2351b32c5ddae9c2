"""The one interface every output format implements.

Like an HTTP transport, a renderer does exactly one thing through exactly one method:
:meth:`LetterRenderer.render` turns a :class:`LetterDocument` into the bytes of a file. Callers
that store or send letters depend only on this class, so a new format (or a test double) is a
subclass with one method, and the media type and file suffix travel with it.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar

from transfer_engine.letters.document import LetterDocument

__all__ = ["LetterRenderer"]


class LetterRenderer(ABC):
    """Base class of the letter output formats."""

    #: The MIME type of what :meth:`render` returns, e.g. for an email attachment.
    media_type: ClassVar[str]
    #: The usual file name suffix, with its dot.
    suffix: ClassVar[str]

    @abstractmethod
    def render(self, letter: LetterDocument) -> bytes:
        """Return the complete file for ``letter``.

        Must be deterministic (the same letter gives the same bytes, so a hash of the output
        can be recorded as evidence of what was sent) and must not keep state between calls
        that grows with the number of letters rendered.
        """
