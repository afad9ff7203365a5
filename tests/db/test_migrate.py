from __future__ import annotations

import subprocess
import sys

import pytest
from sqlalchemy import inspect

from tests.support.waiting import eventually_sync
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


RACER = """
import asyncio, os, sys, time
from pathlib import Path
from torrentstack.config import DatabaseSettings
from torrentstack.db import migrate
from torrentstack.db.engine import create_engine

async def main():
    engine = create_engine(DatabaseSettings(url=sys.argv[1]), Path(sys.argv[2]))
    Path(sys.argv[3]).touch()  # ready
    go = Path(sys.argv[4])
    deadline = time.monotonic() + 60
    while not go.exists() and time.monotonic() < deadline:
        await asyncio.sleep(0.001)
    try:
        print(await migrate.upgrade(engine))
    finally:
        await engine.dispose()

asyncio.run(main())
"""


@pytest.mark.database
@pytest.mark.slow
def test_processes_migrating_one_empty_database_at_once_all_succeed(database_settings, tmp_path):
    url = database_settings.url or f"sqlite+aiosqlite:///{tmp_path / 'shared.db'}"
    go = tmp_path / "go"
    procs = []
    for i in range(6):
        ready = tmp_path / f"ready-{i}"
        procs.append(
            (
                ready,
                subprocess.Popen(
                    [sys.executable, "-c", RACER, url, str(tmp_path), str(ready), str(go)],
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                ),
            )
        )
    eventually_sync(  # every racer at the start line
        lambda: all(ready.exists() for ready, _ in procs),
        timeout=60,
        interval=0.01,
        message="the racers did not start",
    )
    go.touch()
    head = migrate.heads()[0]
    for _, proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        assert out.strip() == head
