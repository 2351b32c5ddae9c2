"""One letter to one recipient, made the same way by every path that makes one.

Issuing by hand (``letters issue``), the letters a workflow state names (issued after the
transition by the CLI, the web app, the API or the scheduler), and previews and downloads (the
CLI and the web app) all make a letter here:

* :func:`resolve` picks the letter as its sender sends it, with the organisation's template
  overrides applied (``TRANSFER_ENGINE_LETTER_OVERRIDES``);
* :func:`compose` builds each recipient's data from what is recorded
  (:func:`~transfer_engine.letters.context.build_data`: the transfer, its particulars, the
  recipient) and finds its gaps;
* :meth:`ComposedLetter.render` renders it.

The paths differ in one thing only, what a gap does (:class:`~transfer_engine.letters.gaps.Gaps`):
refused when issuing, marked in a preview. A preview of a letter whose data is complete is
therefore, byte for byte, the letter that would be issued to that recipient on that day.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlmodel import Session

from transfer_engine.config import Settings
from transfer_engine.letters.catalogue import LetterSpec, catalogue
from transfer_engine.letters.check import FieldChecker
from transfer_engine.letters.context import (
    Recipient,
    TransferFacts,
    build_data,
    employee_extras,
    sender_of,
)
from transfer_engine.letters.data import to_context
from transfer_engine.letters.document import LetterDocument
from transfer_engine.letters.gaps import Gaps, marking_templates
from transfer_engine.letters.refusal import LetterDataError, RecipientProblem
from transfer_engine.letters.register import FORMATS, RenderedLetter, render
from transfer_engine.letters.templates import LetterTemplates

__all__ = ["ComposedLetter", "compose", "resolve"]


def resolve(facts: TransferFacts, letter: str, *,
            settings: Settings | None = None) -> tuple[LetterSpec, LetterTemplates]:
    """The letter as its sender sends it (that organisation's overrides applied)."""
    spec = catalogue(settings=settings).get(letter)
    # A letter each employer sends (sender: each) starts as the transferor's; compose() takes
    # the transferee's own version for the transferee's recipients.
    sender = facts.transferee if spec.sender == "transferee" else facts.transferor
    own = catalogue(sender.slug, settings=settings)
    return own.get(letter), own.templates(letter)


def _as_sent_by(facts: TransferFacts, spec: LetterSpec, templates: LetterTemplates,
                checker: FieldChecker, recipient: Recipient, settings: Settings | None
                ) -> tuple[LetterSpec, LetterTemplates, FieldChecker]:
    """The letter as the party that owes it to ``recipient`` sends it (sender: each)."""
    _, sender = sender_of(facts, spec, recipient)
    if spec.sender != "each" or sender.id == facts.transferor.id:
        return spec, templates, checker
    own = catalogue(sender.slug, settings=settings)
    theirs = own.get(spec.name)
    if theirs == spec:
        return spec, templates, checker
    return theirs, own.templates(spec.name), FieldChecker(theirs)


@dataclass(frozen=True)
class ComposedLetter:
    """One recipient's letter: its data (as the register keeps it) and what that data lacks."""

    transfer_ref: str
    spec: LetterSpec
    templates: LetterTemplates   # the sender's, strict
    recipient: Recipient
    data: dict[str, Any]
    missing: tuple[str, ...]     # the gaps: fields the letter uses that the data lacks
    gaps: Gaps

    def refusal(self) -> LetterDataError:
        """The error that names this letter's gaps (issuing refuses a letter that has any)."""
        return LetterDataError(self.spec.name, self.transfer_ref, [RecipientProblem(
            self.recipient.label, self.recipient.ref, self.missing)], 1)

    def _environment(self) -> LetterTemplates:
        if not self.missing:
            return self.templates
        if self.gaps is Gaps.mark:
            return marking_templates(self.spec)
        raise self.refusal()

    def document(self) -> LetterDocument:
        """The letter parsed, ready for any renderer (no file rendered yet)."""
        return self._environment().render(self.spec.name, to_context(self.data))

    def render(self, formats: Sequence[str] = tuple(FORMATS),
               made: Mapping[str, bytes] | None = None) -> RenderedLetter:
        """The letter in ``formats`` (every format the register keeps, by default); ``made``:
        formats already rendered from this same data elsewhere (see ``register.render``)."""
        return render(self._environment(), self.spec, self.data, tuple(formats), made)


def compose(session: Session, facts: TransferFacts, spec: LetterSpec,
            templates: LetterTemplates, recipients: Sequence[Recipient], *, letter_date: date,
            gaps: Gaps, checker: FieldChecker | None = None,
            settings: Settings | None = None,
            references: Callable[[Recipient], str | None] | None = None
            ) -> list[ComposedLetter]:
    """Each recipient's letter ``spec`` of this transfer, dated ``letter_date``.

    ``recipients`` is a chunk (:data:`~transfer_engine.letters.context.CHUNK` at most): their
    particulars are read in one query. ``templates`` comes from :func:`resolve`. Raises
    :class:`~transfer_engine.errors.ValidationError` for a letter that cannot apply to the
    transfer; a gap is not raised here but when the letter is rendered with ``Gaps.refuse``.
    ``references`` gives each recipient's letter its reference (issuing numbers them; a
    preview shows the number it would be issued with; a check before issuing needs none).
    """
    checker = checker or FieldChecker(spec)
    extras = employee_extras(session, facts, recipients)
    out = []
    for recipient in recipients:
        extra = (extras.get(recipient.employee.employee_ref, {})
                 if recipient.employee is not None else None)
        own_spec, own_templates, own_checker = _as_sent_by(facts, spec, templates, checker,
                                                           recipient, settings)
        data = build_data(facts, own_spec, recipient, letter_date=letter_date,
                          employee_extra=extra,
                          reference=references(recipient) if references else None)
        out.append(ComposedLetter(facts.transfer.ref, own_spec, own_templates, recipient, data,
                                  tuple(own_checker.missing(to_context(data))), gaps))
    return out
