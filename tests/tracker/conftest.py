"""Fixtures for tracker tests: a stepped clock, a migrated database, a tracker built on them."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.support.clock import FakeClock
from tests.support.tracker import API_TOKEN
from tests.tracker.native_swarm import KINDS, MakeSwarm, swarm_class
from torrentstack.config import TrackerSettings
from torrentstack.db import migrate
from torrentstack.db.engine import create_engine
from torrentstack.tracker.policy import OpenRegistry, Registry
from torrentstack.tracker.runtime import TrackerRuntime


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def engine(database_settings, tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_settings, tmp_path)
    await migrate.upgrade(engine)
    yield engine
    await engine.dispose()


MakeRuntime = Callable[..., Awaitable[TrackerRuntime]]


@pytest.fixture
def make_runtime(engine: AsyncEngine, clock: FakeClock) -> MakeRuntime:
    """Build (and load) a tracker runtime with settings overrides, on the shared database."""

    async def make(registry: Registry | None = None, **settings: Any) -> TrackerRuntime:
        runtime = TrackerRuntime(
            TrackerSettings.model_validate({"host": "127.0.0.1", "port": 0, **settings}),
            engine=engine,
            registry=registry or OpenRegistry(),
            clock=clock,
            api_tokens=[API_TOKEN],
        )
        await runtime.tracker.load()
        return runtime

    return make


@pytest.fixture(params=KINDS)
def new_swarm(request: pytest.FixtureRequest) -> MakeSwarm:
    """A swarm class: the pure-Python one, then the compiled one."""
    return swarm_class(request.param)
