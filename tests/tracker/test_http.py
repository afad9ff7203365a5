"""HTTP announce and scrape (BEP 3/7/23/24/48) through the ASGI app, in every access mode."""

from __future__ import annotations

import pytest
from starlette.responses import PlainTextResponse

from tests.support.tracker import client_for
from tests.support.wire import (
    HASH_A,
    HASH_B,
    announce_query,
    compact_peers,
    decoded,
    peer_id,
    scrape_query,
)
from torrentstack.tracker.http import TrackerHttpApp
from torrentstack.tracker.policy import AuthKey

pytestmark = pytest.mark.database

KEY = "A" * 16 + "b" * 8 + "0123456Z"


def fallback():
    return PlainTextResponse("fallback", 404)


@pytest.fixture
async def tracker_app(make_runtime):
    async def make(**settings):
        runtime = await make_runtime(**settings)
        return runtime.tracker, TrackerHttpApp(runtime.tracker, fallback())

    return make


async def announce(app, query: str, ip: str = "10.0.0.1", path: str = "/announce") -> dict:
    async with client_for(app, ip) as client:
        response = await client.get(f"{path}?{query}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return decoded(response.content)


async def test_announce_compact_reply_with_counts_and_peers(tracker_app):
    _, app = await tracker_app()
    await announce(app, announce_query(n=1, left=0, port=7001), ip="10.0.0.1")
    await announce(app, announce_query(n=2, left=0, port=7002), ip="10.0.0.2")
    reply = await announce(app, announce_query(n=3, left=5, port=7003), ip="10.0.0.3")
    assert reply[b"complete"] == 2 and reply[b"incomplete"] == 1
    assert reply[b"interval"] == 120 and reply[b"min interval"] == 120
    assert sorted(compact_peers(reply[b"peers"])) == [("10.0.0.1", 7001), ("10.0.0.2", 7002)]
    assert reply[b"external ip"] == bytes([10, 0, 0, 3])  # BEP 24
    assert b"peers6" not in reply


async def test_non_compact_reply_lists_dicts_and_honours_no_peer_id(tracker_app):
    _, app = await tracker_app()
    await announce(app, announce_query(n=1, left=0, port=7001), ip="10.0.0.1")
    reply = await announce(app, announce_query(n=2, compact=0), ip="10.0.0.2")
    assert reply[b"peers"] == [{b"ip": b"10.0.0.1", b"peer id": peer_id(1), b"port": 7001}]
    reply = await announce(app, announce_query(n=2, compact=0, no_peer_id=1), ip="10.0.0.2")
    assert reply[b"peers"] == [{b"ip": b"10.0.0.1", b"port": 7001}]


async def test_ipv6_peers_go_in_peers6(tracker_app):
    _, app = await tracker_app()
    await announce(app, announce_query(n=1, left=0, port=7001), ip="2001:db8::1")
    await announce(app, announce_query(n=2, left=0, port=7002), ip="10.0.0.2")
    reply = await announce(app, announce_query(n=3), ip="10.0.0.3")
    assert compact_peers(reply[b"peers"]) == [("10.0.0.2", 7002)]
    assert compact_peers(reply[b"peers6"], 18) == [("2001:db8::1", 7001)]


async def test_numwant_default_and_cap(tracker_app):
    _, app = await tracker_app(numwant_default=3, numwant_max=5)
    for n in range(10):
        await announce(app, announce_query(n=n, left=0), ip=f"10.0.1.{n}")
    assert len((await announce(app, announce_query(n=99)))[b"peers"]) == 3 * 6
    assert len((await announce(app, announce_query(n=99, numwant=50)))[b"peers"]) == 5 * 6
    assert len((await announce(app, announce_query(n=99, numwant=1)))[b"peers"]) == 6


async def test_stopped_leaves_and_completed_is_counted_in_scrape(tracker_app):
    _, app = await tracker_app()
    await announce(app, announce_query(n=1, event="started"))
    await announce(app, announce_query(n=1, left=0, event="completed"))
    await announce(app, announce_query(n=2, event="started"), ip="10.0.0.2")
    async with client_for(app) as client:
        scrape = decoded((await client.get(f"/scrape?{scrape_query(HASH_A, HASH_B)}")).content)
    assert scrape[b"files"] == {
        HASH_A: {b"complete": 1, b"downloaded": 1, b"incomplete": 1},
        HASH_B: {b"complete": 0, b"downloaded": 0, b"incomplete": 0},
    }
    await announce(app, announce_query(n=2, event="stopped"), ip="10.0.0.2")
    async with client_for(app) as client:
        scrape = decoded((await client.get(f"/scrape?{scrape_query(HASH_A)}")).content)
    assert scrape[b"files"][HASH_A][b"incomplete"] == 0


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        ("", b"info_hash"),
        ("info_hash=abc&peer_id=-qB4650-000000000001&port=1", b"info_hash"),
        (announce_query().replace("port=6881", "port=99999"), b"port"),
        (announce_query(event="bogus"), b"event"),
        (announce_query().replace("left=100", "left=-1"), b"left"),
    ],
)
async def test_bad_announce_is_a_bencoded_failure_with_status_200(tracker_app, query, reason):
    _, app = await tracker_app()
    reply = await announce(app, query)
    assert set(reply) == {b"failure reason"}
    assert reason in reply[b"failure reason"]


