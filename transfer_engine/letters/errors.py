"""The one error the letter layer raises: a letter cannot be produced from its template.

It derives from :class:`transfer_engine.errors.TransferEngineError` so that the CLI and the
scheduler show its message rather than a traceback. The message names the letter and, when the
rendered HTML is at fault, the line, so that whoever edits the template can find the fault
without reading rendered output.
"""

from __future__ import annotations

from transfer_engine.errors import TransferEngineError


class LetterFormatError(TransferEngineError):
    """A letter's template failed, or its output is not the letter HTML subset.

    ``line`` is the line of the rendered HTML at fault, or ``None`` when the template itself
    failed (for example a value it needs was not supplied).
    """

    def __init__(self, letter: str, problem: str, line: int | None = None) -> None:
        self.letter = letter
        self.line = line
        self.problem = problem
        where = f", line {line} of the rendered HTML" if line is not None else ""
        super().__init__(f"letter {letter!r}{where}: {problem}")
