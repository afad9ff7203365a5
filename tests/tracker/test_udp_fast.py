"""The compiled UDP fast path against the Python front end: same datagrams, same replies.

One tracker serves a real socket (C answers what it can and hands the rest to Python); a
second, pure-Python tracker with the same connection-id secret answers the same datagrams
through `UdpTracker.handle`. After every datagram the client sends a connect as a barrier, so
"no reply" is observable without timeouts.
"""

from __future__ import annotations

import asyncio
import random
import socket
import struct
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from tests.support.wire import HASH_A, HASH_B, announce_packet, connect_packet, url_data
from tests.tracker.batch_udp import require_batch_udp
from tests.tracker.native_swarm import compiled_core
from torrentstack.bittorrent.announce import pack_endpoint
from torrentstack.tracker.connection_id import BUCKET_SECONDS, BUCKETS_ACCEPTED, ConnectionIds
from torrentstack.tracker.memory_store import MemorySwarmStore
from torrentstack.tracker.service import Tracker
from torrentstack.tracker.swarm import Swarm
from torrentstack.tracker.udp import UdpTracker, bind_udp, serve_udp

pytestmark = pytest.mark.database

SECRET = b"s" * 32
HASH_C = b"\xcc" * 20  # never whitelisted
BARRIER = 0xB0000000


@dataclass
class Pair:
    fast: UdpTracker
    reference: UdpTracker
    sock: socket.socket
    address: bytes  # the client's packed endpoint, as the trackers see it

    async def exchange(self, packet: bytes, barrier: int) -> list[bytes]:
        """Send `packet` then a barrier connect; return the replies that came before it."""
        loop = asyncio.get_running_loop()
        await loop.sock_sendall(self.sock, packet)
        await loop.sock_sendall(self.sock, connect_packet(barrier))
        replies = []
        while True:
            reply = await asyncio.wait_for(loop.sock_recv(self.sock, 4096), 5)
            if reply[:8] == struct.pack(">II", 0, barrier):
                return replies
            replies.append(reply)


@pytest.fixture(params=["public", "listed"])
async def pair(request, make_runtime) -> AsyncIterator[Pair]:
    compiled_core()
    require_batch_udp()
    mode = request.param
    fast_tracker: Tracker = (await make_runtime(mode=mode)).tracker
    ref_tracker: Tracker = (await make_runtime(mode=mode)).tracker
    ref_tracker.store = MemorySwarmStore(ref_tracker.completed.get, make_swarm=Swarm)
    for tracker in (fast_tracker, ref_tracker):
        tracker.policy.whitelist |= {HASH_A, HASH_B}
        tracker.completed.replace({HASH_B: 7})  # a torrent with a count on record, no swarm
    fast = UdpTracker(fast_tracker, ConnectionIds(SECRET))
    assert fast.fast_path() is not None
    sockets = bind_udp("127.0.0.1", 0)
    stop = asyncio.Event()
    task = asyncio.create_task(serve_udp(fast, sockets, stop))
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.setblocking(False)
        sock.bind(("127.0.0.1", 0))
        await asyncio.get_running_loop().sock_connect(sock, sockets[0].getsockname())
        yield Pair(
            fast,
            UdpTracker(ref_tracker, ConnectionIds(SECRET)),
            sock,
            pack_endpoint("127.0.0.1", sock.getsockname()[1]),
        )
    stop.set()
    await asyncio.wait_for(task, 10)
    for s in sockets:
        s.close()


