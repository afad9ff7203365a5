"""A site over a migrated database of the chosen backend, served in-process (ASGITransport);
cheap protocol costs (PoW difficulty 1, 1,000 PBKDF2 iterations) so tests stay fast."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.support.clock import FakeClock
from tests.support.site import FAST
from torrentstack.config import DatabaseSettings, SiteSettings
from torrentstack.db import migrate
from torrentstack.db.engine import create_engine
from torrentstack.site.runtime import SiteRuntime

pytestmark = pytest.mark.database


@pytest.fixture
async def site_engine(
    database_settings: DatabaseSettings, tmp_path: Path
) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_settings, tmp_path)
    await migrate.upgrade(engine)
    yield engine
    await engine.dispose()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def make_site(
    site_engine: AsyncEngine, clock: FakeClock
) -> AsyncIterator[Callable[..., Any]]:
    """An app factory: `await make_site(registration="open")` -> an httpx client factory."""
    opened: list[SiteRuntime] = []

    async def make(**settings: Any) -> Callable[[], httpx.AsyncClient]:
        runtime = SiteRuntime(
            SiteSettings(**(FAST | settings)), database=site_engine, clock=clock, secret=b"s" * 32
        )
        app = await runtime.app()
        opened.append(runtime)

        def client() -> httpx.AsyncClient:
            transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
            return httpx.AsyncClient(transport=transport, base_url="http://site.test")

        return client

    yield make
    for runtime in opened:
        await runtime.close()


@pytest.fixture
async def site(make_site: Callable[..., Any]) -> AsyncIterator[Callable[[], httpx.AsyncClient]]:
    clients: list[httpx.AsyncClient] = []
    factory = await make_site()

    def client() -> httpx.AsyncClient:
        http = factory()
        clients.append(http)
        return http

    yield client
    for http in clients:
        await http.aclose()
