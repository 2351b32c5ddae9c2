"""Alembic environment: migrations run against the engine's own metadata and connection."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

from transfer_engine.store import tables  # noqa: F401  (registers every table)

config = context.config
target_metadata = SQLModel.metadata


def run_migrations() -> None:
    connection = config.attributes.get("connection")
    if connection is None:  # pragma: no cover - the engine always passes its connection
        raise RuntimeError("run migrations through transfer_engine.store.database.upgrade()")
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things in place; batch mode copies the table.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