def random_datagram(rng: random.Random, cid: int, txid: int) -> tuple[bytes, bool]:
    """A datagram of some kind, and whether its reply is exact (no random peer choice)."""
    if rng.random() < 0.1:
        cid = rng.getrandbits(64)  # an id nobody issued: dropped
    roll = rng.random()
    info_hash = rng.choice([HASH_A, HASH_A, HASH_B, HASH_C])
    if roll < 0.6:
        numwant = rng.choice([-1, -1, 50, 200, 0, 3])
        packet = announce_packet(
            cid,
            info_hash,
            n=rng.randrange(12),
            left=rng.choice([0, 0, 10]),
            event=rng.choice([0, 0, 1, 1, 2, 3, 4]),
            port=rng.randrange(1, 65536),
            numwant=numwant,
            txid=txid,
        )
        if rng.random() < 0.05:  # a negative byte count
            packet = packet[:64] + struct.pack(">q", -1) + packet[72:]
        if rng.random() < 0.1:  # BEP 41 options: Python's to parse
            packet += url_data(b"/announce?x=1") + b"\x00"
        return packet, numwant not in (0, 3)
    if roll < 0.8:
        count = rng.choice([1, 2, 5, 80])
        hashes = b"".join(rng.choice([HASH_A, HASH_B, HASH_C]) for _ in range(count))
        return struct.pack(">QII", cid, 2, txid) + hashes, True
    if roll < 0.9:
        return struct.pack(">QII", cid, rng.choice([7, 2, 1]), txid) + b"\x01" * rng.randrange(
            30
        ), True
    return connect_packet(txid), True


async def test_fast_path_answers_as_the_python_front_end(pair: Pair):
    rng = random.Random(1234)
    reply = (await pair.exchange(connect_packet(1), BARRIER))[0]
    cid = struct.unpack(">IIQ", reply)[2]
    for i in range(400):
        packet, exact = random_datagram(rng, cid, txid=i + 10)
        expected = await pair.reference.handle(packet, pair.address)
        got = await pair.exchange(packet, BARRIER + i + 1)
        if packet[8:12] == b"\0\0\0\0" and len(packet) == 16 and expected is not None:
            # a connect: ids are equal (same secret, same minute)
            assert got == [expected]
            continue
        if exact or expected is None or expected[:4] != b"\0\0\0\1":
            assert got == ([] if expected is None else [expected]), (i, packet.hex())
        else:  # more peers than wanted: same header and count, chosen at random
            assert len(got) == 1 and got[0][:20] == expected[:20]
            assert len(got[0]) == len(expected)
    fast, ref = pair.fast.tracker, pair.reference.tracker
    for kind in ("udp4_announces_handled", "udp4_scrapes_handled"):
        assert fast.counters.counts[kind] == ref.counters.counts[kind] > 0
    assert fast.completed.pending == ref.completed.pending
    for info_hash in (HASH_A, HASH_B, HASH_C):
        a, b = await fast.store.torrent(info_hash), await ref.store.torrent(info_hash)
        if a is None or b is None:
            assert a is b is None
            continue
        assert a[0] == b[0]
        assert sorted((p.peer_id, p.endpoint, p.left) for p in a[1]) == sorted(
            (p.peer_id, p.endpoint, p.left) for p in b[1]
        )


async def test_private_trackers_have_no_fast_path(make_runtime):
    compiled_core()
    tracker = (await make_runtime(mode="private")).tracker
    assert UdpTracker(tracker).fast_path() is None


async def test_compiled_setting_off_means_python_swarms_and_no_fast_path(make_runtime):
    tracker = (await make_runtime(compiled=False)).tracker
    assert isinstance(tracker.store, MemorySwarmStore)
    assert tracker.store.table.make_swarm is Swarm
    assert UdpTracker(tracker).fast_path() is None


async def test_compiled_setting_on_means_compiled_swarms(make_runtime):
    core = compiled_core()
    tracker = (await make_runtime()).tracker
    assert isinstance(tracker.store, MemorySwarmStore)
    assert isinstance(tracker.store.table.make_swarm(0), core.Swarm)


# ---- connection ids across time buckets, with the clock stepped by hand ---------------------

ISSUED = 1_800_000_000.0 + 17  # 17 s into a bucket (1_800_000_000 is a multiple of 60)


def bucket_steps(issued: float) -> list[float]:
    """Times around every bucket boundary from the one before `issued` to past the last accepted."""
    first = int(issued) // BUCKET_SECONDS * BUCKET_SECONDS
    times = []
    for k in range(-1, BUCKETS_ACCEPTED + 2):
        edge = first + k * BUCKET_SECONDS
        times += [edge - 0.001, edge, edge + 0.5, edge + BUCKET_SECONDS / 2]
    return times


