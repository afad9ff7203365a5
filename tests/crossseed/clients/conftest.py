"""`seeded`: each real client under test (tests/support/seeded_clients.py) with a torrent
seeding in it."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.support.seeded_clients import (
    CLIENT_KINDS,
    DAEMONS,
    QbtNative,
    Seeded,
    native_view,
    seeded_client,
)
from tests.support.webui import PASSWORD as WEBUI_PASSWORD
from tests.support.webui import USERNAME as WEBUI_USERNAME
from tests.support.webui import webui_starter
from torrentstack.config import DatabaseSettings


@pytest.fixture(params=CLIENT_KINDS)
async def seeded(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    database_settings: DatabaseSettings,
) -> AsyncIterator[Seeded]:
    kind = request.param
    async with contextlib.AsyncExitStack() as stack:
        if kind == "torrentstack":
            start = await stack.enter_async_context(webui_starter(tmp_path, database_settings))
            webui = await start()
            save_path = tmp_path / "downloads"
            host_port = webui.url.removeprefix("http://")
            credentials = f"{WEBUI_USERNAME}:{WEBUI_PASSWORD}".replace(" ", "%20")
            url = f"qbittorrent:http://{credentials}@{host_port}"
            native = await asyncio.to_thread(QbtNative, webui.url, WEBUI_USERNAME, WEBUI_PASSWORD)
        else:
            daemon = stack.enter_context(DAEMONS[kind](tmp_path / "daemon"))
            save_path, url = daemon.downloads, daemon.url
            native = await asyncio.to_thread(native_view, daemon)
        async with seeded_client(kind, url, native, save_path, tmp_path) as seeded:
            yield seeded
