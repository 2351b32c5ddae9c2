"""The ``transfer-engine`` command line."""

from __future__ import annotations

from transfer_engine.cli import (  # noqa: F401  (registers the commands)
    database,
    elections,
    eli,
    evidence,
    letters,
    outbox,
    people,
    representations,
    scheduler,
    setup,
    transfers,
    web,
    workflows,
)
from transfer_engine.cli.app import app


def main() -> None:
    app()


__all__ = ["app", "main"]
