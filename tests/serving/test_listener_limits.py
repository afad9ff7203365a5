"""Every listener, uvicorn's and http1's alike: HEAD, head size, timeouts, connection caps,
backpressure. Real sockets on loopback; timeouts are set short and awaited, not slept."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from collections.abc import AsyncIterator

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from tests.support.waiting import eventually
from torrentstack.serving.limits import Limits, connection_caps
from torrentstack.serving.server import Listener, serve

SHORT = Limits(max_header_bytes=16384, header_timeout=0.3, body_timeout=0.3, keep_alive_timeout=0.3)


async def hello(request: Request) -> PlainTextResponse:
    body = await request.body()
    return PlainTextResponse(f"hello {len(body)}")


APP = Starlette(routes=[Route("/{p:path}", hello, methods=["GET", "HEAD", "POST"])])


@contextlib.asynccontextmanager
async def listening(
    kinds: list[str], limits: Limits = SHORT, max_connections: int = 1024
) -> AsyncIterator[list[int]]:
    listeners = [
        Listener(name=f"{kind}-{i}", host="127.0.0.1", port=0, app=APP, http1=kind == "http1")
        for i, kind in enumerate(kinds)
    ]
    stop, ready = asyncio.Event(), asyncio.Event()
    task = asyncio.create_task(
        serve(listeners, stop, ready, limits=limits, max_connections=max_connections)
    )
    await asyncio.wait_for(ready.wait(), 10)
    try:
        yield [listener.bound_port or 0 for listener in listeners]
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)


async def exchange(port: int, data: bytes, until_closed: bool = True) -> bytes:
    """Send `data`; read until the server closes (or 5 s pass: then fail)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(data)
        await writer.drain()
        return await asyncio.wait_for(reader.read(-1), 5) if until_closed else b""
    finally:
        writer.close()


KINDS = pytest.mark.parametrize("kind", ["http1", "uvicorn"])


@KINDS
async def test_head_has_no_body_and_the_next_answer_stays_in_step(kind):
    async with listening([kind]) as (port,):
        got = await exchange(
            port,
            b"HEAD /x HTTP/1.1\r\nHost: t\r\n\r\n"
            b"GET /x HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
        )
    first, sep, rest = got.partition(b"\r\n\r\n")
    assert sep and first.startswith(b"HTTP/1.1 200")
    assert b"content-length: 7" in first.lower()  # the GET's length, without the GET's body
    assert rest.startswith(b"HTTP/1.1 200"), rest[:40]
    assert rest.endswith(b"\r\n\r\nhello 0")


@KINDS
@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        (b"GET /" + b"a" * 65536 + b" HTTP/1.1\r\nHost: t\r\n\r\n", b"414"),
        (b"GET / HTTP/1.1\r\nHost: t\r\nX-Big: " + b"b" * 20000 + b"\r\n\r\n", b"431"),
        (b"GET / HTTP/1.1\r\nHost: t\r\n" + b"X-Many: c\r\n" * 2000 + b"\r\n", b"431"),
    ],
    ids=["64k-url", "20k-header", "2000-headers"],
)
async def test_a_head_over_the_limit_in_one_write_is_refused(kind, request_bytes, status):
    async with listening([kind]) as (port,):
        got = await exchange(port, request_bytes)
    assert got.startswith(b"HTTP/1.1 " + status), got[:60]


@KINDS
async def test_a_head_just_under_the_limit_is_served(kind):
    padding = b"p" * 15000
    async with listening([kind]) as (port,):
        got = await exchange(
            port,
            b"GET / HTTP/1.1\r\nHost: t\r\nX-Pad: " + padding + b"\r\nConnection: close\r\n\r\n",
        )
    assert got.startswith(b"HTTP/1.1 200"), got[:60]


@KINDS
@pytest.mark.parametrize(
    "partial",
    [
        b"",
        b"GET / HTTP/1.1\r\nHost: t\r\n",
        b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nabc",
    ],
    ids=["nothing", "half-head", "half-body"],
)
async def test_a_request_held_open_is_timed_out(kind, partial):
    async with listening([kind]) as (port,):
        got = await exchange(port, partial)  # read() returns: the server closed the connection
    assert got.startswith(b"HTTP/1.1 408"), got[:60]


