"""Helpers for the letter tests: read PDFs and DOCX files as a person would, and the register."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import docx
import pypdf
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from transfer_engine.store.database import read_session
from transfer_engine.store.messages import OutboxMessage
from transfer_engine.store.register import Letter, LetterFile

AS_OF = "2022-09-20"  # the L&D transfer (1 November 2022) is under way


def flat(text: str) -> str:
    """Whitespace runs as single spaces: PDF lines wrap anywhere."""
    return " ".join(text.split())


def pdf_text(data: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(data), strict=True)
    return flat("\n".join(page.extract_text() for page in reader.pages))


def docx_text(data: bytes) -> str:
    document = docx.Document(io.BytesIO(data))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells)
    return flat("\n".join(parts))


def letters(engine: Engine, **where: object) -> list[Letter]:
    with read_session(engine) as session:
        query = select(Letter).order_by(col(Letter.id))
        for name, value in where.items():
            query = query.where(getattr(Letter, name) == value)
        return list(session.exec(query).all())


def files_of(engine: Engine, letter_id: int | None) -> dict[str, LetterFile]:
    assert letter_id is not None, "no letter: it was never saved"
    with read_session(engine) as session:
        return {f.format: f for f in session.exec(
            select(LetterFile).where(LetterFile.letter_id == letter_id)).all()}


def outbox(engine: Engine) -> list[OutboxMessage]:
    with read_session(engine) as session:
        return list(session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id))).all())


@pytest.fixture
def overrides(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A folder of the organisation's own templates (TRANSFER_ENGINE_LETTER_OVERRIDES)."""
    folder = tmp_path / "our-templates"
    folder.mkdir()
    monkeypatch.setenv("TRANSFER_ENGINE_LETTER_OVERRIDES", str(folder))
    yield folder


TEMPLATES = Path(__file__).resolve().parents[1] / "templates" / "letters"


def shipped(name: str) -> str:
    """The source of a shipped template, to copy into an override and change."""
    return (TEMPLATES / f"{name}.html.j2").read_text(encoding="utf-8")
