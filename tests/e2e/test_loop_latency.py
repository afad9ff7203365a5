"""One event loop serves every listener: logins being hammered (PBKDF2 per attempt) must not
stall the tracker's announces. Clients run on threads with plain sockets, off the loop."""

from __future__ import annotations

import asyncio
import hashlib
import socket
import statistics
import threading
import time

import pytest

from tests.support.stack import stack
from torrentstack.bittorrent.bencode import encode
from torrentstack.config import SERVICES, Settings

pytestmark = [pytest.mark.slow, pytest.mark.database]

ANNOUNCE = (
    b"GET /announce?info_hash=%01%02%03%04%05%06%07%08%09%10%11%12%13%14%15%16%17%18%19%20"
    b"&peer_id=-TS0001-abcdefghijkl&port=6881&uploaded=0&downloaded=0&left=0&compact=1 "
    b"HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
)


def settings_for(database_settings, tmp_path) -> Settings:
    tree = {name: {"host": "127.0.0.1", "port": 0, "enabled": False} for name in SERVICES}
    tree["tracker"] |= {"enabled": True, "api_port": 0}
    tree["client"] |= {
        "enabled": True,
        "listen_port": 0,
        "webui_password": "the-right-one",
        "max_auth_fail_count": 0,  # never ban: every attempt costs a password check
        "preferences": {"dht": False, "lsd": False, "pex": False, "upnp": False},
    }
    return Settings.model_validate(
        {
            "paths": {"data_dir": str(tmp_path / "data")},
            "database": database_settings.model_dump(),
            **tree,
        }
    )


def announce_latencies(port: int, seconds: float) -> list[float]:
    """Announce over one kept-alive connection for `seconds`; each round trip's time."""
    out = []
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.settimeout(10)
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            start = time.perf_counter()
            sock.sendall(ANNOUNCE)
            got = b""
            while b"\r\n\r\n" not in got or not got.endswith(b"e"):
                got += sock.recv(65536)
            out.append(time.perf_counter() - start)
    return out


def hammer_logins(port: int, source: str, stop: threading.Event, counted: list[int]) -> None:
    body = b"username=admin&password=wrong"
    request = (
        f"POST /api/v2/auth/login HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body
    with socket.create_connection(("127.0.0.1", port), source_address=(source, 0)) as sock:
        sock.settimeout(30)
        while not stop.is_set():
            sock.sendall(request)
            got = b""
            while not got.endswith(b"Fails."):
                chunk = sock.recv(4096)
                assert chunk, got
                got += chunk
            counted.append(1)


async def test_announces_stay_fast_while_logins_are_hammered(database_settings, tmp_path):
    async with stack(settings_for(database_settings, tmp_path)) as ports:
        tracker, client = ports["tracker"], ports["client"]
        quiet = await asyncio.to_thread(announce_latencies, tracker, 1.0)
        stop, counted = threading.Event(), []
        hammers = [
            threading.Thread(
                target=hammer_logins, args=(client, f"127.0.0.{2 + n % 10}", stop, counted)
            )
            for n in range(40)  # 40 logins at a time from 10 addresses
        ]
        for thread in hammers:
            thread.start()
        try:
            busy = await asyncio.to_thread(announce_latencies, tracker, 3.0)
        finally:
            stop.set()
            for thread in hammers:
                await asyncio.to_thread(thread.join, 60)
    assert len(counted) >= 20, "the logins were not hammered"
    p95 = statistics.quantiles(busy, n=20)[-1]
    quiet_p95 = statistics.quantiles(quiet, n=20)[-1]
    # before the checks left the loop: ~480 ms (each waited behind PBKDF2 runs); now a few ms
    assert p95 < 0.05, f"announce p95 {p95 * 1000:.1f} ms (quiet: {quiet_p95 * 1000:.1f} ms)"


def add_in_bulk(port: int, torrents: list[bytes], rounds: int) -> int:
    """Add `torrents` in requests of 50 (then delete them), `rounds` times; how many added."""
    import httpx

    added = 0
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as http:
        login = {"username": "admin", "password": "the-right-one"}
        assert http.post("/api/v2/auth/login", data=login).text == "Ok."
        for _ in range(rounds):
            for start in range(0, len(torrents), 50):
                files = [
                    ("torrents", (f"{i}.torrent", t))
                    for i, t in enumerate(torrents[start : start + 50])
                ]
                reply = http.post("/api/v2/torrents/add", data={"paused": "true"}, files=files)
                assert reply.text == "Ok.", reply.text
                added += len(files)
            http.post("/api/v2/torrents/delete", data={"hashes": "all", "deleteFiles": "false"})
    return added


async def test_announces_stay_fast_while_torrents_are_added_in_bulk(database_settings, tmp_path):
    torrents = []
    for n in range(200):
        info = {b"name": f"bulk-{n}".encode(), b"piece length": 16384, b"length": 16384,
                b"pieces": hashlib.sha1(str(n).encode(), usedforsecurity=False).digest()}  # fmt: skip
        torrents.append(encode({b"info": info}))
    async with stack(settings_for(database_settings, tmp_path)) as ports:
        adding = asyncio.create_task(asyncio.to_thread(add_in_bulk, ports["client"], torrents, 3))
        busy = await asyncio.to_thread(announce_latencies, ports["tracker"], 3.0)
        added = await adding
    assert added == 600
    p95 = statistics.quantiles(busy, n=20)[-1]
    assert p95 < 0.05, f"announce p95 {p95 * 1000:.1f} ms while adding"
