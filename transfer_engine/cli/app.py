"""The ``transfer-engine`` Typer application and what every command shares.

Commands live in one module per concept (``transfers``, ``workflows``, ``people``, ...), each
decorating :data:`app` or a sub-application of it. Errors a user can cause are printed as one
clear message on stderr, with an exit status that says what happened (:data:`EXIT_STATUSES`);
they never show a traceback.
"""

from __future__ import annotations

import functools
import getpass
import json
import os
import sqlite3
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date
from typing import Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from transfer_engine.cli import wording
from transfer_engine.config import get_settings
from transfer_engine.errors import DatabaseMissingError, TransferEngineError, UnavailableError
from transfer_engine.store.database import init_db, require_existing
from transfer_engine.store.faults import database_fault, sqlite_file

# Exit statuses: what a script or a scheduler (cron, systemd) can tell from the outcome.
EXIT_OK = 0
EXIT_ERROR = 1        # refused or invalid: the message says what to correct
EXIT_USAGE = 2        # the command line itself is wrong (an unknown option, a missing argument)
EXIT_UNAVAILABLE = 3  # the database or a folder could not be used; what was being saved was not
EXIT_INCOMPLETE = 4   # done, but part of it failed: a message not delivered, a letter not issued,
                      # a programme's decision refused at one of its transfers
EXIT_STATUSES = (
    "Exit status: 0 done; 1 refused or invalid (the message says what to correct); 2 the "
    "command line is wrong; 3 the database or a folder could not be used (missing, locked, "
    "unreachable, read-only, full): what was being saved was not saved, try again once it "
    "is put right; 4 done, but part of it failed (a message not delivered, a letter not "
    "issued, a programme's decision refused at one of its transfers): see the messages.")

app = typer.Typer(
    name="transfer-engine",
    help="Run TUPE and public-sector staff transfers: statutory deadlines, guards, history.",
    epilog=EXIT_STATUSES,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console(soft_wrap=False)
err_console = Console(stderr=True, soft_wrap=True)

JsonOption = typer.Option(False, "--json", help="Print JSON instead of a table.")
AsOfOption = typer.Option(None, "--as-of", help="Judge deadlines as if today were this date.")
T = TypeVar("T")


# What each command (by its first word) needs of the database. Only the commands that set one
# up may create it (serve only with --demo, which it checks itself); every other command refuses
# a missing database rather than make an empty one, which would look like one with no transfers.
_CREATE_DATABASE = {"init", "demo", "restore", "serve"}
_NO_DATABASE = {"workflows"}
# Commands that look after the database itself run on one whose schema is not current.
_ANY_SCHEMA = {"db", "backup"}


# The first word of the command being run (``letters`` for ``letters issue``), for guarded().
_command: ContextVar[str] = ContextVar("transfer_engine_command", default="")


@app.callback()
def _main(context: typer.Context) -> None:
    """Run TUPE and public-sector staff transfers: statutory deadlines, guards, history."""
    # Only noted here: this runs before the command's own options are read, so checking the
    # database now would refuse `COMMAND --help` on a machine with no database yet.
    _command.set(context.invoked_subcommand or "")


def _prepare_database(command: str) -> None:
    """Check the database is there, with the schema this version needs, before a command runs.

    Called once the command line is parsed, so that ``--help`` needs no database.
    """
    if command in _CREATE_DATABASE or command in _NO_DATABASE:
        return
    require_existing()
    if command not in _ANY_SCHEMA:
        init_db(create=False)


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


def as_of_date(value: str | None) -> date:
    """The day given with ``--as-of`` (deadlines are judged as if it were today), or today."""
    return parse_date(value, "--as-of") or date.today()


def required_date(value: str, option: str) -> date:
    """A date from an option typer makes required (so never None)."""
    parsed = parse_date(value, option)
    assert parsed is not None
    return parsed


def fail(message: str, code: int = 1) -> None:
    err_console.print(f"[bold red]error:[/] {message}", highlight=False, markup=True)
    raise typer.Exit(code)


def _error(message: str) -> None:
    err_console.print(f"[bold red]error:[/] {message}", highlight=False, markup=True)


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn every error a user or an operator can cause into a message and an exit status."""
    try:
        yield
    except DatabaseMissingError as exc:
        if sqlite_file(get_settings().database_url) is not None:
            hint = ("Create it with `transfer-engine init` (empty) or `transfer-engine demo` "
                    "(the sample transfers), or bring a backup back with `transfer-engine "
                    "restore FILE --yes`.")
        else:
            hint = ("If the database itself is missing, create it on the server (createdb); "
                    "then `transfer-engine init` makes its tables.")
        _error(f"{exc}. {hint}")
        raise typer.Exit(EXIT_UNAVAILABLE) from None
    except UnavailableError as exc:
        _error(str(exc))
        raise typer.Exit(EXIT_UNAVAILABLE) from None
    except TransferEngineError as exc:
        _error(wording.describe(exc))
        raise typer.Exit(EXIT_ERROR) from None
    except (DBAPIError, sqlite3.Error) as exc:
        # The engines translate their own faults; this catches one met outside them.
        fault = database_fault(exc, get_settings().database_url)
        if fault is not None:
            _error(str(fault))
            raise typer.Exit(EXIT_UNAVAILABLE) from None
        _error(f"database error: {str(getattr(exc, 'orig', None) or exc).splitlines()[0]}")
        raise typer.Exit(EXIT_ERROR) from None
    except SQLAlchemyError as exc:
        _error(f"database error: {exc}")
        raise typer.Exit(EXIT_ERROR) from None
    except OSError as exc:  # a file or folder named on the command line or in a setting
        where = f" {exc.filename}" if exc.filename else ""
        _error(f"cannot use{where}: {exc.strerror or exc}. Check that it exists and that this "
               "user may read (or write) it, then try again.")
        raise typer.Exit(EXIT_UNAVAILABLE) from None


def guarded(function: Callable[..., T]) -> Callable[..., T]:
    """Decorator: check the database the command needs, then run it inside
    :func:`user_errors`."""

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> T:
        with user_errors():
            _prepare_database(_command.get())
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
