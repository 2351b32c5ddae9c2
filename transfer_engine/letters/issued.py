"""An issued letter read back from the register, to be shown on a page as it was sent.

The register keeps each letter's exact data and the template sources it was rendered with
(:mod:`transfer_engine.letters.register`); rendering those again gives the very document the
PDF, the DOCX and the email were made from (``letters verify`` checks that it still does). A
page shows that document, so it says what the PDF says, not what the template says today.
"""

from __future__ import annotations

from sqlmodel import Session, select

from transfer_engine.errors import NotFoundError, ValidationError
from transfer_engine.letters.catalogue import TemplateBundle
from transfer_engine.letters.data import data_sha256, to_context
from transfer_engine.letters.document import LetterDocument
from transfer_engine.store.register import Letter, LetterStatus, LetterTemplateVersion

__all__ = ["issued_document"]


def issued_document(session: Session, letter_id: int) -> LetterDocument:
    """The document of issued letter ``letter_id``, rendered from what the register kept.

    Refused (:class:`ValidationError`) when the stored data or template sources no longer match
    their hashes, or the letter's data was purged at the end of the retention period.
    """
    letter = session.get(Letter, letter_id)
    if letter is None:
        raise NotFoundError(f"no issued letter {letter_id}")
    if letter.status == LetterStatus.purged:
        raise ValidationError(f"letter {letter_id} was purged at the end of the retention "
                              "period; only its hashes are kept")
    stored = session.exec(select(LetterTemplateVersion).where(
        LetterTemplateVersion.version == letter.template_version)).first()
    bundle = (TemplateBundle(stored.letter, tuple(sorted(stored.sources.items())))
              if stored is not None else None)
    if bundle is None or bundle.version != letter.template_version or \
            data_sha256(letter.data) != letter.data_sha256:
        raise ValidationError(f"letter {letter_id} cannot be shown: its stored data or template "
                              "no longer matches the register's hash")
    return bundle.templates().render(letter.letter, to_context(letter.data))
