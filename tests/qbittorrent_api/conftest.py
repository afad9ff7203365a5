"""The qBittorrent WebUI contract (routing, authentication, form parsing, a few happy paths),
run in-process (`httpx.ASGITransport` over `WebApi.app()`) against any backend.

The suite is parameterised by `backend_factory`: a callable that builds a fresh backend and
registers its endpoints on the `WebApi` it is given (`memory_backend.register_memory_backend`
here). Another backend, e.g. the debrid bridge, runs the same tests by importing the test
modules into its own test module and overriding the fixture there:

    from tests.qbittorrent_api.test_routing import *  # noqa: F403

    @pytest.fixture
    def backend_factory() -> BackendFactory:
        return register_debrid_backend
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.qbittorrent_api.memory_backend import register_memory_backend
from tests.tracker.conftest import FakeClock
from torrentstack.bittorrent.bencode import encode
from torrentstack.qbittorrent.persona import PERSONAS
from torrentstack.qbittorrent_api.auth import Authenticator, hash_password
from torrentstack.qbittorrent_api.dispatch import WebApi

USERNAME = "admin"
PASSWORD = "correct horse battery"
PORT = 8080
BASE_URL = f"http://localhost:{PORT}"

BackendFactory = Callable[[WebApi], Any]  # registers a fresh backend's endpoints on the api


@dataclass
class Qbt:
    """One API under test: its `WebApi`, the clock its sessions and bans run on."""

    api: WebApi
    clock: FakeClock

    def client(self, **kwargs: Any) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=self.api.app())
        return httpx.AsyncClient(transport=transport, base_url=BASE_URL, **kwargs)


MakeQbt = Callable[..., Qbt]


@pytest.fixture(scope="session")
def password_hash() -> str:
    return hash_password(PASSWORD)


@pytest.fixture(params=[register_memory_backend], ids=["memory"])
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


async def login(http: httpx.AsyncClient, password: str = PASSWORD) -> httpx.Response:
    return await http.post("/api/v2/auth/login", data={"username": USERNAME, "password": password})


def torrent_file(name: str, size: int = 40_000, piece_length: int = 16_384) -> bytes:
    """A small single-file v1 .torrent (its pieces hash made-up content)."""
    count = -(-size // piece_length)
    pieces = b"".join(
        hashlib.sha1(f"{name}:{i}".encode(), usedforsecurity=False).digest() for i in range(count)
    )
    info = {b"name": name.encode(), b"length": size, b"piece length": piece_length,
            b"pieces": pieces}  # fmt: skip
    return encode({b"announce": b"http://tracker.test/announce", b"info": info})
