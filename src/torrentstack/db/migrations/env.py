"""Alembic environment: runs on the connection `db.migrate` hands over (never opens its own)."""

from __future__ import annotations

from alembic import context

from torrentstack.db.base import Base

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only db.migrate drives Alembic
    raise RuntimeError("run migrations with `torrentstack db upgrade`, not the alembic command")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite needs batch ALTER TABLE
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
