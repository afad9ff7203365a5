"""A short probe of the tracker behind the announce URLs: an HTTP request to the announce path
(any HTTP answer is up: a bare announce gets a bencoded failure) and a BEP 15 connect over UDP.

Targets come only from the operator's settings, or loopback at the tracker's port when no HTTP
URL is set: never from a request (the Host header), so the probe cannot be aimed elsewhere.
Each probe is bounded by `TIMEOUT`; results are kept `TTL` seconds, so anonymous callers of
the health route cannot make the site probe more often than that.
"""

from __future__ import annotations

import asyncio
import secrets
import struct
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from torrentstack.bittorrent.tracker_udp import PROTOCOL_ID, Action

TIMEOUT = 1.0  # seconds, per probe
TTL = timedelta(seconds=10)
_CONNECT = struct.Struct(">QII")  # BEP 15 connect request: magic, action, transaction id
_REPLY = struct.Struct(">II")  # a reply starts with action, transaction id
_DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True, slots=True)
class Target:
    scheme: str  # http, https or udp
    host: str
    port: int
    path: str = "/"


def http_target(configured: str, tracker_port: int) -> Target | None:
    """Where to probe HTTP: the configured URL, or loopback at the tracker's port."""
    if not configured:
        return Target("http", "127.0.0.1", tracker_port, "/announce")
    try:
        parts = urlsplit(configured)
        port = parts.port or _DEFAULT_PORTS.get(parts.scheme)
    except ValueError:
        return None
    if parts.scheme not in _DEFAULT_PORTS or not parts.hostname or port is None:
        return None
    return Target(parts.scheme, parts.hostname, port, parts.path or "/")


def udp_target(configured: str) -> Target | None:
    """Where to probe UDP: the configured udp:// URL (None when there is none)."""
    try:
        parts = urlsplit(configured)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme != "udp" or not parts.hostname or port is None:
        return None
    return Target("udp", parts.hostname, port)


async def probe_http(target: Target, within: float = TIMEOUT) -> bool:
    """Whether an HTTP(S) server answers at the announce path in `within` seconds."""
    host = f"[{target.host}]" if ":" in target.host else target.host
    request = f"GET {target.path} HTTP/1.0\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    try:
        async with asyncio.timeout(within):
            reader, writer = await asyncio.open_connection(
                target.host, target.port, ssl=True if target.scheme == "https" else None
            )
            try:
                writer.write(request.encode("ascii", "replace"))
                await writer.drain()
                line = await reader.readline()
            finally:
                writer.close()
    except (OSError, TimeoutError, ValueError):
        return False
    return line.startswith(b"HTTP/")


class _Reply(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.received: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()

    def datagram_received(self, data: bytes, addr: object) -> None:
        if not self.received.done():
            self.received.set_result(data)

    def error_received(self, exc: Exception) -> None:
        if not self.received.done():
            self.received.set_exception(exc)


async def probe_udp(target: Target, within: float = TIMEOUT) -> bool:
    """Whether a BEP 15 tracker answers a connect request in `within` seconds."""
    loop = asyncio.get_running_loop()
    transaction = secrets.randbits(32)
    transport: asyncio.DatagramTransport | None = None
    try:
        async with asyncio.timeout(within):
            transport, protocol = await loop.create_datagram_endpoint(
                _Reply, remote_addr=(target.host, target.port)
            )
            transport.sendto(_CONNECT.pack(PROTOCOL_ID, Action.CONNECT, transaction))
            reply = await protocol.received
    except (OSError, TimeoutError):
        return False
    finally:
        if transport is not None:
            transport.close()
    return len(reply) >= 16 and _REPLY.unpack_from(reply) == (Action.CONNECT, transaction)


@dataclass(frozen=True, slots=True)
class ProbeResult:
    http: bool | None
    udp: bool | None
    checked_at: datetime


class TrackerProbe:
    """Probes of one site's tracker, each result kept `TTL` (one probe at a time)."""

    def __init__(self, http: Target | None, udp: Target | None) -> None:
        self.http, self.udp = http, udp
        self._lock = asyncio.Lock()
        self._last: ProbeResult | None = None

    async def result(self, now: datetime) -> ProbeResult:
        """The latest result, probing again when it is older than `TTL`."""
        async with self._lock:
            last = self._last
            if last is not None and now - last.checked_at < TTL:
                return last
            http, udp = await asyncio.gather(
                _maybe(probe_http, self.http), _maybe(probe_udp, self.udp)
            )
            self._last = ProbeResult(http, udp, now)
            return self._last


async def _maybe(probe: Callable[[Target], Awaitable[bool]], target: Target | None) -> bool | None:
    return None if target is None else await probe(target)
