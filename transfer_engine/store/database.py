"""Database engine and transactions.

SQLite is the embedded default; PostgreSQL is chosen by ``TRANSFER_ENGINE_DATABASE_URL``.
Writers take the transfer's lock up front: ``BEGIN IMMEDIATE`` on SQLite, ``SELECT ... FOR
UPDATE`` on PostgreSQL, so two people advancing the same transfer are serialised and the second
one sees the first one's version, rather than both writing from a stale read.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import event, inspect
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session, create_engine

from transfer_engine.config import get_settings
from transfer_engine.errors import ConfigurationError
from transfer_engine.store import tables  # noqa: F401  (registers the tables)

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


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        # Let SQLAlchemy, not pysqlite, decide when transactions begin (see _on_begin).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection) -> None:  # type: ignore[no-untyped-def]
        immediate = connection.get_execution_options().get(_IMMEDIATE, False)
        # Straight to the driver: this runs once per transaction, and going through
        # exec_driver_sql costs as much again as the BEGIN itself.
        connection.connection.driver_connection.execute(
            "BEGIN IMMEDIATE" if immediate else "BEGIN")


def get_engine(url: str | None = None) -> Engine:
    """The engine for ``url`` (default: the configured database), created once per process."""
    return _engine_for(url or get_settings().database_url)


@lru_cache(maxsize=16)
def _engine_for(url: str) -> Engine:
    try:
        if url.startswith("sqlite"):
            engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
            _configure_sqlite(engine)
        else:
            engine = create_engine(url, pool_pre_ping=True)
    except Exception as exc:  # an unparseable URL or a missing driver
        raise ConfigurationError(
            f"TRANSFER_ENGINE_DATABASE_URL={url!r} cannot be used: {exc}. "
            "Use sqlite:///path/to/file.db or postgresql+psycopg://user:password@host/db."
        ) from exc
    return engine


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


def init_db(engine: Engine | None = None) -> Engine:
    """Make sure the database has the schema this version needs.

    An empty database is created at the latest revision. One at an older revision is not
    upgraded behind the operator's back (several processes may share it, and an upgrade wants a
    backup first): the error says to run ``transfer-engine db upgrade``.
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
                    "new database, or `transfer-engine db upgrade` once it is at revision 0001.")
        upgrade(engine)
        return engine
    raise ConfigurationError(
        f"the database schema is at revision {current}; this version of transfer-engine needs "
        f"{head}. Back the database up, then run `transfer-engine db upgrade`.")


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
def write_connection(engine: Engine | None = None) -> Iterator[Connection]:
    """:func:`write_session` without the ORM, for the hot path of ``engine.advance``.

    A Core connection costs a fraction of a session per transaction, which on SQLite is most of
    what a committed transition costs.
    """
    with _writer(engine or get_engine()).begin() as connection:
        yield connection
