"""The ``transfer-engine`` command line."""

from __future__ import annotations

from transfer_engine.cli import people, setup, transfers, workflows  # noqa: F401  (registers)
from transfer_engine.cli.app import app


def main() -> None:
    app()


__all__ = ["app", "main"]
