"""The whole stack run in-process by `app.run` for the end-to-end load tests, yielding the port
each listener bound (by name) once every service is ready."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from torrentstack import app
from torrentstack.config import Settings


@contextlib.asynccontextmanager
async def stack(settings: Settings) -> AsyncIterator[dict[str, int]]:
    stop, ready = asyncio.Event(), asyncio.Event()
    seen: list = []
    original = app.serve

    async def capture(found, stop_event, ready_event, **limits):
        seen.extend(found)
        await original(found, stop_event, ready_event, **limits)

    app.serve = capture  # type: ignore[assignment]
    try:
        task = asyncio.create_task(app.run(settings, stop=stop, ready=ready))
        waiter = asyncio.create_task(ready.wait())
        done, _ = await asyncio.wait({task, waiter}, timeout=60, return_when="FIRST_COMPLETED")
        if task in done:
            waiter.cancel()
            task.result()
        yield {listener.name: listener.bound_port for listener in seen}
        stop.set()
        await asyncio.wait_for(task, 60)
    finally:
        app.serve = original  # type: ignore[assignment]
