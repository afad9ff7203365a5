"""A running client service's WebUI as tests see it, its credentials, and logging in to it."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx
import qbittorrentapi

from tests.support.clock import FakeClock
from torrentstack.client.runtime import ClientRuntime

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