@KINDS
async def test_a_client_dripping_its_head_does_not_push_the_deadline_back(kind):
    def drip(port: int) -> tuple[bytes, float]:
        with socket.create_connection(("127.0.0.1", port)) as sock:
            started = time.monotonic()
            with contextlib.suppress(OSError):  # the server closes it mid-drip
                for char in b"GET / HTTP/1.1\r\nHost: " + b"x" * 100:
                    sock.sendall(bytes([char]))
                    time.sleep(0.02)  # the drip is the behaviour under test
            sock.settimeout(5)
            got = b""
            with contextlib.suppress(OSError):
                while chunk := sock.recv(4096):
                    got += chunk
            return got, time.monotonic() - started

    async with listening([kind]) as (port,):
        got, took = await asyncio.to_thread(drip, port)
    assert got.startswith(b"HTTP/1.1 408"), got[:60]
    assert took < 2.0  # 0.3 s allowed; the whole drip would take 2.4 s


@KINDS
async def test_an_idle_kept_alive_connection_is_closed(kind):
    async with listening([kind]) as (port,):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            writer.write(b"GET / HTTP/1.1\r\nHost: t\r\n\r\n")
            first = await asyncio.wait_for(reader.readuntil(b"hello 0"), 5)
            assert first.startswith(b"HTTP/1.1 200")
            assert await asyncio.wait_for(reader.read(-1), 5) == b""  # closed when idle
        finally:
            writer.close()


@KINDS
async def test_connections_over_the_cap_get_503_and_other_listeners_are_untouched(kind):
    async with listening([kind, "http1", "uvicorn"], max_connections=5) as ports:
        held = [await asyncio.open_connection("127.0.0.1", ports[0]) for _ in range(5)]
        try:
            refused = await exchange(ports[0], b"")
            assert refused.startswith(b"HTTP/1.1 503"), refused[:60]
            for other in ports[1:]:
                answer = await exchange(
                    other, b"GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
                )
                assert answer.startswith(b"HTTP/1.1 200"), answer[:60]
            # a place freed is a place taken again
            held.pop()[1].close()

            async def taken_again() -> None:  # once the server has seen the close
                answer = await exchange(
                    ports[0], b"GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
                )
                assert answer.startswith(b"HTTP/1.1 200"), answer[:60]

            await eventually(
                taken_again,
                timeout=5,
                interval=0.01,
                message="the freed place was not given to a new connection",
            )
        finally:
            for _, writer in held:
                writer.close()


@KINDS
async def test_a_pipelining_client_that_never_reads_is_not_buffered_without_bound(kind):
    request = b"GET / HTTP/1.1\r\nHost: t\r\nX-Pad: " + b"p" * 1000 + b"\r\n\r\n"
    limits = Limits(header_timeout=30, body_timeout=30, keep_alive_timeout=30)
    async with listening([kind], limits=limits) as (port,):

        def flood() -> int:
            with socket.create_connection(("127.0.0.1", port)) as sock:
                sock.settimeout(1.0)  # a send that blocks this long: the server stopped reading
                sent = 0
                try:
                    while sent < 256 << 20:
                        sent += sock.send(request * 64)
                except TimeoutError:
                    pass
                return sent

        sent = await asyncio.to_thread(flood)
    # kernel buffers on loopback hold a few MB; an unbounded server would take all 256 MB
    assert sent < 64 << 20, sent


def test_descriptor_budget_is_shared_evenly():
    caps = connection_caps(["a", "b", "c"], max_connections=1024, reserve=100, descriptors=700)
    assert caps == {"a": 200, "b": 200, "c": 200}
    roomy = connection_caps(["a", "b"], max_connections=1024, reserve=256, descriptors=20000)
    assert roomy == {"a": 1024, "b": 1024}


@KINDS
async def test_a_busy_kept_alive_connection_outlives_the_idle_timeout(kind):
    """The idle deadline restarts after every answer: a client that keeps asking is served."""
    async with listening([kind]) as (port,):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            loop = asyncio.get_running_loop()
            end = loop.time() + 4 * SHORT.keep_alive_timeout
            answered = 0
            while loop.time() < end:
                writer.write(b"GET / HTTP/1.1\r\nHost: t\r\n\r\n")
                got = await asyncio.wait_for(reader.readuntil(b"hello 0"), 5)
                assert got.startswith(b"HTTP/1.1 200"), got[:60]
                answered += 1
                await asyncio.sleep(0.1)  # a pause shorter than the idle timeout, between asks
            assert answered >= 8
        finally:
            writer.close()
