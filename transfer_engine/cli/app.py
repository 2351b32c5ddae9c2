"""The ``transfer-engine`` Typer application and what every command shares.

Commands live in one module per concept (``transfers``, ``workflows``, ``people``, ...), each
decorating :data:`app` or a sub-application of it. Errors a user can cause are printed as one
clear message on stderr with exit code 1; they never show a traceback.
"""

from __future__ import annotations

import getpass
import json
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from typing import Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from transfer_engine.errors import TransferEngineError
from transfer_engine.store.database import init_db

app = typer.Typer(
    name="transfer-engine",
    help="Run TUPE and public-sector staff transfers: statutory deadlines, guards, history.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console(soft_wrap=False)
err_console = Console(stderr=True, soft_wrap=True)

JsonOption = typer.Option(False, "--json", help="Print JSON instead of a table.")
AsOfOption = typer.Option(None, "--as-of", help="Judge deadlines as if today were this date.")
T = TypeVar("T")


# Commands that look after the database itself must run on one whose schema is not current.
_SCHEMA_COMMANDS = {"db", "backup", "restore", "workflows"}


@app.callback()
def _prepare_database(context: typer.Context) -> None:
    """Run TUPE and public-sector staff transfers: statutory deadlines, guards, history."""

    # A new database gets the schema at once: a newcomer needs no separate step.
    if context.invoked_subcommand not in _SCHEMA_COMMANDS:
        with user_errors():
            init_db()


def actor() -> str:
    """Who is acting: $TRANSFER_ENGINE_ACTOR, else the operating-system user."""
    return os.environ.get("TRANSFER_ENGINE_ACTOR") or f"cli:{getpass.getuser()}"


def parse_date(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(f"{option}: {value!r} is not a date; write YYYY-MM-DD, e.g. 2022-11-01")
    return None  # unreachable


def fail(message: str, code: int = 1) -> None:
    err_console.print(f"[bold red]error:[/] {message}", highlight=False, markup=True)
    raise typer.Exit(code)


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn every error a user can cause into a message and exit code 1."""
    try:
        yield
    except TransferEngineError as exc:
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False, markup=True)
        raise typer.Exit(1) from None
    except OperationalError as exc:
        err_console.print(
            f"[bold red]error:[/] the database could not be used ({exc.orig}). Check "
            "TRANSFER_ENGINE_DATABASE_URL, or run `transfer-engine init`.", highlight=False)
        raise typer.Exit(1) from None
    except SQLAlchemyError as exc:
        err_console.print(f"[bold red]error:[/] database error: {exc}", highlight=False)
        raise typer.Exit(1) from None


def guarded(function: Callable[..., T]) -> Callable[..., T]:
    """Decorator: run a command inside :func:`user_errors`."""
    import functools

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> T:
        with user_errors():
            return function(*args, **kwargs)

    return wrapper


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")


def print_table(title: str | None, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    table = Table(title=title, title_justify="left", header_style="bold", expand=False)
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*("" if v is None else str(v) for v in row))
    console.print(table)
