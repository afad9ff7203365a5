from __future__ import annotations

import pytest
from sqlalchemy import inspect

from torrentstack.db import migrate
from torrentstack.db.engine import create_engine
from torrentstack.errors import DatabaseError


def test_history_is_linear():
    assert len(migrate.heads()) == 1


@pytest.mark.database
async def test_upgrade_downgrade_upgrade(database_settings, tmp_path):
    engine = create_engine(database_settings, tmp_path)
    try:
        assert await migrate.current_revision(engine) is None
        head = migrate.heads()[0]
        assert await migrate.upgrade(engine) == head
        assert await migrate.current_revision(engine) == head
        assert await migrate.upgrade(engine) == head  # idempotent
        async with engine.connect() as conn:
            tables = await conn.run_sync(lambda c: inspect(c).get_table_names())
        assert "alembic_version" in tables
        assert await migrate.downgrade(engine) is None
        assert await migrate.upgrade(engine) == head
    finally:
        await engine.dispose()


@pytest.mark.database
async def test_unknown_revision_is_a_database_error(database_settings, tmp_path):
    engine = create_engine(database_settings, tmp_path)
    try:
        with pytest.raises(DatabaseError):
            await migrate.upgrade(engine, "no-such-revision")
    finally:
        await engine.dispose()
