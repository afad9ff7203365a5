"""Bounded floods on loopback against every listener of the whole stack at once: idle
connections past the cap, a pipelining client that never reads, a head sent byte by byte.
No flood on one listener may take another down or reach a 500."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time

import httpx
import pytest

from tests.e2e.in_process_stack import stack
from tests.support.waiting import eventually
from torrentstack.config import SERVICES, Settings

pytestmark = [pytest.mark.slow, pytest.mark.database]

CAP = 40
# The server fills the kernel's socket buffers with answers (~25 MB of requests on loopback)
# before it stops reading: ~20 s a listener. One of each server kind (http1, uvicorn) here;
# tests/serving/test_listener_limits.py covers both kinds on their own.
PIPELINED = ("tracker", "client")


def flood_settings(database_settings, tmp_path) -> Settings:
    tree = {name: {"host": "127.0.0.1", "port": 0} for name in SERVICES}
    tree["tracker"]["api_port"] = 0
    tree["client"]["listen_port"] = 0
    tree["client"]["preferences"] = {"dht": False, "lsd": False, "pex": False, "upnp": False}
    return Settings.model_validate(
        {
            "paths": {"data_dir": str(tmp_path / "data")},
            "database": database_settings.model_dump(),
            "serving": {
                "max_connections": CAP,
                "header_timeout": 0.5,
                "body_timeout": 0.5,
                "keep_alive_timeout": 0.5,
            },
            **tree,
        }
    )


async def healthy(ports: dict[str, int], skip: str = "") -> None:
    async with httpx.AsyncClient(timeout=10) as client:
        for name, port in ports.items():
            if name != skip:
                response = await client.get(f"http://127.0.0.1:{port}/healthz")
                assert response.status_code == 200, (name, response.status_code)


def hold_and_overflow(port: int) -> tuple[list[socket.socket], list[bytes]]:
    """Open CAP connections and 20 more; return the held ones and what the extra ones got."""
    held = [socket.create_connection(("127.0.0.1", port)) for _ in range(CAP)]
    answers = []
    for _ in range(20):
        with socket.create_connection(("127.0.0.1", port)) as sock:
            sock.settimeout(5)
            answers.append(sock.recv(100))
    return held, answers


def pipeline_without_reading(port: int) -> int:
    """Pipeline /healthz requests and read nothing; return how much the server let in."""
    request = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Pad: " + b"p" * 900 + b"\r\n\r\n"
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.settimeout(1.0)  # a send blocked this long: the server stopped reading
        sent = 0
        with contextlib.suppress(TimeoutError, ConnectionError):
            while sent < 128 << 20:
                sent += sock.send(request * 32)
        return sent


def slow_head(port: int) -> bytes:
    """Send a head a byte every 50 ms; return what the server answered."""
    with socket.create_connection(("127.0.0.1", port)) as sock:
        with contextlib.suppress(OSError):
            for char in b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n":
                sock.sendall(bytes([char]))
                time.sleep(0.05)  # the slowness is the behaviour under test
        sock.settimeout(5)
        got = b""
        with contextlib.suppress(OSError):
            while chunk := sock.recv(4096):
                got += chunk
        return got


async def recovered(name: str, port: int) -> None:
    async def answers() -> bool:
        with contextlib.suppress(httpx.HTTPError):
            async with httpx.AsyncClient(timeout=5) as client:
                return (await client.get(f"http://127.0.0.1:{port}/healthz")).status_code == 200
        return False

    await eventually(answers, timeout=10, message=f"{name} did not recover")


async def test_floods_on_each_listener_leave_the_others_serving(database_settings, tmp_path):
    async with stack(flood_settings(database_settings, tmp_path)) as ports:
        assert set(ports) == {*SERVICES, "tracker-api"}
        for name, port in ports.items():
            held, answers = await asyncio.to_thread(hold_and_overflow, port)
            try:
                assert all(a.startswith(b"HTTP/1.1 503") for a in answers), (name, answers[:2])
                await healthy(ports, skip=name)
            finally:
                for sock in held:
                    sock.close()
            await recovered(name, port)

            if name in PIPELINED:
                sent = await asyncio.to_thread(pipeline_without_reading, port)
                assert sent < 48 << 20, (name, sent)  # an unbounded server takes all 128 MB
                await healthy(ports)

            assert (await asyncio.to_thread(slow_head, port)).startswith(b"HTTP/1.1 408"), name
            await healthy(ports)
