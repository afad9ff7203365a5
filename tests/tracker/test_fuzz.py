"""Fuzzing the front ends: random datagrams and query strings never raise, never go unanswered
in the wrong way (bad UDP is dropped or answered with an error; bad HTTP gets a failure)."""

from __future__ import annotations

import asyncio
import struct

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.clock import FakeClock
from tests.support.tracker import client_for
from tests.support.wire import announce_query, decoded
from tests.tracker.native_swarm import compiled_core
from torrentstack.bittorrent.announce import pack_endpoint
from torrentstack.config import TrackerSettings
from torrentstack.tracker.completed import CompletedCounts
from torrentstack.tracker.connection_id import ConnectionIds
from torrentstack.tracker.http import TrackerHttpApp
from torrentstack.tracker.memory_store import MemorySwarmStore
from torrentstack.tracker.policy import OpenRegistry
from torrentstack.tracker.service import Tracker
from torrentstack.tracker.swarm import Swarm
from torrentstack.tracker.udp import UdpTracker

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
CLIENT = pack_endpoint("10.0.0.1", 50000)


async def _noop_writer(_batch) -> None:
    return None


def memory_tracker(mode: str = "public") -> Tracker:
    completed = CompletedCounts(_noop_writer)
    return Tracker(
        TrackerSettings(mode=mode),  # type: ignore[arg-type]
        engine=None,  # type: ignore[arg-type]  # announce/scrape never touch the database
        store=MemorySwarmStore(completed.get),
        completed=completed,
        registry=OpenRegistry(),
        clock=FakeClock(),
    )


UDP = UdpTracker(memory_tracker())
CID = asyncio.run(UDP.handle(struct.pack(">QII", 0x41727101980, 0, 1), CLIENT))
CONNECTION_ID = struct.unpack(">IIQ", CID)[2] if CID else 0


@FUZZ
@given(st.binary(max_size=200))
def test_random_datagrams_are_dropped_or_answered(data):
    reply = asyncio.run(UDP.handle(data, CLIENT))
    assert reply is None or reply[:4] in (b"\0\0\0\0", b"\0\0\0\3")


@FUZZ
@given(action=st.integers(0, 5), rest=st.binary(max_size=160), txid=st.integers(0, 2**32 - 1))
def test_random_requests_on_a_valid_connection(action, rest, txid):
    data = struct.pack(">QII", CONNECTION_ID, action, txid) + rest
    reply = asyncio.run(UDP.handle(data, CLIENT))
    if reply is not None:
        answered_action, answered_txid = struct.unpack(">II", reply[:8])
        assert answered_txid == txid
        assert answered_action in (action, 3)


async def raw_get(app: TrackerHttpApp, path: str, query: bytes) -> tuple[int, bytes]:
    """Drive the ASGI app with a raw query string, bytes a client library would refuse."""
    scope = {
        "type": "http", "method": "GET", "path": path, "query_string": query,
        "headers": [], "client": ("10.0.0.1", 40000),
    }  # fmt: skip
    sent: list[dict] = []

    async def receive() -> dict:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return sent[0]["status"], b"".join(m.get("body", b"") for m in sent[1:])


PARAM_NAMES = [
    b"info_hash", b"peer_id", b"port", b"left", b"uploaded", b"downloaded", b"event",
    b"compact", b"numwant", b"no_peer_id", b"key", b"ip",
]  # fmt: skip
QUERIES = st.one_of(
    st.binary(max_size=300),
    st.lists(st.tuples(st.sampled_from(PARAM_NAMES), st.binary(max_size=40)), max_size=12).map(
        lambda pairs: b"&".join(k + b"=" + v for k, v in pairs)
    ),
)
REPLY_KEYS = {
    b"failure reason", b"complete", b"incomplete", b"interval", b"min interval", b"peers",
    b"peers6", b"external ip", b"files",
}  # fmt: skip


