"""Shared fixtures: every test gets its own SQLite database file and working directory."""

from __future__ import annotations

import atexit
import json
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from transfer_engine.cli import app
from transfer_engine.store.database import get_engine, init_db

PROJECT = Path(__file__).resolve().parent.parent

# The fixtures of each area (sched_env, smtp_server, overrides, web ...), found by name.
pytest_plugins = ["tests.letter_fixtures", "tests.scheduler_fixtures", "tests.web_fixtures"]


# Set to a PostgreSQL server URL (e.g. postgresql+psycopg://user:pw@127.0.0.1/postgres) to run
# the whole suite against PostgreSQL: each test then gets a database of its own on that server.
POSTGRES = os.environ.get("TRANSFER_ENGINE_TEST_POSTGRES")


_TEMPLATE: dict[str, Path | str] = {}


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


@pytest.fixture
def demo(database: Engine) -> Engine:
    from transfer_engine.ops.demo import load_demo

    load_demo(database)
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
