"""Run Alembic migrations on an engine: one linear history, applied by `db upgrade` and `serve`.

Any number of processes may migrate one database at once (replicas starting together): on
PostgreSQL the migration transaction first takes an advisory lock, so the others wait and then
find the schema at head; on SQLite an exclusive `flock` beside the database file does the same.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
from collections.abc import AsyncIterator
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import AsyncEngine

from torrentstack.db.errors import database_errors
from torrentstack.errors import DatabaseError

logger = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
# pg_advisory_xact_lock's key for migrations: any constant the project uses for nothing else
_ADVISORY_KEY = 0x746F7272656E7473  # "torrents"


def alembic_config() -> Config:
    """Return an Alembic config pointing at the packaged migrations (no alembic.ini needed)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def heads() -> tuple[str, ...]:
    """Return the head revisions of the migration history (exactly one when it is linear)."""
    return tuple(ScriptDirectory.from_config(alembic_config()).get_heads())


async def upgrade(engine: AsyncEngine, revision: str = "head") -> str | None:
    """Migrate the database up to `revision`; return the revision it is at afterwards."""
    return await _run(engine, "upgrade", revision)


async def downgrade(engine: AsyncEngine, revision: str = "base") -> str | None:
    """Migrate the database down to `revision`; return the revision it is at afterwards."""
    return await _run(engine, "downgrade", revision)


async def current_revision(engine: AsyncEngine) -> str | None:
    """Return the revision the database is at (None for an empty database)."""
    with database_errors("read the schema revision"):
        async with engine.connect() as conn:
            return await conn.run_sync(_current)


def _current(conn: Connection) -> str | None:
    return MigrationContext.configure(conn).get_current_revision()


async def _run(engine: AsyncEngine, direction: str, revision: str) -> str | None:
    config = alembic_config()

    def apply(conn: Connection) -> str | None:
        if conn.dialect.name == "postgresql":  # held until this transaction ends
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _ADVISORY_KEY})
        config.attributes["connection"] = conn
        if direction == "upgrade":
            command.upgrade(config, revision)
        else:
            command.downgrade(config, revision)
        return _current(conn)

    try:
        with database_errors(f"{direction} the database schema"):
            async with _sqlite_file_lock(engine), engine.begin() as conn:
                reached = await conn.run_sync(apply)
    except CommandError as exc:  # Alembic's own: an unknown revision, a broken history; no SQL
        raise DatabaseError(f"database migration failed: {exc}", action=direction) from exc
    logger.info("database schema at revision %s", reached or "base")
    return reached


@contextlib.asynccontextmanager
async def _sqlite_file_lock(engine: AsyncEngine) -> AsyncIterator[None]:
    """On a SQLite file, hold `<file>.migrate-lock` exclusively (others wait in a thread)."""
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        yield
        return
    fd = os.open(f"{database}.migrate-lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        await asyncio.to_thread(fcntl.flock, fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock
