"""Shared fixtures: every test gets its own SQLite database file and working directory."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from transfer_engine.cli import app
from transfer_engine.db import get_engine, init_db

PROJECT = Path(__file__).resolve().parent.parent


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    """A fresh SQLite database, also seen by the CLI through the environment."""
    url = f"sqlite:///{tmp_path / 'transfers.db'}"
    monkeypatch.setenv("TRANSFER_ENGINE_DATABASE_URL", url)
    monkeypatch.setenv("TRANSFER_ENGINE_ACTOR", "test:hr-officer")
    monkeypatch.chdir(tmp_path)
    engine = init_db(get_engine(url))
    yield engine
    engine.dispose()


@pytest.fixture
def demo(database: Engine) -> Engine:
    from transfer_engine.demo import load_demo

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

    def json(self, *args: str) -> object:
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
