"""Build the async SQLAlchemy engine: SQLite (aiosqlite, WAL) by default, PostgreSQL by URL."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from torrentstack.config import DatabaseSettings
from torrentstack.errors import DatabaseError

logger = logging.getLogger(__name__)

SQLITE_FILENAME = "torrentstack.db"
_ASYNC_DRIVERS = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg"}


def database_url(settings: DatabaseSettings, data_dir: Path) -> URL:
    """Return the async URL to use: the configured one, or SQLite in the data directory."""
    if not settings.url:
        return URL.create("sqlite+aiosqlite", database=str(data_dir / SQLITE_FILENAME))
    try:
        url = make_url(settings.url)
    except ArgumentError:  # SQLAlchemy 2.0's message repeats the URL, password and all
        raise DatabaseError("database.url is not a database URL") from None
    backend = url.get_backend_name()
    if backend not in _ASYNC_DRIVERS:
        raise DatabaseError(
            f"database.url: unsupported database {backend!r} (sqlite or postgresql)"
        )
    if url.drivername == backend:  # plain postgresql:// or sqlite:// -> the async driver
        url = url.set(drivername=_ASYNC_DRIVERS[backend])
    return url


def create_engine(settings: DatabaseSettings, data_dir: Path) -> AsyncEngine:
    """Create the engine; for SQLite make the directory and set WAL, foreign keys, busy timeout.

    Bound parameters are hidden (`hide_parameters`): SQLAlchemy's error messages and its echo
    log never show the values, which include password hashes and passkeys.
    """
    url = database_url(settings, data_dir)
    if url.get_backend_name() == "sqlite":
        return _sqlite_engine(url, settings)
    return create_async_engine(
        url,
        echo=settings.echo,
        hide_parameters=True,
        pool_size=settings.pool_size,
        pool_pre_ping=True,
    )


def _sqlite_engine(url: URL, settings: DatabaseSettings) -> AsyncEngine:
    # aiosqlite logs every statement with its bound values at DEBUG: never pass those on
    logging.getLogger("aiosqlite").setLevel(logging.INFO)
    if url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(
        url,
        echo=settings.echo,
        hide_parameters=True,
        connect_args={"timeout": settings.sqlite_busy_timeout_ms / 1000},
    )

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={int(settings.sqlite_busy_timeout_ms)}")
            cursor.execute("PRAGMA synchronous=NORMAL")
        finally:
            cursor.close()

    return engine