async def test_scrape_without_hashes_is_a_failure(tracker_app):
    _, app = await tracker_app()
    async with client_for(app) as client:
        reply = decoded((await client.get("/scrape")).content)
    assert b"failure reason" in reply


async def test_other_paths_go_to_the_fallback_and_health_check_answers(tracker_app):
    _, app = await tracker_app()
    async with client_for(app) as client:
        assert (await client.get("/nothing")).text == "fallback"
        assert (await client.get("/announce/a/b")).text == "fallback"
        health = await client.get("/health_check")
    assert health.json() == {"status": "Ok"}


# --- access modes ----------------------------------------------------------------------------


async def test_listed_mode_refuses_unlisted_and_zeroes_their_scrape(tracker_app):
    tracker, app = await tracker_app(mode="listed")
    refused = await announce(app, announce_query(HASH_A))
    assert refused[b"failure reason"] == (
        f"Tracker error: The torrent: {HASH_A.hex()}, is not whitelisted".encode()
    )
    await tracker.whitelist_add(HASH_A)
    assert (await announce(app, announce_query(HASH_A, left=0)))[b"complete"] == 1
    await tracker.whitelist_remove(HASH_A)
    async with client_for(app) as client:
        scrape = decoded((await client.get(f"/scrape?{scrape_query(HASH_A)}")).content)
    assert scrape[b"files"][HASH_A] == {b"complete": 0, b"downloaded": 0, b"incomplete": 0}


async def test_private_mode_needs_a_valid_unexpired_key(tracker_app, clock):
    tracker, app = await tracker_app(mode="private")
    missing = await announce(app, announce_query())
    assert missing[b"failure reason"].startswith(b"Authentication error: Missing authentication")
    unknown = await announce(app, announce_query(), path=f"/announce/{KEY}")
    assert unknown[b"failure reason"] == f"Authentication error: Failed to read key: {KEY}".encode()
    malformed = await announce(app, announce_query(), path="/announce/short")
    assert b"Invalid format for authentication key" in malformed[b"failure reason"]

    await tracker.key_add(AuthKey(KEY, clock() + 60))
    ok = await announce(app, announce_query(left=0), path=f"/announce/{KEY}")
    assert ok[b"complete"] == 1
    async with client_for(app) as client:
        with_key = decoded((await client.get(f"/scrape/{KEY}?{scrape_query(HASH_A)}")).content)
        without = decoded((await client.get(f"/scrape?{scrape_query(HASH_A)}")).content)
    assert with_key[b"files"][HASH_A][b"complete"] == 1
    assert without[b"files"][HASH_A][b"complete"] == 0

    clock.advance(61)
    expired = await announce(app, announce_query(), path=f"/announce/{KEY}")
    assert expired[b"failure reason"] == b"Authentication error: Key has expired"


async def test_private_listed_mode_needs_key_and_whitelist(tracker_app):
    tracker, app = await tracker_app(mode="private_listed")
    await tracker.key_add(AuthKey(KEY, None))
    refused = await announce(app, announce_query(), path=f"/announce/{KEY}")
    assert b"is not whitelisted" in refused[b"failure reason"]
    await tracker.whitelist_add(HASH_A)
    assert (await announce(app, announce_query(left=0), path=f"/announce/{KEY}"))[b"complete"] == 1
    assert b"failure reason" in await announce(app, announce_query())


# --- client address ----------------------------------------------------------------------------


async def test_forwarded_for_is_ignored_unless_behind_a_reverse_proxy(tracker_app):
    _, app = await tracker_app()
    async with client_for(app, "10.0.0.9") as client:
        body = (
            await client.get(
                f"/announce?{announce_query()}", headers={"X-Forwarded-For": "203.0.113.5"}
            )
        ).content
    assert decoded(body)[b"external ip"] == bytes([10, 0, 0, 9])


async def test_reverse_proxy_takes_the_right_most_forwarded_address(tracker_app):
    _, app = await tracker_app(on_reverse_proxy=True)
    async with client_for(app, "127.0.0.1") as client:
        body = (
            await client.get(
                f"/announce?{announce_query()}",
                headers={"X-Forwarded-For": "198.51.100.1, 203.0.113.5"},
            )
        ).content
        missing = decoded((await client.get(f"/announce?{announce_query()}")).content)
    assert decoded(body)[b"external ip"] == bytes([203, 0, 113, 5])
    assert b"X-Forwarded-For" in missing[b"failure reason"]


async def test_loopback_peers_get_the_configured_external_ip(tracker_app):
    _, app = await tracker_app(external_ip="192.0.2.7")
    await announce(app, announce_query(n=1, left=0, port=7001), ip="127.0.0.1")
    reply = await announce(app, announce_query(n=2), ip="10.0.0.2")
    assert compact_peers(reply[b"peers"]) == [("192.0.2.7", 7001)]


async def test_counters_split_by_transport(tracker_app):
    tracker, app = await tracker_app()
    await announce(app, announce_query(), ip="10.0.0.1")
    await announce(app, announce_query(), ip="2001:db8::1")
    async with client_for(app) as client:
        await client.get(f"/scrape?{scrape_query(HASH_A)}")
    counts = tracker.counters.as_dict()
    assert counts["tcp4_announces_handled"] == 1 and counts["tcp6_announces_handled"] == 1
    assert counts["tcp4_scrapes_handled"] == 1 and counts["tcp4_connections_handled"] == 2
