"""A client service (engine, store, WebUI listener) on loopback, with a clock tests step by hand
(started by tests/support/webui.py's `webui_starter`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.support.webui import StartWebUI, WebUI, webui_starter
from torrentstack.config import DatabaseSettings


@pytest.fixture
async def start_webui(
    tmp_path: Path, database_settings: DatabaseSettings
) -> AsyncIterator[StartWebUI]:
    """Start client services with settings overrides; all are stopped after the test.

    `data_dir` picks the data directory (default: the test's tmp_path), so a test can stop a
    client and start another on the same state.
    """
    async with webui_starter(tmp_path, database_settings) as start:
        yield start


@pytest.fixture
async def webui(start_webui: StartWebUI) -> WebUI:
    return await start_webui()