@FUZZ
@given(query=QUERIES, path=st.sampled_from(["/announce", "/scrape", "/announce/" + "k" * 32]))
def test_random_query_strings_get_a_bencoded_reply(query, path):
    app = TrackerHttpApp(memory_tracker(), None)  # type: ignore[arg-type]
    status, body = asyncio.run(raw_get(app, path, query))
    assert status == 200
    assert set(decoded(body)) <= REPLY_KEYS


@FUZZ
@given(port=st.integers(-5, 70000), left=st.integers(-5, 2**64), numwant=st.integers(-5, 10**6))
def test_numeric_edges(port, left, numwant):
    app = TrackerHttpApp(memory_tracker(), None)  # type: ignore[arg-type]

    async def run() -> dict:
        async with client_for(app) as client:
            query = announce_query(port=port, left=left, numwant=numwant)
            return decoded((await client.get(f"/announce?{query}")).content)

    body = asyncio.run(run())
    valid = 0 <= port <= 65535 and 0 <= left < 2**63 and numwant >= 0
    assert (b"failure reason" not in body) == valid


# The compiled fast path: random datagrams on a checked connection, answered by C where it can
# and by Python otherwise, must get the reply a pure-Python tracker gives them.
FAST_UDP = UdpTracker(memory_tracker(), ConnectionIds(b"f" * 32))
REFERENCE_UDP = UdpTracker(memory_tracker(), ConnectionIds(b"f" * 32))
REFERENCE_UDP.tracker.store = MemorySwarmStore(
    REFERENCE_UDP.tracker.completed.get, make_swarm=Swarm
)
FAST = FAST_UDP.fast_path()


def _connect(udp: UdpTracker) -> int:
    reply = asyncio.run(udp.handle(struct.pack(">QII", 0x41727101980, 0, 1), CLIENT))
    assert reply is not None
    return int(struct.unpack(">IIQ", reply)[2])


FAST_CID = _connect(FAST_UDP)
assert _connect(REFERENCE_UDP) == FAST_CID
# one announce through Python puts the id in the checked cache the fast path reads
asyncio.run(FAST_UDP.handle(struct.pack(">QII", FAST_CID, 2, 1) + b"\0" * 20, CLIENT))
asyncio.run(REFERENCE_UDP.handle(struct.pack(">QII", FAST_CID, 2, 1) + b"\0" * 20, CLIENT))

few_hashes = st.sampled_from([b"\x01" * 20, b"\x02" * 20])
announce_body = st.builds(
    lambda h, pid, down, left, up, event, rest: (
        h + pid + struct.pack(">qqqI", down, left, up, event) + rest
    ),
    few_hashes,
    st.sampled_from([b"a" * 20, b"b" * 20, b"c" * 20]),
    st.integers(-(2**63), 2**63 - 1) | st.integers(0, 9),
    st.sampled_from([0, 0, 5, -1]),
    st.integers(0, 9),
    st.integers(0, 5),
    st.binary(min_size=14, max_size=14) | st.binary(max_size=30),
)


@FUZZ
@given(
    action=st.sampled_from([1, 1, 2, 0, 3]),
    body=announce_body
    | st.binary(max_size=120)
    | st.lists(few_hashes, min_size=1, max_size=80).map(b"".join),
    txid=st.integers(0, 2**32 - 1),
)
def test_fast_path_replies_as_python_on_random_requests(action, body, txid):
    if FAST is None:
        compiled_core()  # skips, or fails under REQUIRE_COMPILED_SWARM=1
    data = struct.pack(">QII", FAST_CID, action, txid) + body
    expected = asyncio.run(REFERENCE_UDP.handle(data, CLIENT))
    now = FAST_UDP.tracker.clock()
    got = FAST.answer(data, CLIENT, now, None)
    if got is None:
        got = asyncio.run(FAST_UDP.handle(data, CLIENT))
    else:
        assert data[8:12] in (b"\0\0\0\1", b"\0\0\0\2")
    # at most 3 peers per torrent, numwant (a random int32) is what Python reads too: all fit
    # unless numwant is 0..2, where both give the same count of randomly chosen peers
    if got is not None and expected is not None and got[:4] == b"\0\0\0\1":
        assert got[:20] == expected[:20] and len(got) == len(expected)
    else:
        assert got == expected
