"""Shared fixtures: every test gets its own SQLite database file and working directory."""

from __future__ import annotations

import atexit
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import pytest
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from transfer_engine.cli import app
from transfer_engine.ops.demo import load_demo
from transfer_engine.store.database import get_engine, init_db

PROJECT = Path(__file__).resolve().parent.parent

# The fixtures of each area (sched_env, smtp_server, overrides, web ...), found by name.
pytest_plugins = ["tests.letter_fixtures", "tests.scheduler_fixtures", "tests.web_fixtures"]


# Set to a PostgreSQL server URL (e.g. postgresql+psycopg://user:pw@127.0.0.1/postgres) to run
# the whole suite against PostgreSQL: each test then gets a database of its own on that server.
POSTGRES = os.environ.get("TRANSFER_ENGINE_TEST_POSTGRES")


_TEMPLATE: dict[str, Path | str] = {}
T = TypeVar("T")


def _sqlite_template() -> Path:
    """A database migrated to the latest schema once per test run, copied for each test."""
    if "sqlite" not in _TEMPLATE:
        folder = Path(tempfile.mkdtemp(prefix="transfer-engine-template-"))
        atexit.register(shutil.rmtree, folder, True)
        path = folder / "template.db"
        engine = init_db(get_engine(f"sqlite:///{path}"))
        with engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        engine.dispose()
        _TEMPLATE["sqlite"] = path
    return Path(_TEMPLATE["sqlite"])


def _postgres_template(admin: Engine) -> str:
    if "postgresql" not in _TEMPLATE:
        name = f"te_template_{uuid.uuid4().hex[:8]}"
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        url = admin.url.set(database=name).render_as_string(hide_password=False)
        engine = init_db(get_engine(url))
        engine.dispose()
        _TEMPLATE["postgresql"] = name
    return str(_TEMPLATE["postgresql"])


@contextmanager
def fresh_database(tmp_path: Path, *, migrated: bool = False) -> Iterator[str]:
    """The URL of a database that exists for the duration of the block: empty, or (with
    ``migrated``) already at the latest schema, copied from a template made once per run."""
    if not POSTGRES:
        path = tmp_path / "transfers.db"
        if migrated:
            shutil.copyfile(_sqlite_template(), path)
        yield f"sqlite:///{path}"
        return
    name = f"te_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    template = f' TEMPLATE "{_postgres_template(admin)}"' if migrated else ""
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"{template}'))
    try:
        yield make_url(POSTGRES).set(database=name).render_as_string(hide_password=False)
    finally:
        try:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        finally:
            admin.dispose()


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    """A fresh database (SQLite, or PostgreSQL when configured), also seen by the CLI."""
    with fresh_database(tmp_path, migrated=True) as url:
        monkeypatch.setenv("TRANSFER_ENGINE_DATABASE_URL", url)
        monkeypatch.setenv("TRANSFER_ENGINE_ACTOR", "test:hr-officer")
        monkeypatch.chdir(tmp_path)
        engine = init_db(get_engine(url))
        yield engine
        engine.dispose()


# What a test's settings may change without changing what a loader writes.
_PER_TEST = {"TRANSFER_ENGINE_DATABASE_URL", "TRANSFER_ENGINE_ACTOR"}
# Data loaded once per run into a template database, by what was loaded and under which
# settings: the template (an SQLite file, or a PostgreSQL database) and what the loader returned.
_LOADED: dict[tuple[object, ...], tuple[str, Any]] = {}


def _settings() -> tuple[tuple[str, str], ...]:
    return tuple(sorted((name, value) for name, value in os.environ.items()
                        if name.startswith("TRANSFER_ENGINE_") and name not in _PER_TEST))


def _make_template(engine: Engine, load: Callable[[Engine], T]) -> tuple[str, T]:
    """A new database at the latest schema, ``load`` run on it once; its name and the result."""
    if engine.dialect.name == "sqlite":
        folder = Path(tempfile.mkdtemp(prefix="transfer-engine-loaded-"))
        atexit.register(shutil.rmtree, folder, True)
        path = folder / "template.db"
        shutil.copyfile(_sqlite_template(), path)
        url = f"sqlite:///{path}"
        template = str(path)
    else:
        assert POSTGRES
        admin = create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
        template = f"te_loaded_{uuid.uuid4().hex[:8]}"
        try:
            with admin.connect() as connection:
                connection.execute(text(
                    f'CREATE DATABASE "{template}" TEMPLATE "{_postgres_template(admin)}"'))
        finally:
            admin.dispose()
        url = make_url(POSTGRES).set(database=template).render_as_string(hide_password=False)
    loaded = get_engine(url)
    try:
        result = load(loaded)
        if loaded.dialect.name == "sqlite":
            with loaded.connect() as connection:
                connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        loaded.dispose()  # a PostgreSQL template must have no connections when it is copied
    return template, result


def _copy_into(engine: Engine, template: str) -> None:
    """Replace the (fresh) database of ``engine`` by a copy of ``template``."""
    engine.dispose()
    if engine.dialect.name == "sqlite":
        assert engine.url.database
        with sqlite3.connect(template) as source, sqlite3.connect(engine.url.database) as target:
            source.backup(target)
    else:
        assert POSTGRES
        admin = create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as connection:
                connection.execute(text(
                    f'DROP DATABASE IF EXISTS "{engine.url.database}" WITH (FORCE)'))
                connection.execute(text(
                    f'CREATE DATABASE "{engine.url.database}" TEMPLATE "{template}"'))
        finally:
            admin.dispose()


def load_once(engine: Engine, name: str, load: Callable[[Engine], T]) -> T:
    """What ``load(engine)`` would write, in the fresh database of ``engine`` (the ``database``
    fixture's), and what it would return.

    ``load`` runs once per test run (and per settings, in case a test's settings change what it
    loads) on a template database, which is then copied for each test: loading the demo takes
    seconds, copying it a fraction of one. ``load`` must write to the database only (no files),
    as :func:`~transfer_engine.ops.demo.load_demo` does.
    """
    key = (name, engine.dialect.name, _settings())
    if key not in _LOADED:
        _LOADED[key] = _make_template(engine, load)
    template, result = _LOADED[key]
    _copy_into(engine, template)
    return result


@pytest.fixture
def demo(database: Engine) -> Engine:
    """The database with the three transfers of the council reports (synthetic staff)."""
    load_once(database, "demo", load_demo)
    return database


class Cli:
    """Runs ``transfer-engine`` in-process, as a user would type it."""

    def __init__(self) -> None:
        self.runner = CliRunner()

    def __call__(self, *args: str, ok: bool = True) -> tuple[int, str, str]:
        result = self.runner.invoke(app, list(args), catch_exceptions=False)
        if ok and result.exit_code != 0:
            raise AssertionError(f"{args} failed ({result.exit_code}):\n{result.output}"
                                 f"{result.stderr}")
        return result.exit_code, result.stdout, result.stderr

    def json(self, *args: str) -> Any:
        return json.loads(self(*args, "--json")[1])


@pytest.fixture
def cli(database: Engine) -> Cli:
    return Cli()


def run_cli(*args: str, env: dict[str, str] | None = None,
            cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run the installed ``transfer-engine`` as a separate process."""
    return subprocess.run(
        [sys.executable, "-m", "transfer_engine", *args], capture_output=True, text=True,
        env={**os.environ, **(env or {})}, cwd=cwd, timeout=120,
    )
