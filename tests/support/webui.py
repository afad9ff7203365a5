"""A running client service's WebUI as tests see it, its credentials, and logging in to it."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import qbittorrentapi
from starlette.applications import Starlette

from tests.support.clock import FakeClock
from torrentstack.client.runtime import ClientRuntime
from torrentstack.config import ClientSettings, DatabaseSettings
from torrentstack.db import migrate
from torrentstack.db.engine import create_engine
from torrentstack.serving.server import serve

LOOPBACK_ONLY = {"dht": False, "lsd": False, "pex": False, "upnp": False}

USERNAME = "admin"
PASSWORD = "correct horse battery"


@dataclass
class WebUI:
    url: str
    runtime: ClientRuntime
    clock: FakeClock
    stop: asyncio.Event


StartWebUI = Callable[..., Awaitable[WebUI]]


def api_client(webui: WebUI, password: str = PASSWORD) -> qbittorrentapi.Client:
    return qbittorrentapi.Client(
        host=webui.url,
        username=USERNAME,
        password=password,
        REQUESTS_ARGS={"timeout": 10},
        RAISE_ERROR_FOR_UNSUPPORTED_QBITTORRENT_VERSIONS=True,
    )


def logged_in(webui: WebUI) -> qbittorrentapi.Client:
    client = api_client(webui)
    client.auth_log_in()
    return client


async def login(http: httpx.AsyncClient, password: str = PASSWORD) -> httpx.Response:
    return await http.post("/api/v2/auth/login", data={"username": USERNAME, "password": password})


@contextlib.asynccontextmanager
async def webui_starter(
    tmp_path: Path, database_settings: DatabaseSettings
) -> AsyncIterator[StartWebUI]:
    """Yield `start(data_dir=None, **overrides)`, which starts a client service on loopback;
    every one started is stopped on exit.

    Its libtorrent session listens on 127.0.0.1 only, with DHT, LSD, PeX and UPnP off: tests never
    send traffic off this machine. `data_dir` picks the data directory (default: tmp_path), so a
    test can stop a client and start another on the same state.
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

    try:
        yield start
    finally:
        for stop, task in tasks:
            stop.set()
            await asyncio.wait_for(task, 30)
        await database.dispose()
