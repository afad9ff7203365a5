"""Empty databases of the backend the run tests (`--db`): SQLite in a directory, or a fresh
PostgreSQL database dropped afterwards."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy.engine import make_url

from torrentstack.config import DatabaseSettings


@asynccontextmanager
async def fresh_database(
    backend: str, postgres_url: str, directory: Path
) -> AsyncIterator[DatabaseSettings]:
    """Settings for an empty database: `directory`/test.db on SQLite; on PostgreSQL a new
    database on the server of `postgres_url` (an admin URL), dropped on exit."""
    if backend == "sqlite":
        yield DatabaseSettings(url=f"sqlite+aiosqlite:///{directory / 'test.db'}")
        return
    import asyncpg

    admin = make_url(postgres_url)
    dsn = admin.set(drivername="postgresql").render_as_string(hide_password=False)
    name = f"torrentstack_test_{secrets.token_hex(6)}"
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    try:
        url = admin.set(database=name).render_as_string(hide_password=False)
        yield DatabaseSettings(url=url)
    finally:
        conn = await asyncpg.connect(dsn)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()
