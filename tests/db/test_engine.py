from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from torrentstack.config import DatabaseSettings
from torrentstack.db.engine import SQLITE_FILENAME, create_engine, database_url
from torrentstack.errors import DatabaseError


def test_default_url_is_sqlite_in_data_dir(tmp_path):
    url = database_url(DatabaseSettings(), tmp_path)
    assert url.drivername == "sqlite+aiosqlite"
    assert url.database == str(tmp_path / SQLITE_FILENAME)


@pytest.mark.parametrize(
    ("given", "driver"),
    [
        ("postgresql://u@h/db", "postgresql+asyncpg"),
        ("postgresql+asyncpg://u@h/db", "postgresql+asyncpg"),
        ("sqlite:////tmp/x.db", "sqlite+aiosqlite"),
    ],
)
def test_plain_urls_get_async_drivers(given, driver):
    assert database_url(DatabaseSettings(url=given), Path()).drivername == driver


@pytest.mark.parametrize("given", ["mysql://u@h/db", "not a url"])
def test_unsupported_urls_are_errors(given):
    with pytest.raises(DatabaseError, match=r"database\.url"):
        database_url(DatabaseSettings(url=given), Path())


@pytest.mark.database
async def test_engine_connects(database_settings, tmp_path, db_backend):
    engine = create_engine(database_settings, tmp_path)
    try:
        async with engine.connect() as conn:
            assert (await conn.execute(text("SELECT 1"))).scalar() == 1
            assert conn.dialect.name == db_backend
    finally:
        await engine.dispose()


@pytest.mark.database
async def test_sqlite_pragmas(tmp_path, db_backend):
    if db_backend != "sqlite":
        pytest.skip("SQLite pragmas")
    engine = create_engine(DatabaseSettings(sqlite_busy_timeout_ms=1234), tmp_path / "nested")
    try:
        async with engine.connect() as conn:
            assert (await conn.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
            assert (await conn.execute(text("PRAGMA foreign_keys"))).scalar() == 1
            assert (await conn.execute(text("PRAGMA busy_timeout"))).scalar() == 1234
        assert (tmp_path / "nested" / SQLITE_FILENAME).exists()
    finally:
        await engine.dispose()
