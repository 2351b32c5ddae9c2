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
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import delete, make_url, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from transfer_engine.config import get_settings
from transfer_engine.errors import ConfigurationError, ValidationError
from transfer_engine.letters.orphans import set_aside_after_restore
from transfer_engine.ops.scheduler import LAST_DAY, zone
from transfer_engine.outbox.recovery import BACKUP_TAKEN, hold_after_restore
from transfer_engine.rules.eli import ELI_COLUMNS
from transfer_engine.store.database import get_engine, head_revision, write_session
from transfer_engine.store.liability import EliChange
from transfer_engine.store.messages import OutboxMessage
from transfer_engine.store.people import Employee
from transfer_engine.store.queries import audit, definition_of, key_dates_of
from transfer_engine.store.register import Letter, LetterFile, LetterParticulars, LetterStatus
from transfer_engine.store.transfers import Transfer

PURGED_NAME = "(personal data purged)"
#: What stays of an employee's ELI after the purge, so that the history still adds up.
_KEPT = {"employee_ref", "full_name", "role", "weekly_pay"}


def _sqlite_path(engine: Engine) -> Path:
    url = make_url(str(engine.url))
    if url.get_backend_name() != "sqlite" or not url.database:
        raise ConfigurationError(
            "backup and restore copy the embedded SQLite database. For PostgreSQL use "
            "pg_dump --format=custom and pg_restore (see README, 'Backups').")
    return Path(url.database)


def _sqlite_time(moment: datetime) -> str:
    """A UTC time as SQLAlchemy writes timestamps into SQLite."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def backup(target: Path, engine: Engine | None = None) -> Path:
    """Copy the live SQLite database to ``target`` with SQLite's online backup API.

    Safe while the app and scheduler are running: readers and writers carry on, and the copy is
    a consistent snapshot. The copy records when it was taken (a scheduler-state row, in the
    copy only), so that a restore knows which messages may have been sent since.
    """
    source = _sqlite_path(engine or get_engine())
    if target.exists():
        raise ValidationError(f"{target} already exists; choose a new file name")
    target.parent.mkdir(parents=True, exist_ok=True)
    # Taken before the copy starts: anything the copy holds from later is judged "after".
    taken = datetime.now(UTC)
    with sqlite3.connect(source) as live, sqlite3.connect(target) as copy:
        live.backup(copy)
        copy.execute("INSERT INTO schedulerstate (name, value, updated_at) VALUES (?, ?, ?) "
                     "ON CONFLICT(name) DO UPDATE SET value = excluded.value, "
                     "updated_at = excluded.updated_at",
                     (BACKUP_TAKEN, taken.isoformat(), _sqlite_time(taken)))
    return target


def _state(connection: sqlite3.Connection, name: str) -> str | None:
    """A scheduler-state value of an SQLite file, or None (no row, or no such table yet)."""
    try:
        row = connection.execute("SELECT value FROM schedulerstate WHERE name = ?",
                                 (name,)).fetchone()
    except sqlite3.DatabaseError:
        return None
    return str(row[0]) if row and row[0] else None


def restore(backup_file: Path, engine: Engine | None = None, *,
            actor: str = "cli") -> tuple[Path, list[int], tuple[list[str], list[str]]]:
    """Replace the SQLite database with ``backup_file`` (stop the app and scheduler first).

    Returns the database restored, the outbox messages held in doubt (every message the backup
    holds as not yet sent may have been sent after the backup was taken, so none is sent again
    until HR releases it: see :mod:`transfer_engine.outbox.recovery`), and the letter files
    set aside (and those that could not be): those of letters issued after the backup was
    taken, which the restored register does not know
    (:func:`~transfer_engine.letters.orphans.set_aside_after_restore`).
    """
    engine = engine or get_engine()
    destination = _sqlite_path(engine)
    if not backup_file.is_file():
        raise ValidationError(f"no backup file {backup_file}")
    settings = get_settings()
    today = datetime.now(zone(settings)).date()
    with sqlite3.connect(backup_file) as copy:
        try:
            copy.execute("SELECT count(*) FROM transfer").fetchone()
        except sqlite3.DatabaseError as exc:
            raise ValidationError(
                f"{backup_file} is not a transfer_engine backup ({exc})") from None
        revision = _revision(copy)
        if revision != head_revision():
            raise ValidationError(
                f"{backup_file} is at schema revision {revision or '(none)'}; this version of "
                f"transfer-engine needs {head_revision()}. Copy the backup aside, run "
                "`transfer-engine db upgrade` with TRANSFER_ENGINE_DATABASE_URL set to the copy, "
                "and restore the copy.")
        taken_text = _state(copy, BACKUP_TAKEN)
        # A backup made before backups recorded their time: the file's own time stands in.
        taken = (datetime.fromisoformat(taken_text) if taken_text
                 else datetime.fromtimestamp(backup_file.stat().st_mtime, UTC))
        # The messages are held in a staging copy first, so that the live database is either
        # untouched or replaced by a copy whose unsent messages are all held: never a restore
        # that a scheduler could start sending from.
        staging = destination.with_name(destination.name + ".restoring")
        staging.unlink(missing_ok=True)
        with sqlite3.connect(staging) as staged:
            copy.backup(staged)
    try:
        with sqlite3.connect(destination) as live:
            # A sweep may have stood ahead of today (a replay): what it sent is held too.
            swept = _state(live, LAST_DAY)
        hold_until = max(today, date.fromisoformat(swept)) if swept else today
        staged_engine = get_engine(f"sqlite:///{staging}")
        try:
            held = hold_after_restore(staged_engine, backup_taken_at=taken,
                                      backup_name=backup_file.name, restored_day=hold_until,
                                      actor=actor)
        finally:
            staged_engine.dispose()
        engine.dispose()
        with sqlite3.connect(staging) as staged, sqlite3.connect(destination) as live:
            staged.backup(live)
    finally:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{staging}{suffix}").unlink(missing_ok=True)
    kept = set_aside_after_restore(f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}", engine=engine,
                                   settings=settings)
    return destination, held, kept


def _revision(connection: sqlite3.Connection) -> str | None:
    try:
        row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.DatabaseError:
        return None
    return str(row[0]) if row else None


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
    session.execute(update(OutboxMessage).where(col(OutboxMessage.transfer_ref) == transfer.ref)
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
                # The rest of the ELI (reg 11(2)) is personal data too; the role stays.
                for column in ELI_COLUMNS:
                    if column not in _KEPT:
                        setattr(employee, column, None)
                session.add(employee)
            # Changes notified under reg 11(5) hold the values that changed.
            session.execute(delete(EliChange).where(col(EliChange.transfer_id) == transfer.id))
            letters = _purge_letters(session, transfer, get_settings().letters_dir)
            audit(session, transfer, actor, "personal-data-purged", data={
                "employees": len(employees), "letters": letters,
                "transfer_date": when.isoformat(), "retention_days": retention_days})
        if dry_run:
            session.rollback()
    return PurgeReport(purged, count, dry_run)
