"""A client service (engine, store, WebUI listener) on loopback, with a clock tests step by hand.

Its libtorrent session listens on 127.0.0.1 only, with DHT, LSD, PeX and UPnP off: tests never
send traffic off this machine.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette

from tests.support.clock import FakeClock
from tests.support.webui import PASSWORD, StartWebUI, WebUI
from torrentstack.client.runtime import ClientRuntime
from torrentstack.config import ClientSettings, DatabaseSettings
from torrentstack.db import migrate
from torrentstack.db.engine import create_engine
from torrentstack.serving.server import serve

LOOPBACK_ONLY = {"dht": False, "lsd": False, "pex": False, "upnp": False}


@pytest.fixture
async def start_webui(
    tmp_path: Path, database_settings: DatabaseSettings
) -> AsyncIterator[StartWebUI]:
    """Start client services with settings overrides; all are stopped after the test.

    `data_dir` picks the data directory (default: the test's tmp_path), so a test can stop a
    client and start another on the same state.
    """
    tasks: list[tuple[asyncio.Event, asyncio.Task[Any]]] = []
    database = create_engine(database_settings, tmp_path)
    await migrate.upgrade(database)

    async def start(data_dir: Path | None = None, **overrides: Any) -> WebUI:
        settings = ClientSettings.model_validate(
            {
                "host": "127.0.0.1",
                "port": 0,
                "listen_port": 0,
                "webui_password": PASSWORD,
                "save_path": str((data_dir or tmp_path) / "downloads"),
                "preferences": LOOPBACK_ONLY,
                **overrides,
            }
        )
        clock = FakeClock()
        stop = asyncio.Event()
        runtime = ClientRuntime(
            settings, database=database, data_dir=data_dir or tmp_path, clock=clock, stop=stop
        )
        (listener,) = await runtime.start(Starlette())
        ready = asyncio.Event()

        async def run() -> None:
            await asyncio.gather(serve([listener], stop, ready), runtime.run(stop))

        task = asyncio.create_task(run())
        tasks.append((stop, task))
        await asyncio.wait_for(ready.wait(), 10)
        return WebUI(f"http://127.0.0.1:{listener.bound_port}", runtime, clock, stop)

    yield start
    for stop, task in tasks:
        stop.set()
        await asyncio.wait_for(task, 30)
    await database.dispose()


@pytest.fixture
async def webui(start_webui: StartWebUI) -> WebUI:
    return await start_webui()
