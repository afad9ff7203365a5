"""The qBittorrent WebUI contract (routing, authentication, form parsing, a few happy paths),
run in-process (`httpx.ASGITransport` over `WebApi.app()`) against every backend.

The suite is parameterised by `backend_factory`: a callable that builds a fresh backend and
registers its endpoints on the `WebApi` it is given. Another backend (the debrid bridge) runs the
whole suite by adding its factory to `BACKENDS` below; nothing else changes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.qbittorrent_api.debrid_backend import register_debrid_backend
from tests.qbittorrent_api.memory_backend import register_memory_backend
from tests.support.clock import FakeClock
from tests.support.qbittorrent_api import (
    PASSWORD,
    USERNAME,
    BackendFactory,
    MakeQbt,
    Qbt,
    login,
)
from torrentstack.qbittorrent.persona import PERSONAS
from torrentstack.qbittorrent_api.auth import Authenticator, hash_password
from torrentstack.qbittorrent_api.dispatch import WebApi

BACKENDS: dict[str, BackendFactory] = {
    "memory": register_memory_backend,
    "debrid": register_debrid_backend,
}


@pytest.fixture(scope="session")
def password_hash() -> str:
    return hash_password(PASSWORD)


@pytest.fixture(params=list(BACKENDS.values()), ids=list(BACKENDS))
def backend_factory(request: pytest.FixtureRequest) -> BackendFactory:
    factory: BackendFactory = request.param
    return factory


@pytest.fixture
def make_qbt(backend_factory: BackendFactory, password_hash: str) -> MakeQbt:
    """An API with `persona` and authenticator settings, over a fresh backend."""

    def make(persona: str = "4.6", factory: BackendFactory | None = None, **auth: Any) -> Qbt:
        clock = FakeClock()
        settings = {"timeout": 3600, "max_fail_count": 3, "ban_duration": 60, **auth}
        authenticator = Authenticator(USERNAME, password_hash, clock=clock, **settings)
        api = WebApi(PERSONAS[persona], authenticator)
        (factory or backend_factory)(api)
        return Qbt(api, clock)

    return make


@pytest.fixture
def qbt(make_qbt: MakeQbt) -> Qbt:
    return make_qbt()


@pytest.fixture
async def http(qbt: Qbt) -> AsyncIterator[httpx.AsyncClient]:
    """A client logged in to `qbt`."""
    async with qbt.client() as client:
        assert (await login(client)).text == "Ok."
        yield client
