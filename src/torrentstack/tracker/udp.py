"""The UDP tracker front end (BEP 15, BEP 41 for keys): datagram endpoints over `Tracker`.

Datagrams are queued by the protocol callback and answered by one worker coroutine, so a burst
costs no task per packet. Packets whose connection id does not check out are dropped unanswered
(no amplification, no peer-list poisoning); so are packets that cannot be parsed far enough.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import operator
import socket
import typing
from typing import TYPE_CHECKING, Any

from torrentstack.bittorrent.announce import EndpointError, pack_endpoint
from torrentstack.bittorrent.tracker_udp import (
    ConnectRequest,
    UdpAnnounce,
    UdpPacketError,
    encode_announce,
    encode_connect,
    encode_error,
    encode_scrape,
    parse_request,
)
from torrentstack.tracker import native
from torrentstack.tracker.connection_id import ConnectionIds
from torrentstack.tracker.memory_store import MemorySwarmStore
from torrentstack.tracker.service import Rejected, Tracker
from torrentstack.tracker.udp_batch import BatchSocket, endpoint_of

if TYPE_CHECKING:
    from torrentstack.tracker._swarmcore import UdpFastPath

logger = logging.getLogger(__name__)

_ENDPOINT = operator.attrgetter("endpoint")
MAX_QUEUE = 20_000  # datagrams waiting for the worker; beyond this they are dropped
FLUSH_EVERY = 16  # replies sent per sendmmsg while a received batch is still being answered


def key_from_url_data(url_data: bytes) -> str | None:
    """Return the key a BEP 41 URL path carries: `/announce/KEY` or `/KEY` (query ignored)."""
    path = url_data.split(b"?", 1)[0].strip(b"/")
    if not path:
        return None
    parts = path.split(b"/")
    if parts[0] == b"announce":
        parts = parts[1:]
    if len(parts) != 1 or not parts[0]:
        return None
    try:
        return parts[0].decode("ascii")
    except UnicodeDecodeError:
        return None


class UdpTracker:
    """Answers BEP 15 requests for one `Tracker`; `handle` is the pure-ish core, used by tests."""

    def __init__(self, tracker: Tracker, connection_ids: ConnectionIds | None = None) -> None:
        self.tracker = tracker
        self.connection_ids = connection_ids or ConnectionIds()
        self.dropped = 0
        self.failed = 0  # datagrams whose answer raised (a bug): dropped, the server goes on

    def fast_path(self) -> UdpFastPath | None:
        """The compiled fast path over this tracker's state, or None where it cannot serve.

        It needs the compiled module with recvmmsg, a memory store of compiled swarms, and a
        public or listed tracker (private modes check keys and report transfers in Python).
        """
        tracker = self.tracker
        store = tracker.store
        core = native.core
        settings = tracker.settings
        if (
            core is None
            or not core.HAVE_MMSG
            # the fast path's reply buffers; beyond them (never sensible) Python answers
            or max(settings.numwant_default, settings.numwant_max) > core.MAX_NUMWANT
            or tracker.policy.mode.private
            or not isinstance(store, MemorySwarmStore)
            or store.table.make_swarm is not native.make_swarm
        ):
            return None
        fast: UdpFastPath = core.UdpFastPath(
            store.table.swarms,
            store.table.aliases,
            self.connection_ids.checked,
            store.completed_lookup,
            tracker.completed.get,
            tracker.completed.increment,
            interval=settings.announce_interval,
            numwant_default=settings.numwant_default,
            numwant_max=settings.numwant_max,
            max_scrape=settings.max_scrape_torrents,
        )
        return fast

    def whitelist(self) -> set[bytes] | None:
        """What the fast path checks hashes against: the whitelist in listed mode, else None."""
        policy = self.tracker.policy
        return policy.whitelist if policy.mode.listed else None

    def unhandled(self, exc: Exception) -> None:
        """Count and log a datagram whose answer raised; it goes unanswered."""
        self.failed += 1
        logger.error("udp: unhandled error answering a datagram", exc_info=exc)

    async def handle(self, data: bytes, address: bytes) -> bytes | None:
        """Answer one datagram from `address` (packed IP + port); None means drop it."""
        tracker = self.tracker
        transport = "udp4" if len(address) == 6 else "udp6"
        now = tracker.clock()
        try:
            request = parse_request(data)
        except UdpPacketError as exc:
            if (
                exc.sendable
                and exc.connection_id is not None
                and exc.transaction_id is not None
                and self.connection_ids.valid(exc.connection_id, address, now)
            ):
                return encode_error(exc.transaction_id, str(exc))
            self.dropped += 1
            return None
        if isinstance(request, ConnectRequest):
            tracker.counters.count(transport, "connections")
            return encode_connect(request.transaction_id, self.connection_ids.issue(address, now))
        if not self.connection_ids.valid(request.connection_id, address, now):
            self.dropped += 1
            return None
        if isinstance(request, UdpAnnounce):
            tracker.counters.count(transport, "announces")
            announce = request.announce
            endpoint = address[:-2] + announce.port.to_bytes(2, "big")
            result = await tracker.announce(
                announce,
                endpoint=endpoint,
                key=key_from_url_data(request.url_data),
                both_families=False,
            )
            if isinstance(result, Rejected):
                return encode_error(request.transaction_id, result.reason)
            return encode_announce(
                request.transaction_id,
                interval=result.interval,
                leechers=result.incomplete,
                seeders=result.complete,
                endpoints=list(map(_ENDPOINT, result.peers)),
            )
        tracker.counters.count(transport, "scrapes")
        # BEP 41 options exist only on announce: a private scrape over UDP sees zeros (Torrust).
        rows = await tracker.scrape(request.info_hashes, None)
        return encode_scrape(
            request.transaction_id,
            [(complete, downloaded, incomplete) for _, complete, downloaded, incomplete in rows],
        )


class _Protocol(asyncio.DatagramProtocol):
    def __init__(self, server: UdpTracker) -> None:
        self.server = server
        self.queue: collections.deque[tuple[bytes, Any]] = collections.deque()
        self.wakeup = asyncio.Event()
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's UDP transport does not subclass asyncio.DatagramTransport, but behaves as one.
        self.transport = typing.cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: Any) -> None:
        if len(self.queue) >= MAX_QUEUE:
            self.server.dropped += 1
            return
        self.queue.append((data, addr))
        self.wakeup.set()

    def error_received(self, exc: Exception) -> None:
        logger.debug("udp socket error: %s", exc)

    async def work(self) -> None:
        queue = self.queue
        handle = self.server.handle
        while True:
            await self.wakeup.wait()
            self.wakeup.clear()
            transport = self.transport
            while queue and transport is not None:
                data, addr = queue.popleft()
                try:
                    address = pack_endpoint(addr[0], addr[1])
                except EndpointError:
                    continue
                try:
                    reply = await handle(data, address)
                except Exception as exc:  # one datagram lost, not the UDP server
                    self.server.unhandled(exc)
                    continue
                if reply is not None:
                    transport.sendto(reply, addr)


def bind_udp(host: str, port: int) -> list[socket.socket]:
    """Bind the UDP socket(s): `0.0.0.0` also gets an IPv6-only `::` socket on the same port."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    first = _udp_socket(family, host, port, v6only=False)
    sockets = [first]
    if host == "0.0.0.0" and socket.has_ipv6:  # noqa: S104 - the all-addresses default
        try:
            sockets.append(_udp_socket(socket.AF_INET6, "::", first.getsockname()[1], v6only=True))
        except OSError as exc:
            logger.warning("tracker: no IPv6 UDP socket: %s", exc.strerror)
    return sockets


