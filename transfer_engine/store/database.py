"""Database engine and transactions.

SQLite is the embedded default; PostgreSQL is chosen by ``TRANSFER_ENGINE_DATABASE_URL``.
Writers take the transfer's lock up front: ``BEGIN IMMEDIATE`` on SQLite, ``SELECT ... FOR
UPDATE`` on PostgreSQL, so two people advancing the same transfer are serialised and the second
one sees the first one's version, rather than both writing from a stale read.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import event, inspect
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session, create_engine

from transfer_engine.config import Settings, get_settings
from transfer_engine.errors import (
    Action,
    ConfigurationError,
    DatabaseMissingError,
    NextStep,
)
from transfer_engine.store import (
    faults,
    tables,  # noqa: F401  (registers the tables)
)

_IMMEDIATE = "transfer_engine_immediate"

# The audit log is append-only; the database itself refuses changes, not just the code.
_SQLITE_AUDIT_TRIGGERS = [
    """CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON auditentry
       BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END""",
    """CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON auditentry
       BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END""",
]
_POSTGRES_AUDIT_TRIGGERS = [
    """CREATE OR REPLACE FUNCTION audit_append_only() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION 'the audit log is append-only'; END; $$ LANGUAGE plpgsql""",
    "DROP TRIGGER IF EXISTS audit_append_only ON auditentry",
    """CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON auditentry
       FOR EACH ROW EXECUTE FUNCTION audit_append_only()""",
]


def audit_append_only_sql(dialect: str) -> list[str]:
    """The statements that make the audit log append-only on ``dialect``."""
    return _SQLITE_AUDIT_TRIGGERS if dialect == "sqlite" else _POSTGRES_AUDIT_TRIGGERS


def _configure_sqlite(engine: Engine, timeout: float) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: object) -> None:
        # Let SQLAlchemy, not pysqlite, decide when transactions begin (see _on_begin).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(timeout * 1000)}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        immediate = connection.get_execution_options().get(_IMMEDIATE, False)
        # Straight to the driver: this runs once per transaction, and going through
        # exec_driver_sql costs as much again as the BEGIN itself.
        driver = connection.connection.driver_connection
        assert driver is not None  # set on every checked-out connection
        try:
            driver.execute("BEGIN IMMEDIATE" if immediate else "BEGIN")
        except sqlite3.Error as exc:
            # SQLAlchemy's handle_error does not see what a "begin" listener raises: a write
            # lock held past the timeout would reach the caller as the driver's bare error.
            fault = faults.database_fault(exc, engine.url, timeout=timeout)
            if fault is None:
                raise
            raise fault from exc


def _configure_postgresql(engine: Engine, timeout: float) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: object) -> None:
        # The same wait for a row another session holds (a transfer's lock, taken with
        # SELECT ... FOR UPDATE) as SQLite gives its write lock; past it the statement fails
        # with SQLSTATE 55P03, reported as the database being busy. Without it a command would
        # wait for ever behind a stuck session. Set on the session, not as a startup option,
        # which a connection pooler such as PgBouncer may refuse; committed, because a SET
        # rolled back with the transaction it opened would not last.
        cursor = dbapi_connection.cursor()
        cursor.execute(f"SET lock_timeout = {max(1, round(timeout * 1000))}")
        cursor.close()
        dbapi_connection.commit()


def _without_password(url: str) -> str:
    """The URL as it may be shown: a password never appears in a message or a log."""
    try:
        return faults.describe(url)
    except Exception:  # not even parseable: it may hold a password anywhere
        return "(not a database URL)"


def get_engine(url: str | None = None, *, settings: Settings | None = None) -> Engine:
    """The engine for ``url`` (default: the database of ``settings``, by default the
    configured ones), created once per process."""
    settings = settings or get_settings()
    return _engine_for(url or settings.database_url, settings.db_timeout)


@lru_cache(maxsize=16)
def _engine_for(url: str, timeout: float) -> Engine:
    try:
        if url.startswith("sqlite"):
            engine = create_engine(url, connect_args={"check_same_thread": False,
                                                      "timeout": timeout})
            _configure_sqlite(engine, timeout)
        else:
            engine = create_engine(url, pool_pre_ping=True,
                                   connect_args={"connect_timeout": max(1, round(timeout))})
            _configure_postgresql(engine, timeout)
    except Exception as exc:  # an unparseable URL or a missing driver
        raise ConfigurationError(
            f"TRANSFER_ENGINE_DATABASE_URL={_without_password(url)!r} cannot be used: "
            f"{type(exc).__name__}. "
            "Use sqlite:///path/to/file.db or postgresql+psycopg://user:password@host/db."
        ) from exc
    faults.install(engine, timeout=timeout)
    return engine


def require_existing(url: str | None = None) -> None:
    """Refuse an SQLite database file that does not exist, without creating it.

    Opening a missing SQLite file creates an empty one, which then looks like a database with
    no transfers in it. Only the commands that set a database up may do that; every other
    one calls this first. (A PostgreSQL database that does not exist is refused by the server.)
    """
    url = url or get_settings().database_url
    try:
        path = faults.sqlite_file(url)
    except Exception as exc:  # an unparseable URL: get_engine says what is wrong with it
        get_engine(url)
        raise ConfigurationError(f"TRANSFER_ENGINE_DATABASE_URL={url!r}: {exc}") from exc
    if path is not None and not path.is_file():
        raise DatabaseMissingError(str(path))


MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(connection: Connection) -> Config:
    """Alembic configured in code: the scripts ship inside the package, no alembic.ini."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def upgrade(engine: Engine | None = None, revision: str = "head") -> str | None:
    """Bring the schema to ``revision`` (default: the latest); returns the revision reached."""
    engine = engine or get_engine()
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), revision)
        return MigrationContext.configure(connection).get_current_revision()


