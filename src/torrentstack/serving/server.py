"""Serve ASGI apps on pre-bound sockets in the one event loop, with readiness and clean stop.

Signals are handled by the caller (one stop event for all listeners), not by uvicorn. Every
listener keeps the `limits` (connection cap from a shared descriptor budget, head size,
timeouts); the default host `0.0.0.0` serves IPv6 too, on a second socket of the same port.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import math
import socket
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import uvicorn
from starlette.types import ASGIApp

from torrentstack.errors import TorrentstackError
from torrentstack.serving.guarded import guarded_protocol
from torrentstack.serving.http1 import serve_http1
from torrentstack.serving.limits import Gate, Limits, connection_caps

logger = logging.getLogger(__name__)


class ListenError(TorrentstackError):
    """A listener could not bind its address (in use, no permission, unknown host)."""

    def __init__(self, name: str, host: str, port: int, reason: str | None) -> None:
        self.name, self.host, self.port = name, host, port
        super().__init__(f"{name}: cannot listen on {host}:{port}: {reason or 'unknown error'}")


@dataclass(slots=True)
class Listener:
    """One HTTP listener: a name for the logs, an address and the app it serves."""

    name: str
    host: str
    port: int
    app: ASGIApp
    access_log: bool = False
    # Serve with the small HTTP/1.1 server of `http1.py` instead of uvicorn (hot paths only).
    http1: bool = False
    bound_port: int | None = field(default=None, init=False)
    gate: Gate | None = field(default=None, init=False)


ALL_IPV4 = "0.0.0.0"  # noqa: S104 - the all-addresses default, served on IPv6 as well
_PORT_TRIES = 20


def bind_listener(host: str, port: int) -> list[socket.socket]:
    """Bind a listener's sockets: `0.0.0.0` also gets an IPv6-only `::` one on the same port.

    With port 0 the kernel's pick for IPv4 may be taken on IPv6: then pick again. A machine
    without IPv6 serves IPv4 alone.
    """
    for _ in range(_PORT_TRIES if port == 0 else 1):
        first = bind_tcp(host, port)
        if host != ALL_IPV4 or not socket.has_ipv6:
            return [first]
        try:
            second = bind_tcp("::", first.getsockname()[1], v6only=True)
        except OSError as exc:
            if exc.errno in (errno.EAFNOSUPPORT, errno.EADDRNOTAVAIL, errno.EPROTONOSUPPORT):
                logger.warning("no IPv6 for %s:%d: %s", host, port, exc.strerror)
                return [first]
            first.close()
            if port == 0 and exc.errno == errno.EADDRINUSE:
                continue
            raise
        return [first, second]
    raise OSError(errno.EADDRINUSE, "no port free on both IPv4 and IPv6")


def bind_tcp(host: str, port: int, *, v6only: bool = False) -> socket.socket:
    """Bind and listen on host:port (IPv6 when the host has a colon); port 0 picks one."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto IPPROTO_TCP (not 0): asyncio sets TCP_NODELAY only on sockets that say they are
    # TCP; accepted sockets also inherit the listener's TCP_NODELAY on Linux. Without it a
    # keep-alive client waits for a delayed ACK (~40 ms) on every reply written in two parts.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, int(v6only))
        sock.bind((host, port))
        sock.listen(2048)
        sock.setblocking(False)
    except OSError:
        sock.close()
        raise
    return sock


class _Server(uvicorn.Server):
    """A uvicorn server that leaves signals to its owner and reports when it accepts."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.ready = asyncio.Event()

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        self.ready.set()


def _uvicorn_config(listener: Listener, gate: Gate, limits: Limits) -> uvicorn.Config:
    return uvicorn.Config(
        listener.app,
        http=guarded_protocol(gate, limits),
        timeout_keep_alive=math.ceil(limits.keep_alive_timeout),
        log_config=None,
        access_log=listener.access_log,
        lifespan="on",
        proxy_headers=False,  # X-Forwarded-For is trusted only where a service is told to
        server_header=False,
        timeout_graceful_shutdown=5,
    )


async def serve(
    listeners: Sequence[Listener],
    stop: asyncio.Event,
    ready: asyncio.Event | None = None,
    *,
    limits: Limits | None = None,
    max_connections: int = 1024,
    fd_reserve: int = 256,
) -> None:
    """Serve every listener until `stop` is set; set `ready` once all of them accept."""
    limits = limits if limits is not None else Limits()
    caps = connection_caps([x.name for x in listeners], max_connections, fd_reserve)
    bound: list[list[socket.socket]] = []
    for listener in listeners:
        try:
            sockets = bind_listener(listener.host, listener.port)
        except OSError as exc:
            for earlier in bound:
                for sock in earlier:
                    sock.close()
            raise ListenError(listener.name, listener.host, listener.port, exc.strerror) from exc
        bound.append(sockets)
        listener.bound_port = sockets[0].getsockname()[1]
        listener.gate = Gate(listener.name, caps[listener.name])
    servers: list[_Server] = []
    http1_ready: list[asyncio.Event] = []
    async with asyncio.TaskGroup() as group:
        for sockets, listener in zip(bound, listeners, strict=True):
            gate = listener.gate
            assert gate is not None  # noqa: S101 - set above
            if listener.http1:
                event = asyncio.Event()
                http1_ready.append(event)
                task = serve_http1(listener.app, sockets, stop, event, limits, gate)
            else:
                server = _Server(_uvicorn_config(listener, gate, limits))
                servers.append(server)
                task = server.serve(sockets=sockets)
            group.create_task(task, name=f"serve-{listener.name}")
        stopping = group.create_task(stop.wait())
        all_ready = group.create_task(_wait_all(servers, http1_ready))
        await asyncio.wait({stopping, all_ready}, return_when=asyncio.FIRST_COMPLETED)
        if all_ready.done():
            for listener, sockets in zip(listeners, bound, strict=True):
                addresses = ", ".join(
                    f"http://{url_host(sock.getsockname()[0])}:{listener.bound_port}"
                    for sock in sockets
                )
                logger.info("%s listening on %s", listener.name, addresses)
            logger.info(
                "ready: %s",
                ", ".join(f"{x.name} on port {x.bound_port}" for x in listeners),
            )
            if ready is not None:
                ready.set()
        await stopping
        all_ready.cancel()
        for server in servers:
            server.should_exit = True
    for sockets in bound:
        for sock in sockets:
            sock.close()


async def _wait_all(servers: Sequence[_Server], events: Sequence[asyncio.Event]) -> None:
    for server in servers:
        await server.ready.wait()
    for event in events:
        await event.wait()


def url_host(host: str) -> str:
    """`host` as it stands in a URL (IPv6 in brackets)."""
    return f"[{host}]" if ":" in host else host
