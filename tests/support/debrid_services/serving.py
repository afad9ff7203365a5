"""Serve a fake service's Starlette app on 127.0.0.1 (a free port), put its `front` before
every request, and serve ranged file bodies."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from torrentstack.serving.server import Listener, serve


@contextlib.asynccontextmanager
async def serve_app(app: Starlette, name: str = "fake-service") -> AsyncIterator[int]:
    """Run `app` until the block ends; yields its port."""
    listener = Listener(name=name, host="127.0.0.1", port=0, app=app)
    stop, ready = asyncio.Event(), asyncio.Event()
    task = asyncio.create_task(serve([listener], stop, ready))
    try:
        waiter = asyncio.create_task(ready.wait())
        done, _ = await asyncio.wait({task, waiter}, timeout=10, return_when="FIRST_COMPLETED")
        if task in done:
            waiter.cancel()
            task.result()
        assert listener.bound_port is not None
        yield listener.bound_port
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)


FrontDoor = Callable[[Scope, Receive, Send, ASGIApp], Awaitable[None]]


class Front:
    """Middleware: every HTTP request goes through `front(scope, receive, send, app)` first
    (`Middleware(Front, front=fake.front)`), which answers it or passes it to `app`."""

    def __init__(self, app: ASGIApp, front: FrontDoor) -> None:
        self.app = app
        self.front = front

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await self.front(scope, receive, send, self.app)


def ranged(request: Request, body: bytes, media_type: str = "application/octet-stream") -> Response:
    """`body` whole (200) or the one `Range: bytes=a-b` asked for (206; 416 past the end)."""
    headers = {"Accept-Ranges": "bytes"}
    spec = request.headers.get("range", "")
    if not spec.startswith("bytes="):
        return Response(body, media_type=media_type, headers=headers)
    first, _, last = spec[6:].partition("-")
    size = len(body)
    if first == "":
        start, end = max(0, size - int(last)), size - 1
    else:
        start, end = int(first), min(int(last), size - 1) if last else size - 1
    if start >= size or start > end:
        return Response(status_code=416, headers={"Content-Range": f"bytes */{size}"})
    headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    return Response(body[start : end + 1], 206, media_type=media_type, headers=headers)
