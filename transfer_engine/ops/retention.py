"""Backups and the retention of personal data.

Employees' personal data (names, contact details, dates of birth, pay: the employee liability
information of reg 11) is needed while a transfer runs and while claims can still be brought,
not for ever (UK GDPR art. 5(1)(e)). :func:`purge_personal_data` removes it a configurable
period after the transfer date, once the transfer is in a final state, and audits the purge.
What stays: each employee's reference, role and FTE, so the history still adds up. Letters in
the register lose their rendered files and the data they were made from (their hashes stay, as a
record of what was sent), and sent messages lose their bodies.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import make_url, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from transfer_engine.config import get_settings
from transfer_engine.errors import ConfigurationError, ValidationError
from transfer_engine.store.database import get_engine, write_session
from transfer_engine.store.messages import OutboxMessage
from transfer_engine.store.people import Employee
from transfer_engine.store.queries import audit, definition_of, key_dates_of
from transfer_engine.store.register import Letter, LetterFile, LetterParticulars, LetterStatus
from transfer_engine.store.transfers import Transfer

PURGED_NAME = "(personal data purged)"


def _sqlite_path(engine: Engine) -> Path:
    url = make_url(str(engine.url))
    if url.get_backend_name() != "sqlite" or not url.database:
        raise ConfigurationError(
            "backup and restore copy the embedded SQLite database. For PostgreSQL use "
            "pg_dump --format=custom and pg_restore (see README, 'Backups').")
    return Path(url.database)


def backup(target: Path, engine: Engine | None = None) -> Path:
    """Copy the live SQLite database to ``target`` with SQLite's online backup API.

    Safe while the app and scheduler are running: readers and writers carry on, and the copy is
    a consistent snapshot.
    """
    source = _sqlite_path(engine or get_engine())
    if target.exists():
        raise ValidationError(f"{target} already exists; choose a new file name")
    target.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(source) as live, sqlite3.connect(target) as copy:
        live.backup(copy)
    return target


def restore(backup_file: Path, engine: Engine | None = None) -> Path:
    """Replace the SQLite database with ``backup_file`` (stop the app and scheduler first)."""
    engine = engine or get_engine()
    destination = _sqlite_path(engine)
    if not backup_file.is_file():
        raise ValidationError(f"no backup file {backup_file}")
    with sqlite3.connect(backup_file) as copy:
        try:
            copy.execute("SELECT count(*) FROM transfer").fetchone()
        except sqlite3.DatabaseError as exc:
            raise ValidationError(
                f"{backup_file} is not a transfer_engine backup ({exc})") from None
        engine.dispose()
        with sqlite3.connect(destination) as live:
            copy.backup(live)
    return destination


def _purge_letters(session: Session, transfer: Transfer, letters_dir: Path) -> int:
    """Remove rendered letters, their data, particulars and message bodies of a transfer."""
    letters = session.exec(select(Letter).where(Letter.transfer_id == transfer.id,
                                                Letter.status != LetterStatus.purged)).all()
    for letter in letters:
        for row in session.exec(select(LetterFile).where(LetterFile.letter_id == letter.id)):
            (letters_dir / row.path).unlink(missing_ok=True)
        letter.data = {}
        letter.status = LetterStatus.purged
        session.add(letter)
    for particulars in session.exec(select(LetterParticulars)
                                    .where(LetterParticulars.transfer_id == transfer.id)):
        particulars.data = {}
        session.add(particulars)
    session.execute(update(OutboxMessage).where(OutboxMessage.transfer_ref == transfer.ref)
                    .values(body=PURGED_NAME, html_body=None, attachments=None))
    return len(letters)


@dataclass(frozen=True)
class PurgeReport:
    transfers: list[str]
    employees: int
    dry_run: bool


def purge_personal_data(*, retention_days: int, today: date | None = None, actor: str,
                        dry_run: bool = False, engine: Engine | None = None) -> PurgeReport:
    """Remove employees' personal data from transfers that ended ``retention_days`` ago."""
    if retention_days < 92:
        # Reg 15(12) gives three months to claim after the transfer; keep at least that.
        raise ValidationError("retention must be at least 92 days: claims can be brought for "
                              "three months after the transfer (TUPE reg 15(12))")
    today = today or date.today()
    cutoff = today - timedelta(days=retention_days)
    purged: list[str] = []
    count = 0
    with write_session(engine) as session:
        for transfer in session.exec(select(Transfer).order_by(Transfer.ref)).all():
            definition = definition_of(transfer)
            if not definition.states[transfer.state].final:
                continue
            when = key_dates_of(session, transfer).get("transfer")
            if when is None or when > cutoff:
                continue
            employees = session.exec(
                select(Employee).where(Employee.transfer_id == transfer.id,
                                       Employee.full_name != PURGED_NAME)).all()
            if not employees:
                continue
            purged.append(transfer.ref)
            count += len(employees)
            if dry_run:
                continue
            for employee in employees:
                employee.full_name = PURGED_NAME
                employee.email = None
                employee.date_of_birth = None
                employee.weekly_pay = Decimal("0")
                session.add(employee)
            letters = _purge_letters(session, transfer, get_settings().letters_dir)
            audit(session, transfer, actor, "personal-data-purged", data={
                "employees": len(employees), "letters": letters,
                "transfer_date": when.isoformat(), "retention_days": retention_days})
        if dry_run:
            session.rollback()
    return PurgeReport(purged, count, dry_run)
