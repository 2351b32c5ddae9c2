"""The one error the letter layer raises: a letter's source is not in the supported HTML subset.

It derives from :class:`transfer_engine.errors.TransferEngineError` so that the CLI and the
scheduler show its message rather than a traceback. The message names the letter and the line, so
that whoever edits the template can find the fault without reading rendered output.
"""

from __future__ import annotations

from transfer_engine.errors import TransferEngineError


class LetterFormatError(TransferEngineError):
    """A rendered letter is not valid letter HTML (see ``transfer_engine.letters.parse``)."""

    def __init__(self, letter: str, line: int, problem: str) -> None:
        self.letter = letter
        self.line = line
        self.problem = problem
        super().__init__(
            f"letter {letter!r}, line {line} of the rendered HTML: {problem}. "
            "Fix the letter's template so that it produces the letter HTML subset."
        )
