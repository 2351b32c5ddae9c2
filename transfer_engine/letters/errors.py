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


class UnsupportedCharacterError(LetterFormatError):
    """A letter holds a character that none of the shipped fonts can draw.

    Raised before anything is issued (the check runs when the letter is composed, and again
    before it is typeset), so a PDF never shows a blank box where a name should be. Fields:
    ``recipient`` (the first line of the recipient block, their name), ``character``,
    ``where`` (which part of the letter) and ``font``.
    """

    def __init__(self, letter: str, recipient: str, character: str, where: str,
                 character_name: str, font: str) -> None:
        self.recipient = recipient
        self.character = character
        self.where = where
        self.font = font
        code = f"U+{ord(character):04X}"
        shown = f"{code} {character!r}" + (f" ({character_name})" if character_name else "")
        super().__init__(letter, (
            f"the letter to {recipient} cannot be typeset: {shown} in {where} is not in the "
            f"letter font ({font}), so the PDF could not show it. Correct the text where it is "
            "recorded (the staff list, or the letter's particulars), or write the name as the "
            "person writes it in Latin script, then issue the letter."))
