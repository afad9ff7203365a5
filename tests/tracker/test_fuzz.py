"""Fuzzing the front ends: random datagrams and query strings never raise, never go unanswered
in the wrong way (bad UDP is dropped or answered with an error; bad HTTP gets a failure)."""

from __future__ import annotations

import asyncio
import struct

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.tracker.conftest import FakeClock, client_for
from tests.tracker.wire import announce_query, decoded
from torrentstack.bittorrent.announce import pack_endpoint
from torrentstack.config import TrackerSettings
from torrentstack.tracker.completed import CompletedCounts
from torrentstack.tracker.http import TrackerHttpApp
from torrentstack.tracker.memory_store import MemorySwarmStore
from torrentstack.tracker.policy import OpenRegistry
from torrentstack.tracker.service import Tracker
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
