"""Tables of the letter register: particulars, template versions, letters issued and their files.

Table models are not validated by SQLModel; what a user types goes through pydantic schemas
first. Timestamps are UTC, timezone-aware.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel

from transfer_engine.dates.clock import utcnow

# ---------------------------------------------------------------------------------------------
# Letters: the facts a letter needs beyond the engine's own records, the template versions used,
# and the register of every letter issued (see transfer_engine.letters). The register is
# evidence: rows are only ever added (a letter sent again or corrected is a new row that
# supersedes the old one), and transfers are referenced by id and ref without a foreign key so
# that the record of what was sent outlives the transfer.


class LetterParticulars(SQLModel, table=True):
    """What letters say that the engine does not otherwise record, for one scope.

    ``scope`` is ``transfer:<id>`` (the service, reasons, measures, meeting...),
    ``transfer:<id>/employee:<ref>`` (address, grade, service start...),
    ``transfer:<id>/representative:<id>`` or ``organisation:<slug>`` (letterhead, signatory).
    ``data`` is validated by :mod:`transfer_engine.letters.particulars` before it is written.
    """

    id: int | None = Field(default=None, primary_key=True)
    scope: str = Field(unique=True)
    transfer_id: int | None = Field(default=None, index=True)
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    updated_at: datetime = Field(default_factory=utcnow)
    updated_by: str


class LetterTemplateVersion(SQLModel, table=True):
    """A letter's template exactly as it was used: every source file it was compiled from.

    ``version`` is the SHA-256 of those sources (metadata included, as it is part of the
    source), so a letter re-rendered from its stored data and this version gives the same
    bytes even after the template on disk has been edited.
    """

    id: int | None = Field(default=None, primary_key=True)
    version: str = Field(unique=True)
    letter: str = Field(index=True)
    sources: dict[str, str] = Field(sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)


class LetterLogo(SQLModel, table=True):
    """An organisation's letterhead logo (PNG or SVG), kept once by the SHA-256 of its bytes.

    The organisation's particulars name it by that hash (``logo``, with ``logo_alt``), and so
    does every letter's stored data: a letter re-rendered years later finds exactly the image it
    was issued with, even after the organisation has changed its logo.
    """

    id: int | None = Field(default=None, primary_key=True)
    sha256: str = Field(unique=True)
    media_type: str
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    stored_at: datetime = Field(default_factory=utcnow)
    stored_by: str


class LetterStatus(enum.StrEnum):
    issued = "issued"
    superseded = "superseded"
    # The retention period has passed: files and data are gone, the hashes stay as a record.
    purged = "purged"


class Letter(SQLModel, table=True):
    """One issued letter to one recipient: the register entry (evidence of what was sent).

    ``key`` makes issuing idempotent: the transfer, the letter, the recipient (and whom the
    letter is about, for an ELI schedule) and the edition. A second issue of the same letter to
    the same recipient is refused unless it is a new edition that supersedes the last one.
    ``data`` is the exact context the template was rendered with (typed values tagged, see
    ``transfer_engine.letters.data``); ``data_sha256`` its hash.
    """

    __table_args__ = (UniqueConstraint("key", name="uq_letter_key"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str
    transfer_id: int = Field(index=True)
    transfer_ref: str = Field(index=True)
    letter: str = Field(index=True)
    edition: str = "1"
    template_version: str
    recipient_ref: str
    about_ref: str | None = None
    recipient_label: str
    recipient_email: str | None = None
    audience: str
    subject: str
    letter_date: date
    data: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    data_sha256: str
    sample_data: bool = False
    issued_at: datetime = Field(default_factory=utcnow)
    issued_by: str
    status: LetterStatus = LetterStatus.issued
    supersedes_id: int | None = Field(default=None, foreign_key="letter.id")
    superseded_by_id: int | None = Field(default=None, foreign_key="letter.id")
    # What typeset its PDF and wrote its DOCX (Typst, the letter program and the fonts, by
    # hash; the DOCX writer's version): ``letters verify`` re-renders only letters made by the
    # renderers in use now. None: issued before renderer versions were recorded.
    renderer: str | None = None
    # The human reference printed on the letter ("LD-NCT/R13/0001": the transfer's code, the
    # letter's code, its number among that transfer's letters of that kind), the same in the
    # register, the portal and any letter that supersedes it (letters/references.py). None:
    # issued before references were numbered.
    reference: str | None = Field(default=None, index=True, unique=True)
    sequence: int | None = None
    # Why HR issued this letter again in place of the one it supersedes (audited too).
    reissue_reason: str | None = None


class LetterFile(SQLModel, table=True):
    """One rendered file of an issued letter (PDF, DOCX, email HTML, plain text)."""

    __table_args__ = (UniqueConstraint("letter_id", "format"),)

    id: int | None = Field(default=None, primary_key=True)
    letter_id: int = Field(foreign_key="letter.id", index=True)
    format: str
    # Relative to the letters folder (TRANSFER_ENGINE_LETTERS_DIR).
    path: str
    media_type: str
    sha256: str
    size: int


class StepDocument(SQLModel, table=True):
    """A document kept in the register as a step's evidence (a measures letter, minutes...).

    Like a letter's files, the document is kept under the letters folder with its SHA-256 and
    size; rows are only ever added. ``document_date`` is the date the document bears (the day
    the step happened); ``attached_at`` when it was recorded.
    """

    id: int | None = Field(default=None, primary_key=True)
    transfer_id: int = Field(index=True)
    transfer_ref: str = Field(index=True)
    step_id: str
    description: str
    filename: str
    media_type: str
    # Relative to the letters folder (TRANSFER_ENGINE_LETTERS_DIR).
    path: str
    sha256: str
    size: int
    document_date: date
    attached_at: datetime = Field(default_factory=utcnow)
    attached_by: str
