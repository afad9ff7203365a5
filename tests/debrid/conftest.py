"""Fixtures of the debrid bridge's tests: a migrated database, a store over it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.support.clock import FakeClock
from torrentstack.config import DatabaseSettings
from torrentstack.db import migrate
from torrentstack.db.engine import create_engine
from torrentstack.debrid.store import DebridStore


@pytest.fixture
async def debrid_database(
    database_settings: DatabaseSettings, tmp_path: Path
) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_settings, tmp_path)
    await migrate.upgrade(engine)
    try:
        yield engine
    finally:
        await engine.dispose()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def debrid_store(debrid_database: AsyncEngine, clock: FakeClock) -> DebridStore:
    return DebridStore(debrid_database, clock)