def current_revision(engine: Engine | None = None) -> str | None:
    with (engine or get_engine()).connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


@lru_cache(maxsize=1)
def head_revision() -> str:
    """The schema revision this version of the engine needs."""
    head = ScriptDirectory(str(MIGRATIONS)).get_current_head()
    assert head is not None
    return head


def init_db(engine: Engine | None = None, *, create: bool = True) -> Engine:
    """Make sure the database has the schema this version needs.

    An empty database is created at the latest revision; with ``create=False`` it is refused
    instead (:class:`DatabaseMissingError`), for everything but the commands that set a database
    up. One at an older revision is not upgraded behind the operator's back (several processes
    may share it, and an upgrade wants a backup first): the error's next step is to upgrade it.
    """
    engine = engine or get_engine()
    current, head = current_revision(engine), head_revision()
    if current == head:
        return engine
    if current is None:
        with engine.connect() as connection:
            if inspect(connection).has_table("transfer"):
                raise ConfigurationError(
                    f"{engine.url.render_as_string(hide_password=True)} holds tables but no "
                    "schema revision: it was not made by transfer-engine's migrations. Use a "
                    "new database, or upgrade this one once it is at revision 0001.",
                    next_step=NextStep(Action.upgrade_database))
        if not create:
            raise DatabaseMissingError(faults.describe(engine.url),
                                       " (it exists, but holds no tables yet)")
        upgrade(engine)
        return engine
    raise ConfigurationError(
        f"the database schema is at revision {current}; this version of transfer-engine needs "
        f"{head}. Back the database up, then upgrade it.",
        next_step=NextStep(Action.upgrade_database))


def read_session(engine: Engine | None = None) -> Session:
    """A session for reading (and for writes that take no transfer lock)."""
    return Session(engine or get_engine(), expire_on_commit=False)


_WRITERS: dict[int, Engine] = {}


def _writer(engine: Engine) -> Engine:
    """The engine whose SQLite transactions begin IMMEDIATE (made once per engine)."""
    if engine.dialect.name != "sqlite":
        return engine
    writer = _WRITERS.get(id(engine))
    if writer is None:
        writer = _WRITERS[id(engine)] = engine.execution_options(**{_IMMEDIATE: True})
    return writer


@contextmanager
def write_session(engine: Engine | None = None) -> Iterator[Session]:
    """A session whose transaction holds the write lock from its first statement.

    Commits when the block ends, rolls back (writing nothing) if it raises.
    """
    engine = _writer(engine or get_engine())
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


@contextmanager
def dry_run_session(engine: Engine | None = None) -> Iterator[Session]:
    """:func:`write_session` that never commits: what a change would do, worked out by the very
    code that makes it (a check page's preview), then rolled back, writing nothing."""
    engine = _writer(engine or get_engine())
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
        finally:
            session.rollback()


@contextmanager
def write_connection(engine: Engine | None = None) -> Iterator[Connection]:
    """:func:`write_session` without the ORM, for the hot path of ``engine.advance``.

    A Core connection costs a fraction of a session per transaction, which on SQLite is most of
    what a committed transition costs.
    """
    with _writer(engine or get_engine()).begin() as connection:
        yield connection