def accepted_by_the_rule(issued: float, now: float) -> bool:
    """connection_id.py's promise: the issuing bucket and the BUCKETS_ACCEPTED - 1 after it."""
    age = int(now) // BUCKET_SECONDS - int(issued) // BUCKET_SECONDS
    return 0 <= age < BUCKETS_ACCEPTED


def test_the_rule_keeps_an_id_at_least_the_two_minutes_bep_15_asks_for():
    accepted = [t for t in bucket_steps(ISSUED) if accepted_by_the_rule(ISSUED, t)]
    assert max(accepted) - ISSUED >= 120
    assert not accepted_by_the_rule(ISSUED, ISSUED + 181)  # and at most 3 minutes


async def test_fast_path_and_python_accept_an_id_for_exactly_the_same_buckets(make_runtime, clock):
    core = compiled_core()
    fast_tracker: Tracker = (await make_runtime()).tracker
    ref_tracker: Tracker = (await make_runtime()).tracker
    ref_tracker.store = MemorySwarmStore(ref_tracker.completed.get, make_swarm=Swarm)
    warm = UdpTracker(fast_tracker, ConnectionIds(SECRET))
    reference = UdpTracker(ref_tracker, ConnectionIds(SECRET))
    settings = fast_tracker.settings
    cold_ids = ConnectionIds(SECRET)  # a cache Python never fills: C must defer every time

    def fast_path_over(ids: ConnectionIds):
        return core.UdpFastPath(
            fast_tracker.store.table.swarms,
            fast_tracker.store.table.aliases,
            ids.checked,
            fast_tracker.store.completed_lookup,
            fast_tracker.completed.get,
            fast_tracker.completed.increment,
            interval=settings.announce_interval,
            numwant_default=settings.numwant_default,
            numwant_max=settings.numwant_max,
            max_scrape=settings.max_scrape_torrents,
        )

    warm_fast, cold_fast = fast_path_over(warm.connection_ids), fast_path_over(cold_ids)
    address = pack_endpoint("10.9.8.7", 6881)
    clock.now = ISSUED
    cid = struct.unpack(">IIQ", await reference.handle(connect_packet(1), address))[2]
    assert warm.connection_ids.issue(address, ISSUED) == cid
    # Python checks the id at its first use and caches it; from then on C answers it
    assert warm.connection_ids.valid(cid, address, ISSUED)

    seen = set()
    for step, now in enumerate(bucket_steps(ISSUED)):
        clock.now = now
        expected = accepted_by_the_rule(ISSUED, now)
        seen.add(expected)
        assert ConnectionIds(SECRET).valid(cid, address, now) is expected, now  # uncached
        for packet in (
            announce_packet(cid, n=3, txid=step),
            struct.pack(">QII20s", cid, 2, step, HASH_A),
        ):
            assert cold_fast.answer(packet, address, now, None) is None, now
            from_c = warm_fast.answer(packet, address, now, None)
            assert (from_c is not None) is expected, now
            # the whole front end: C, else Python; against a tracker with no C at all
            reply = from_c if from_c is not None else await warm.handle(packet, address)
            assert reply == await reference.handle(packet, address), now
            assert (reply is not None) is expected, now
    assert seen == {True, False}
    assert cold_ids.checked == {}  # C only reads the cache


async def test_served_socket_honours_the_stepped_clock(pair: Pair, clock):
    clock.now = ISSUED
    reply = (await pair.exchange(connect_packet(1), BARRIER))[0]
    cid = struct.unpack(">IIQ", reply)[2]
    barrier = BARRIER + 1
    for step, now in enumerate(bucket_steps(ISSUED)):
        clock.now = now
        for packet in (
            announce_packet(cid, HASH_A, n=4, txid=step),
            struct.pack(">QII20s", cid, 2, step, HASH_A),
        ):
            expected = await pair.reference.handle(packet, pair.address)
            assert (expected is not None) is accepted_by_the_rule(ISSUED, now), now
            barrier += 1
            got = await pair.exchange(packet, barrier)
            assert got == ([] if expected is None else [expected]), now
    announced = pair.fast.tracker.counters.counts["udp4_announces_handled"]
    assert announced == pair.reference.tracker.counters.counts["udp4_announces_handled"] > 1