def _udp_socket(family: int, host: str, port: int, *, v6only: bool) -> socket.socket:
    sock = socket.socket(family, socket.SOCK_DGRAM)
    try:
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, int(v6only))
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
        sock.bind((host, port))
        sock.setblocking(False)
    except OSError:
        sock.close()
        raise
    return sock


async def serve_udp(server: UdpTracker, sockets: list[socket.socket], stop: asyncio.Event) -> None:
    """Answer datagrams on `sockets` until `stop` is set (batched where the platform allows)."""
    if BatchSocket.available():
        async with asyncio.TaskGroup() as group:
            for sock in sockets:
                group.create_task(_serve_batched(server, BatchSocket(sock), stop))
        return
    loop = asyncio.get_running_loop()
    transports: list[asyncio.DatagramTransport] = []
    try:
        async with asyncio.TaskGroup() as group:
            workers = []
            for sock in sockets:
                transport, protocol = await loop.create_datagram_endpoint(
                    lambda: _Protocol(server), sock=sock
                )
                transports.append(transport)
                workers.append(group.create_task(protocol.work(), name="tracker-udp"))
            await stop.wait()
            for worker in workers:
                worker.cancel()
    finally:
        for transport in transports:
            transport.close()


async def _serve_batched(server: UdpTracker, batch: BatchSocket, stop: asyncio.Event) -> None:
    """Read batches while datagrams wait; sleep on the event loop's reader when none do.

    With the compiled fast path, C reads, answers and sends what it can; the rest (connects,
    first use of a connection id, errors, refusals) comes back here for `handle`.
    """
    loop = asyncio.get_running_loop()
    readable = asyncio.Event()
    loop.add_reader(batch.fd, readable.set)

    async def wake_on_stop() -> None:
        await stop.wait()
        readable.set()

    watcher = asyncio.ensure_future(wake_on_stop())
    fast = server.fast_path()
    tracker = server.tracker
    count = tracker.counters.count
    try:
        while not stop.is_set():
            if fast is not None:
                waiting, received, handled = fast.serve(
                    batch.fd, tracker.clock(), server.whitelist()
                )
                for n, (transport, kind) in zip(handled, _FAST_COUNTERS, strict=True):
                    if n:
                        count(transport, kind, n)
            else:
                received = batch.receive()
                waiting = len(received)
            if not waiting:
                readable.clear()
                await readable.wait()
                continue
            if received:
                await _answer(server, batch, received)
            await asyncio.sleep(0)  # let the rest of the process run between batches
    finally:
        loop.remove_reader(batch.fd)
        watcher.cancel()


_FAST_COUNTERS = (
    ("udp4", "announces"),
    ("udp6", "announces"),
    ("udp4", "scrapes"),
    ("udp6", "scrapes"),
)


async def _answer(
    server: UdpTracker, batch: BatchSocket, received: list[tuple[bytes, bytes]]
) -> None:
    """Answer (datagram, raw sockaddr) pairs through `UdpTracker.handle` and send the replies."""
    handle = server.handle
    replies = []
    for data, name in received:
        address = endpoint_of(name)
        if address is None:
            continue
        try:
            reply = await handle(data, address)
        except Exception as exc:  # one datagram lost, not the UDP server (and the process)
            server.unhandled(exc)
            continue
        if reply is not None:
            replies.append((reply, name))
            if len(replies) == FLUSH_EVERY:  # answer early: the client waits on these
                batch.send(replies)
                replies = []
    if replies:
        batch.send(replies)
