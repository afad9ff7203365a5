"""The running tracker: its store, UDP sockets, HTTP and admin listeners, background loops."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette

from torrentstack.clock import Clock
from torrentstack.config import TrackerSettings
from torrentstack.serving.health import with_healthz
from torrentstack.serving.server import Listener, ListenError, bind_listener, url_host
from torrentstack.tracker import native
from torrentstack.tracker.admin_api import AdminApi
from torrentstack.tracker.completed import CompletedCounts
from torrentstack.tracker.http import TrackerHttpApp
from torrentstack.tracker.memory_store import MemorySwarmStore
from torrentstack.tracker.policy import Registry
from torrentstack.tracker.redis_store import open_redis_store
from torrentstack.tracker.repository import add_completed
from torrentstack.tracker.service import Tracker
from torrentstack.tracker.store import SwarmStore
from torrentstack.tracker.swarm import Swarm
from torrentstack.tracker.udp import UdpTracker, bind_udp, serve_udp

logger = logging.getLogger(__name__)


class TrackerRuntime:
    """The tracker service: its swarm store, UDP sockets, HTTP and admin listeners, loops."""

    name = "tracker"

    def __init__(
        self,
        settings: TrackerSettings,
        *,
        engine: AsyncEngine,
        registry: Registry,
        clock: Clock,
        api_tokens: Sequence[str],
        store: SwarmStore | None = None,
        redis_url: str = "",
        access_log: bool = False,
    ) -> None:
        completed = CompletedCounts(lambda batch: add_completed(engine, batch))
        self.tracker = Tracker(
            settings,
            engine=engine,
            store=store if store is not None else _memory_store(settings, completed),
            completed=completed,
            registry=registry,
            clock=clock,
        )
        self.redis_url = redis_url
        self.settings = settings
        self.api_tokens = list(api_tokens)
        self.access_log = access_log
        self.udp_sockets: list[socket.socket] = []
        self._closed = False

    async def start(self, health: Starlette) -> list[Listener]:
        """Load durable state, bind UDP, and return the HTTP and admin listeners."""
        if self.redis_url:  # several processes share one swarm
            self.tracker.store = await open_redis_store(self.redis_url, self.tracker.completed.get)
            logger.info("tracker: swarm kept in Redis")
        await self.tracker.load()
        settings = self.settings
        port = settings.port
        if settings.udp:
            self.udp_sockets = _bind_udp_with_free_tcp(settings.host, port)
            port = self.udp_sockets[0].getsockname()[1]  # HTTP shares the UDP port
            for sock in self.udp_sockets:
                host, bound = sock.getsockname()[:2]
                logger.info("tracker listening on udp://%s:%d", url_host(host), bound)
        return [
            Listener(
                name="tracker",
                host=settings.host,
                port=port,
                app=TrackerHttpApp(self.tracker, health),
                access_log=self.access_log,
                http1=True,
            ),
            Listener(
                name="tracker-api",
                host=settings.api_host,
                port=settings.api_port,
                app=with_healthz(AdminApi(self.tracker, self.api_tokens).app(), health),
                access_log=self.access_log,
            ),
        ]

    async def run(self, stop: asyncio.Event) -> None:
        """Serve UDP and run the background loops until `stop`; then save what is pending."""
        try:
            async with asyncio.TaskGroup() as group:
                if self.udp_sockets:
                    group.create_task(
                        serve_udp(UdpTracker(self.tracker), self.udp_sockets, stop),
                        name="tracker-udp",
                    )
                group.create_task(self.tracker.run_background(stop), name="tracker-background")
        finally:
            await self.close()

    async def close(self) -> None:
        """Close the UDP sockets and the swarm store (once; also after a failed start)."""
        if self._closed:
            return
        self._closed = True
        for sock in self.udp_sockets:
            sock.close()
        await self.tracker.store.close()


_PORT_TRIES = 20


def _bind_udp_with_free_tcp(host: str, port: int) -> list[socket.socket]:
    """Bind UDP; with port 0, retry until the kernel's UDP port is also free for TCP.

    HTTP shares the UDP port number, and a port the kernel picked for UDP may be in use on TCP
    (say, as the local end of a database connection): then bind again rather than fail later.
    """
    for _ in range(_PORT_TRIES if port == 0 else 1):
        try:
            sockets = bind_udp(host, port)
        except OSError as exc:
            raise ListenError("tracker (UDP)", host, port, exc.strerror) from exc
        if port != 0:
            return sockets
        try:
            for sock in bind_listener(host, sockets[0].getsockname()[1]):
                sock.close()
        except OSError:
            for sock in sockets:
                sock.close()
            continue
        return sockets
    raise ListenError("tracker", host, port, "no port free for both UDP and TCP")


def _memory_store(settings: TrackerSettings, completed: CompletedCounts) -> MemorySwarmStore:
    """Swarms in this process: compiled when built and wanted (`tracker.compiled`)."""
    make_swarm = native.make_swarm if settings.compiled else Swarm
    return MemorySwarmStore(completed.get, make_swarm=make_swarm)
