"""The `Service` protocol: what the composition root needs from each service it runs."""

from __future__ import annotations

import asyncio
from typing import Protocol

from starlette.applications import Starlette

from torrentstack.serving.server import Listener


class Service(Protocol):
    """A service of the stack (tracker, client ...), started and stopped by `app.run`.

    `start` loads what the service keeps, opens what is not HTTP (UDP sockets, the engine) and
    returns its HTTP listeners, each serving `health`'s `/healthz` beside its own routes; `run`
    does the background work until `stop`; `close` releases whatever `start` took, and is called
    once whatever failed (after a failed or partial `start` too), so it must tolerate that.
    """

    name: str

    async def start(self, health: Starlette) -> list[Listener]: ...

    async def run(self, stop: asyncio.Event) -> None: ...

    async def close(self) -> None: ...
