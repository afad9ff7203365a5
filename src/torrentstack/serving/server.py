"""Serve ASGI apps on pre-bound sockets in the one event loop, with readiness and clean stop.

Signals are handled by the caller (one stop event for all listeners), not by uvicorn. Every
listener keeps the `limits` (connection cap from a shared descriptor budget, head size,
timeouts); the default host `0.0.0.0` serves IPv6 too, on a second socket of the same port. A
uvicorn listener can be moved while it serves (`Listener.move`: address, port, TLS).
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import math
import socket
import ssl
from collections.abc import Awaitable, Callable, Iterator, Sequence
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


class TlsError(TorrentstackError):
    """A listener's certificate or key could not be loaded."""


@dataclass(frozen=True, slots=True)
class Tls:
    """A listener's certificate chain and private key (PEM files)."""

    certfile: str
    keyfile: str


def tls_context(tls: Tls) -> ssl.SSLContext:
    """A server context for `tls` (blocking: it reads the files); TlsError when unusable."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    try:
        context.load_cert_chain(tls.certfile, tls.keyfile)
    except (OSError, ssl.SSLError) as exc:
        reason = getattr(exc, "strerror", None) or getattr(exc, "reason", None) or str(exc)
        raise TlsError(
            f"cannot use certificate {tls.certfile} / key {tls.keyfile}: {reason}"
        ) from exc
    return context


Mover = Callable[[str, int, Tls | None], Awaitable[None]]


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
    tls: Tls | None = None  # uvicorn listeners only
    bound_port: int | None = field(default=None, init=False)
    gate: Gate | None = field(default=None, init=False)
    mover: Mover | None = field(default=None, init=False, repr=False)

    async def move(self, host: str, port: int, tls: Tls | None = None) -> None:
        """Serve on host:port (over TLS with `tls`) from now on; the connection cap stays.

        Returns once the new sockets accept; the old server finishes its open requests. The
        same host and port keep their sockets (only TLS changes). ListenError or TlsError: the
        listener goes on as it was.
        """
        if self.mover is None:
            raise RuntimeError(f"{self.name} is not being served by uvicorn")
        await self.mover(host, port, tls)


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
    events: list[asyncio.Event] = []
    async with asyncio.TaskGroup() as group:
        for sockets, listener in zip(bound, listeners, strict=True):
            gate = listener.gate
            assert gate is not None  # noqa: S101 - set above
            event = asyncio.Event()
            events.append(event)
            if listener.http1:
                task = serve_http1(listener.app, sockets, stop, event, limits, gate)
            else:
                task = _Movable(listener, gate, limits).run(sockets, stop, event)
            group.create_task(task, name=f"serve-{listener.name}")
        stopping = group.create_task(stop.wait())
        all_ready = group.create_task(_wait_all(events))
        await asyncio.wait({stopping, all_ready}, return_when=asyncio.FIRST_COMPLETED)
        if all_ready.done():
            for listener, sockets in zip(listeners, bound, strict=True):
                _log_addresses(listener, sockets)
            logger.info(
                "ready: %s",
                ", ".join(f"{x.name} on port {x.bound_port}" for x in listeners),
            )
            if ready is not None:
                ready.set()
        await stopping
        all_ready.cancel()
    for sockets in bound:
        for sock in sockets:
            sock.close()


async def _wait_all(events: Sequence[asyncio.Event]) -> None:
    for event in events:
        await event.wait()


def _log_addresses(listener: Listener, sockets: Sequence[socket.socket]) -> None:
    scheme = "https" if listener.tls is not None else "http"
    addresses = ", ".join(
        f"{scheme}://{url_host(sock.getsockname()[0])}:{listener.bound_port}" for sock in sockets
    )
    logger.info("%s listening on %s", listener.name, addresses)


class _Movable:
    """A uvicorn listener's servers: the one accepting, and those a move left finishing."""

    def __init__(self, listener: Listener, gate: Gate, limits: Limits) -> None:
        self.listener, self.gate, self.limits = listener, gate, limits
        self.current: _Server | None = None
        self.sockets: list[socket.socket] = []
        self.tasks: list[asyncio.Task[None]] = []
        self.lock = asyncio.Lock()

    async def run(
        self, sockets: list[socket.socket], stop: asyncio.Event, ready: asyncio.Event
    ) -> None:
        tls = self.listener.tls
        context = await asyncio.to_thread(tls_context, tls) if tls is not None else None
        try:
            await self._start(sockets, context)
            ready.set()
            self.listener.mover = self.move
            await stop.wait()
        finally:
            self.listener.mover = None
            if self.current is not None:
                self.current.should_exit = True
            await asyncio.gather(*self.tasks)

    async def move(self, host: str, port: int, tls: Tls | None) -> None:
        listener = self.listener
        async with self.lock:
            context = await asyncio.to_thread(tls_context, tls) if tls is not None else None
            if port != 0 and (host, port) == (listener.host, listener.bound_port):
                sockets = [sock.dup() for sock in self.sockets]  # the old server closes its own
            else:
                try:
                    sockets = bind_listener(host, port)
                except OSError as exc:
                    raise ListenError(listener.name, host, port, exc.strerror) from exc
            try:
                await self._start(sockets, context)
            except BaseException:
                for sock in sockets:
                    sock.close()
                raise
            listener.host, listener.port, listener.tls = host, port, tls
            listener.bound_port = sockets[0].getsockname()[1]
            _log_addresses(listener, sockets)

    async def _start(self, sockets: list[socket.socket], context: ssl.SSLContext | None) -> None:
        """Serve on `sockets`; once they accept, the previous server stops."""
        config = _uvicorn_config(self.listener, self.gate, self.limits)
        config.load()
        config.ssl = context
        server = _Server(config)
        task = asyncio.create_task(
            server.serve(sockets=sockets), name=f"serve-{self.listener.name}"
        )
        self.tasks = [t for t in self.tasks if not t.done()] + [task]
        started = asyncio.create_task(server.ready.wait())
        await asyncio.wait({task, started}, return_when=asyncio.FIRST_COMPLETED)
        if not started.done():
            started.cancel()
            task.result()  # the failure that stopped it
            raise ListenError(self.listener.name, self.listener.host, self.listener.port, "stopped")
        previous, self.current, self.sockets = self.current, server, sockets
        if previous is not None:
            for accepting in previous.servers:
                accepting.close()  # accepts no more at once; its open requests finish
            previous.should_exit = True


def url_host(host: str) -> str:
    """`host` as it stands in a URL (IPv6 in brackets)."""
    return f"[{host}]" if ":" in host else host
