"""Replies on a kept-alive connection come at once (no Nagle/delayed-ACK stall of ~40 ms)."""

from __future__ import annotations

import asyncio
import socket
import time

from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from torrentstack.serving.server import Listener, serve


async def test_keep_alive_replies_are_not_delayed():
    async def hello(_request):
        return PlainTextResponse("hello")

    listener = Listener(
        name="t", host="127.0.0.1", port=0, app=Starlette(routes=[Route("/", hello)])
    )
    stop, ready = asyncio.Event(), asyncio.Event()
    task = asyncio.create_task(serve([listener], stop, ready))
    await asyncio.wait_for(ready.wait(), 10)
    port = listener.bound_port

    def ten_requests() -> float:
        with socket.create_connection(("127.0.0.1", port)) as client:
            start = time.perf_counter()
            for _ in range(10):
                client.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                got = b""
                while not got.endswith(b"hello"):
                    got += client.recv(65536)
            return time.perf_counter() - start

    try:
        assert await asyncio.to_thread(ten_requests) < 0.3  # 10 x 40 ms would be 0.4 s
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)
