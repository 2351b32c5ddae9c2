"""Tables of the letter register: particulars, template versions, letters issued and their files.

Table models are not validated by SQLModel; what a user types goes through pydantic schemas
first. Timestamps are UTC, timezone-aware.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, UniqueConstraint
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
