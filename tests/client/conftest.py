"""A client WebUI listener on a real loopback socket, with a clock tests step by hand."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette

from tests.tracker.conftest import FakeClock
from torrentstack.client.runtime import ClientRuntime
from torrentstack.config import ClientSettings
from torrentstack.server import serve

USERNAME = "admin"
PASSWORD = "correct horse battery"


@dataclass
class WebUI:
    url: str
    runtime: ClientRuntime
    clock: FakeClock
    stop: asyncio.Event


StartWebUI = Callable[..., Awaitable[WebUI]]


@pytest.fixture
async def start_webui(tmp_path: Path) -> AsyncIterator[StartWebUI]:
    """Start WebUI listeners with settings overrides; all are stopped after the test."""
    tasks: list[tuple[asyncio.Event, asyncio.Task[None]]] = []

    async def start(**overrides: Any) -> WebUI:
        settings = ClientSettings.model_validate(
            {"host": "127.0.0.1", "port": 0, "webui_password": PASSWORD, **overrides}
        )
        clock = FakeClock()
        stop = asyncio.Event()
        runtime = ClientRuntime(settings, data_dir=tmp_path, clock=clock, stop=stop)
        listener = runtime.listener(Starlette())
        ready = asyncio.Event()
        task = asyncio.create_task(serve([listener], stop, ready))
        tasks.append((stop, task))
        await asyncio.wait_for(ready.wait(), 10)
        return WebUI(f"http://127.0.0.1:{listener.bound_port}", runtime, clock, stop)

    yield start
    for stop, task in tasks:
        stop.set()
        await asyncio.wait_for(task, 10)


@pytest.fixture
async def webui(start_webui: StartWebUI) -> WebUI:
    return await start_webui()
