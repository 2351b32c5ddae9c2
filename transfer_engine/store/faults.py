"""What a storage fault means to the person who met it: the one translation of database and
folder errors into the engine's own (:class:`~transfer_engine.errors.UnavailableError`).

A locked SQLite file, a PostgreSQL server that is down, a read-only file or a full disk reach
the code as the driver's error (``sqlite3.OperationalError``, ``psycopg.OperationalError``),
usually wrapped by SQLAlchemy (``OperationalError``, ``DBAPIError``). :func:`install` hooks
:func:`database_fault` into every engine (SQLAlchemy's ``handle_error`` event: statements,
connections, commits), so the CLI, the web app, the scheduler and the outbox all receive a
:class:`~transfer_engine.errors.DatabaseUnavailableError` that says what happened and what to
do, and never parse driver messages themselves. Errors that are not faults of the storage (a
constraint, a bug in a query) keep their own type.

:func:`folder_fault` does the same for the folders the engine writes files to.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import OperationalError as SqlOperationalError

from transfer_engine.errors import (
    DatabaseFault,
    DatabaseMissingError,
    DatabaseUnavailableError,
    FolderUnavailableError,
)

# SQLite's result codes (the primary part of ``sqlite_errorname``) by what they mean here.
_SQLITE_CODES = {
    "SQLITE_BUSY": DatabaseFault.locked,
    "SQLITE_LOCKED": DatabaseFault.locked,
    "SQLITE_PROTOCOL": DatabaseFault.locked,
    "SQLITE_READONLY": DatabaseFault.read_only,
    "SQLITE_PERM": DatabaseFault.read_only,
    "SQLITE_FULL": DatabaseFault.full,
    "SQLITE_CANTOPEN": DatabaseFault.unreachable,
    "SQLITE_IOERR": DatabaseFault.damaged,
    "SQLITE_CORRUPT": DatabaseFault.damaged,
    "SQLITE_NOTADB": DatabaseFault.damaged,
}
# The same from the message, for errors that carry no code (raised before Python 3.11's
# sqlite_errorname, or re-raised by a wrapper).
_SQLITE_WORDS = (
    ("database is locked", DatabaseFault.locked),
    ("database table is locked", DatabaseFault.locked),
    ("readonly database", DatabaseFault.read_only),
    ("database or disk is full", DatabaseFault.full),
    ("unable to open database file", DatabaseFault.unreachable),
    ("disk i/o error", DatabaseFault.damaged),
    ("file is not a database", DatabaseFault.damaged),
    ("database disk image is malformed", DatabaseFault.damaged),
)
# PostgreSQL's SQLSTATE codes (or their two-character classes) by what they mean here.
_SQLSTATES = {
    "08": DatabaseFault.unreachable,     # connection exception
    "57P01": DatabaseFault.unreachable,  # admin shutdown
    "57P02": DatabaseFault.unreachable,  # crash shutdown
    "57P03": DatabaseFault.unreachable,  # cannot connect now (starting up)
    "53300": DatabaseFault.unreachable,  # too many connections
    "53100": DatabaseFault.full,         # disk full
    "25006": DatabaseFault.read_only,    # read-only transaction (a standby)
    "55P03": DatabaseFault.locked,       # lock not available
    "28": DatabaseFault.refused,         # invalid authorisation (user, password)
    "3D000": DatabaseFault.missing,      # the database does not exist
}
_PG_WORDS = (
    ("password authentication failed", DatabaseFault.refused),
    ("does not exist", DatabaseFault.missing),
)


def describe(url: str | URL) -> str:
    """The database as a person would name it: an SQLite file's full path, or a server's URL
    without its password."""
    parsed = make_url(url) if isinstance(url, str) else url
    path = sqlite_file(parsed)
    if path is not None:
        return str(path)
    if parsed.drivername.startswith("sqlite"):
        return "an in-memory SQLite database"
    return parsed.render_as_string(hide_password=True)


def sqlite_file(url: str | URL) -> Path | None:
    """The file an SQLite URL names (absolute), or None for a server or an in-memory database."""
    parsed = make_url(url) if isinstance(url, str) else url
    if not parsed.drivername.startswith("sqlite"):
        return None
    database = parsed.database or ""
    if database in ("", ":memory:") or database.startswith("file:"):
        return None
    return Path(database).expanduser().resolve()


def _driver_error(error: BaseException) -> BaseException:
    return error.orig if isinstance(error, DBAPIError) and error.orig is not None else error


def _classify(error: BaseException) -> DatabaseFault | None:
    driver = _driver_error(error)
    if isinstance(driver, sqlite3.Error):
        name = getattr(driver, "sqlite_errorname", "") or ""
        for code, fault in _SQLITE_CODES.items():
            if name == code or name.startswith(code + "_"):
                return fault
        text = str(driver).lower()
        return next((fault for words, fault in _SQLITE_WORDS if words in text), None)
    sqlstate = getattr(driver, "sqlstate", None)
    if isinstance(sqlstate, str) and sqlstate:
        return _SQLSTATES.get(sqlstate) or _SQLSTATES.get(sqlstate[:2])
    if isinstance(error, SqlOperationalError) or type(driver).__name__ == "OperationalError":
        # A client-side failure to connect carries no SQLSTATE: refused, timed out, no host.
        text = str(driver).lower()
        return next((fault for words, fault in _PG_WORDS if words in text),
                    DatabaseFault.unreachable)
    return None


def _first_line(error: BaseException) -> str:
    text = str(_driver_error(error)).strip()
    return text.splitlines()[0] if text else type(error).__name__


def database_fault(error: BaseException, url: str | URL, *,
                   timeout: float | None = None) -> DatabaseUnavailableError | None:
    """The engine's error for ``error`` met on the database at ``url``, or None when it is not
    a fault of the database's availability (a constraint, a bug: those keep their own type)."""
    if isinstance(error, DatabaseUnavailableError):
        return error
    fault = _classify(error)
    if fault is None:
        return None
    where = describe(url)
    is_file = sqlite_file(url) is not None
    waited = f" longer than the {timeout:g} s a change waits for it" if timeout else ""
    if fault is DatabaseFault.locked:
        return DatabaseUnavailableError(
            f"the database {where} is busy: another process (a command, the web app or the "
            f"scheduler) held its write lock{waited}, so this change was not saved. Try again "
            "in a minute. If it keeps happening, look for a process that holds the database "
            "open in the middle of a change (a stuck command, an open sqlite3 shell), or "
            "allow a longer wait with TRANSFER_ENGINE_DB_TIMEOUT (seconds)",
            fault=fault, where=where, retry_after=30)
    if fault is DatabaseFault.read_only:
        whose = ("the file, and its folder (SQLite writes its -wal and -shm files beside "
                 "it), writable by the user that runs transfer-engine" if is_file
                 else "TRANSFER_ENGINE_DATABASE_URL point at the primary server, not a "
                      "read-only standby")
        return DatabaseUnavailableError(
            f"the database {where} cannot be written ({_first_line(error)}), so this change "
            f"was not saved. Make {whose}, then try again",
            fault=fault, where=where, retry_after=300)
    if fault is DatabaseFault.full:
        return DatabaseUnavailableError(
            f"the disk holding the database {where} is full, so this change was not saved. "
            "Free some space (old backups, logs), then try again",
            fault=fault, where=where, retry_after=300)
    if fault is DatabaseFault.damaged:
        return DatabaseUnavailableError(
            f"the database {where} cannot be read: {_first_line(error)}. It may not be a "
            "transfer-engine database, or the disk or file is damaged. Check "
            "TRANSFER_ENGINE_DATABASE_URL and the disk; restore the latest backup if the "
            "file is damaged", fault=fault, where=where, retry_after=300)
    if fault is DatabaseFault.missing:
        return DatabaseMissingError(where, f" ({_first_line(error)})")
    if fault is DatabaseFault.refused:
        return DatabaseUnavailableError(
            f"the database server {where} refused this user: {_first_line(error)}. Check the "
            "user name and password in TRANSFER_ENGINE_DATABASE_URL",
            fault=fault, where=where, retry_after=300)
    if is_file:
        return DatabaseUnavailableError(
            f"the database file {where} cannot be opened ({_first_line(error)}). Check that "
            "its folder exists and that the user that runs transfer-engine may read and write "
            "the folder and the file", fault=fault, where=where, retry_after=300)
    return DatabaseUnavailableError(
        f"the database server {where} cannot be reached ({_first_line(error)}); nothing "
        "was saved. Check that the server is running and reachable from here and that "
        "TRANSFER_ENGINE_DATABASE_URL names it, then try again",
        fault=fault, where=where, retry_after=30)


def install(engine: Engine, *, timeout: float) -> None:
    """Translate every fault met by ``engine`` (statements, connecting, commits) on the way
    out, so that callers only ever see :class:`~transfer_engine.errors.UnavailableError`."""

    @event.listens_for(engine, "handle_error")
    def _translate(context: Any) -> BaseException | None:
        if context.is_pre_ping:  # the pool is only testing a connection; it handles the answer
            return None
        return database_fault(context.original_exception, engine.url, timeout=timeout)


def folder_fault(error: OSError, folder: Path, setting: str) -> FolderUnavailableError:
    """The engine's error for ``error`` met writing into ``folder`` (chosen by ``setting``)."""
    problem = error.strerror or str(error)
    if error.filename and Path(str(error.filename)) != folder:
        problem = f"{problem} ({error.filename})"
    return FolderUnavailableError(str(Path(folder).resolve()), setting, problem)
