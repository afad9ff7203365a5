"""BEP 15 over UDP: connect, announce, scrape, errors, BEP 41 keys, and one real socket."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import struct

import pytest

from tests.support.wire import HASH_A, HASH_B, announce_packet, connect_packet, url_data
from tests.tracker.batch_udp import require_batch_udp
from tests.tracker.native_swarm import compiled_core
from torrentstack.bittorrent.announce import pack_endpoint
from torrentstack.tracker.policy import AuthKey
from torrentstack.tracker.udp import UdpTracker, key_from_url_data, serve_udp
from torrentstack.tracker.udp_batch import BatchSocket

pytestmark = pytest.mark.database

CLIENT = pack_endpoint("10.0.0.1", 50000)
KEY = "UdpKey0123456789abcdefghijklmnop"


async def connected(udp: UdpTracker, address: bytes = CLIENT) -> int:
    reply = await udp.handle(connect_packet(7), address)
    assert reply is not None
    action, txid, cid = struct.unpack(">IIQ", reply)
    assert (action, txid) == (0, 7)
    return int(cid)


@pytest.fixture
async def udp(make_runtime):
    async def make(**settings) -> UdpTracker:
        return UdpTracker((await make_runtime(**settings)).tracker)

    return make


async def test_connect_announce_scrape(udp):
    server = await udp()
    seeder = pack_endpoint("10.0.0.2", 40000)
    await server.handle(announce_packet(await connected(server, seeder), n=2, left=0), seeder)
    cid = await connected(server)
    reply = await server.handle(announce_packet(cid, event=2, port=7000), CLIENT)
    assert reply is not None
    action, txid, interval, leechers, seeders = struct.unpack(">IIIII", reply[:20])
    assert (action, txid, interval, leechers, seeders) == (1, 2, 120, 1, 1)
    assert reply[20:] == pack_endpoint("10.0.0.2", 6881)  # the port it announced, not its socket's
    scrape = await server.handle(struct.pack(">QII20s20s", cid, 2, 3, HASH_A, HASH_B), CLIENT)
    assert scrape == struct.pack(">II", 2, 3) + struct.pack(">III", 1, 0, 1) + bytes(12)
    counts = server.tracker.counters.as_dict()
    assert counts["udp4_connections_handled"] == 2 and counts["udp4_announces_handled"] == 2
    assert counts["udp4_scrapes_handled"] == 1


async def test_ipv6_announce_gets_ipv6_peers_only(udp):
    server = await udp()
    v6 = pack_endpoint("2001:db8::1", 40000)
    v4 = pack_endpoint("10.0.0.9", 40000)
    await server.handle(announce_packet(await connected(server, v4), n=9, left=0), v4)
    await server.handle(announce_packet(await connected(server, v6), n=8, left=0), v6)
    other = pack_endpoint("2001:db8::2", 40000)
    reply = await server.handle(announce_packet(await connected(server, other), n=7), other)
    assert reply is not None and reply[20:] == pack_endpoint("2001:db8::1", 6881)
    assert server.tracker.counters.as_dict()["udp6_announces_handled"] == 2


async def test_bad_connection_ids_are_dropped_silently(udp):
    server = await udp()
    cid = await connected(server)
    assert await server.handle(announce_packet(cid ^ 0xFF), CLIENT) is None
    assert await server.handle(announce_packet(cid), pack_endpoint("10.0.0.66", 50000)) is None
    assert await server.handle(struct.pack(">QII20s", cid + 1, 2, 3, HASH_A), CLIENT) is None
    assert await server.handle(b"\x00" * 10, CLIENT) is None
    assert await server.handle(struct.pack(">QII", 1234, 0, 1), CLIENT) is None  # no magic
    assert server.dropped == 5
    assert server.tracker.counters.as_dict()["udp4_announces_handled"] == 0


async def test_malformed_request_with_a_valid_connection_gets_an_error(udp):
    server = await udp()
    cid = await connected(server)
    reply = await server.handle(announce_packet(cid, event=9), CLIENT)
    assert reply is not None and reply[:8] == struct.pack(">II", 3, 2)
    assert b"event" in reply[8:]


async def test_listed_mode_over_udp(udp):
    server = await udp(mode="listed")
    cid = await connected(server)
    reply = await server.handle(announce_packet(cid), CLIENT)
    assert reply is not None and reply[:8] == struct.pack(">II", 3, 2)
    assert f"The torrent: {HASH_A.hex()}, is not whitelisted".encode() in reply


async def test_private_mode_key_travels_in_bep41_url_data(udp, clock):
    server = await udp(mode="private")
    await server.tracker.key_add(AuthKey(KEY, None))
    cid = await connected(server)
    missing = await server.handle(announce_packet(cid), CLIENT)
    assert missing is not None and b"Missing authentication key" in missing
    # the path split over two URLData options, with a NOP between and END after
    options = url_data(b"/announce/UdpKey0123") + b"\x01" + url_data(KEY[10:].encode()) + b"\x00"
    reply = await server.handle(announce_packet(cid, left=0, options=options), CLIENT)
    assert reply is not None and struct.unpack(">IIIII", reply[:20])[4] == 1
    # scrape carries no options: zeros in private mode
    scrape = await server.handle(struct.pack(">QII20s", cid, 2, 3, HASH_A), CLIENT)
    assert scrape == struct.pack(">II", 2, 3) + bytes(12)


@pytest.mark.parametrize(
    ("data", "key"),
    [
        (b"/announce/KEY", "KEY"),
        (b"/KEY", "KEY"),
        (b"/announce/KEY?x=1", "KEY"),
        (b"/announce", None),
        (b"", None),
        (b"/a/b/c", None),
        (b"/announce/\xff", None),
    ],
)
def test_key_from_url_data(data, key):
    assert key_from_url_data(data) == key


@pytest.mark.parametrize("host", ["127.0.0.1", "::1"])
@pytest.mark.parametrize("batched", [True, False], ids=["recvmmsg", "asyncio-endpoint"])
async def test_real_udp_socket(make_runtime, monkeypatch, batched, host):
    if not batched:  # the fallback used where recvmmsg/sendmmsg are not available
        monkeypatch.setattr(BatchSocket, "available", staticmethod(lambda: False))
    else:
        require_batch_udp()
    runtime = await make_runtime(udp=True, api_port=0, host=host)
    listeners = await runtime.start(health=None)  # type: ignore[arg-type]
    port = runtime.udp_sockets[0].getsockname()[1]
    assert listeners[0].port == port  # HTTP shares the UDP port
    stop = asyncio.Event()
    task = asyncio.create_task(runtime.run(stop))
    try:
        loop = asyncio.get_running_loop()
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        with socket.socket(family, socket.SOCK_DGRAM) as sock:
            sock.setblocking(False)
            await loop.sock_connect(sock, (host, port))
            await loop.sock_sendall(sock, connect_packet(5))
            reply = await asyncio.wait_for(loop.sock_recv(sock, 100), 5)
            _, txid, cid = struct.unpack(">IIQ", reply)
            assert txid == 5
            await loop.sock_sendall(sock, announce_packet(cid, left=0))
            reply = await asyncio.wait_for(loop.sock_recv(sock, 100), 5)
            assert struct.unpack(">IIIII", reply[:20]) == (1, 2, 120, 0, 1)
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)


async def test_scrape_answers_every_hash_asked_in_order_repeats_included(udp):
    server = await udp()
    cid = await connected(server)
    await server.handle(announce_packet(cid, left=0), CLIENT)
    reply = await server.handle(struct.pack(">QII60s", cid, 2, 3, HASH_B + HASH_A + HASH_A), CLIENT)
    assert reply == struct.pack(">II9I", 2, 3, 0, 0, 0, 1, 0, 0, 1, 0, 0)


@contextlib.asynccontextmanager
async def served_udp(make_runtime, host: str, compiled: bool, **settings):
    """A tracker answering UDP on `host` over the batched paths, and a client socket that has
    connected: yields (runtime, socket, connection id)."""
    require_batch_udp()
    if compiled:
        compiled_core()
    runtime = await make_runtime(udp=True, api_port=0, host=host, compiled=compiled, **settings)
    await runtime.start(health=None)  # type: ignore[arg-type]
    port = runtime.udp_sockets[0].getsockname()[1]
    stop = asyncio.Event()
    task = asyncio.create_task(runtime.run(stop))
    try:
        loop = asyncio.get_running_loop()
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        with socket.socket(family, socket.SOCK_DGRAM) as sock:
            sock.setblocking(False)
            await loop.sock_connect(sock, (host, port))
            await loop.sock_sendall(sock, connect_packet(5))
            cid = struct.unpack(">IIQ", await asyncio.wait_for(loop.sock_recv(sock, 100), 5))[2]
            yield runtime, sock, cid
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)


@pytest.mark.parametrize("compiled", [False, True], ids=["python", "compiled"])
async def test_big_ipv6_replies_arrive_whole(make_runtime, compiled):
    """150 IPv6 peers: a 2,720-byte reply, beyond one batch buffer of the Python sender."""
    async with served_udp(make_runtime, "::1", compiled, numwant_max=200) as (_, sock, cid):
        loop = asyncio.get_running_loop()
        for n in range(151):
            await loop.sock_sendall(sock, announce_packet(cid, n=n, left=0, numwant=0))
            await asyncio.wait_for(loop.sock_recv(sock, 100), 5)
        await loop.sock_sendall(sock, announce_packet(cid, n=999, numwant=200))
        reply = await asyncio.wait_for(loop.sock_recv(sock, 65536), 5)
        assert struct.unpack(">IIIII", reply[:20]) == (1, 2, 120, 1, 151)
        assert len(reply) == 20 + 18 * 151


async def test_port_0_skips_a_udp_port_that_tcp_has_taken(make_runtime, monkeypatch):
    """The kernel's UDP pick may be busy on TCP (a client connection's local port): rebind."""
    from torrentstack.tracker import runtime as runtime_module

    taken = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    busy_port = taken.getsockname()[1]
    calls: list[int] = []
    real_bind_udp = runtime_module.bind_udp

    def first_on_the_busy_port(host: str, port: int) -> list[socket.socket]:
        calls.append(port)
        return real_bind_udp(host, busy_port if len(calls) == 1 else port)

    monkeypatch.setattr(runtime_module, "bind_udp", first_on_the_busy_port)
    try:
        runtime = await make_runtime(udp=True, api_port=0)
        listeners = await runtime.start(health=None)  # type: ignore[arg-type]
        assert len(calls) == 2
        assert listeners[0].port != busy_port
        assert listeners[0].port == runtime.udp_sockets[0].getsockname()[1]
        for sock in runtime.udp_sockets:
            sock.close()
    finally:
        taken.close()


@pytest.mark.parametrize("batched", [True, False], ids=["recvmmsg", "asyncio-endpoint"])
async def test_an_announce_that_raises_costs_one_datagram_not_the_server(
    make_runtime, monkeypatch, caplog, batched
):
    if not batched:
        monkeypatch.setattr(BatchSocket, "available", staticmethod(lambda: False))
    elif not BatchSocket.available():
        pytest.skip("recvmmsg/sendmmsg are not available here")
    runtime = await make_runtime(udp=True, api_port=0, host="127.0.0.1")
    await runtime.start(health=None)  # type: ignore[arg-type]
    tracker = runtime.tracker
    working = tracker.announce

    async def broken(*args, **kwargs):
        tracker.announce = working  # type: ignore[method-assign]  # fails once
        raise RuntimeError("a bug in announce")

    tracker.announce = broken  # type: ignore[method-assign]
    server = UdpTracker(tracker)
    stop = asyncio.Event()
    task = asyncio.create_task(serve_udp(server, runtime.udp_sockets, stop))
    port = runtime.udp_sockets[0].getsockname()[1]
    try:
        loop = asyncio.get_running_loop()
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.setblocking(False)
            await loop.sock_connect(sock, ("127.0.0.1", port))

            async def ask(packet: bytes) -> bytes:
                await loop.sock_sendall(sock, packet)
                return await asyncio.wait_for(loop.sock_recv(sock, 100), 5)

            _, _, cid = struct.unpack(">IIQ", await ask(connect_packet(5)))
            with caplog.at_level(logging.ERROR, logger="torrentstack.tracker.udp"):
                await loop.sock_sendall(sock, announce_packet(cid, left=0, txid=8))
                # answered in order: a reply to the next packet means the first was handled
                reply = await ask(announce_packet(cid, left=0, txid=9))
            assert struct.unpack(">II", reply[:8]) == (1, 9)  # the server went on
        assert server.failed == 1 and not task.done()
        assert "udp: unhandled error answering a datagram" in caplog.text
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)
        for sock in runtime.udp_sockets:
            sock.close()


@pytest.mark.parametrize("compiled", [False, True], ids=["python", "compiled"])
async def test_a_scrape_of_150_hashes_is_answered_for_as_many_as_allowed(make_runtime, compiled):
    """2,416 bytes: more than a receive buffer of the batched paths (2,048) holds."""
    async with served_udp(make_runtime, "127.0.0.1", compiled) as (runtime, sock, cid):
        loop = asyncio.get_running_loop()
        await loop.sock_sendall(sock, announce_packet(cid, left=0))
        await asyncio.wait_for(loop.sock_recv(sock, 100), 5)
        hashes = HASH_A + b"".join(bytes([n]) * 20 for n in range(1, 150))
        await loop.sock_sendall(sock, struct.pack(">QII", cid, 2, 9) + hashes)
        reply = await asyncio.wait_for(loop.sock_recv(sock, 65536), 5)
        allowed = runtime.settings.max_scrape_torrents
        assert struct.unpack(">II", reply[:8]) == (2, 9), reply[:40]
        assert len(reply) == 8 + 12 * allowed
        assert struct.unpack(">III", reply[8:20]) == (1, 0, 0)  # HASH_A: one seeder
