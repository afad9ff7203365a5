"""The qBittorrent API under test (`Qbt`: a `WebApi` and the clock its sessions run on), its
credentials, logging in, and a small .torrent; the fixtures that build them are in conftest.py."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from tests.support.clock import FakeClock
from torrentstack.bittorrent.bencode import encode
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
