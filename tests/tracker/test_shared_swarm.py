"""Several tracker processes over one Redis swarm, and what a Redis outage looks like."""

from __future__ import annotations

import logging
import secrets

import pytest

from tests.support.tracker import client_for
from tests.support.wire import HASH_A, announce_query, compact_peers, decoded, scrape_query
from torrentstack.cache import CacheError
from torrentstack.cache.redis import connect
from torrentstack.tracker.http import TrackerHttpApp
from torrentstack.tracker.redis_store import open_redis_store
from torrentstack.tracker.service import REASON_UNAVAILABLE

pytestmark = pytest.mark.database


async def get(tracker, path, ip="10.0.0.1"):
    async with client_for(TrackerHttpApp(tracker, None), ip) as client:  # type: ignore[arg-type]
        return decoded((await client.get(path)).content)


@pytest.mark.redis
async def test_two_processes_share_one_swarm_and_completed_counts(request, make_runtime):
    url = request.config.getoption("--redis-url")
    prefix = f"ts:test:{secrets.token_hex(8)}:"
    trackers = []
    for _ in range(2):
        tracker = (await make_runtime()).tracker
        tracker.store = await open_redis_store(url, tracker.completed.get, prefix=prefix)
        trackers.append(tracker)
    one, two = trackers
    try:
        await get(one, f"/announce?{announce_query(n=1, left=0, port=7001)}", ip="10.0.0.1")
        await get(two, f"/announce?{announce_query(n=2, event='started')}", ip="10.0.0.2")
        seen = await get(two, f"/announce?{announce_query(n=2)}", ip="10.0.0.2")
        assert compact_peers(seen[b"peers"]) == [("10.0.0.1", 7001)]
        await get(two, f"/announce?{announce_query(n=2, left=0, event='completed')}", "10.0.0.2")
        files = (await get(one, f"/scrape?{scrape_query(HASH_A)}"))[b"files"]
        assert files[HASH_A] == {b"complete": 2, b"downloaded": 1, b"incomplete": 0}
    finally:
        for tracker in trackers:
            await tracker.store.close()
        cleaner = await connect(url)
        await cleaner.delete_prefix(prefix)
        await cleaner.close()


class BrokenStore:
    """A swarm store whose Redis has gone away."""

    async def announce(self, *args, **kwargs):
        raise CacheError("Redis down", operation="script")

    async def scrape(self, *args, **kwargs):
        raise CacheError("Redis down", operation="script")

    async def close(self) -> None:
        return None


async def test_store_outage_is_a_failure_reason_not_a_crash(make_runtime):
    tracker = (await make_runtime()).tracker
    tracker.store = BrokenStore()  # type: ignore[assignment]
    reply = await get(tracker, f"/announce?{announce_query()}")
    assert reply == {b"failure reason": REASON_UNAVAILABLE.encode()}
    files = (await get(tracker, f"/scrape?{scrape_query(HASH_A)}"))[b"files"]
    assert files[HASH_A] == {b"complete": 0, b"downloaded": 0, b"incomplete": 0}


async def test_an_outage_is_logged_once_and_its_end_too(make_runtime, caplog):
    tracker = (await make_runtime()).tracker
    working = tracker.store
    tracker.store = BrokenStore()  # type: ignore[assignment]
    with caplog.at_level(logging.WARNING, logger="torrentstack.tracker.service"):
        for n in range(5):
            reply = await get(tracker, f"/announce?{announce_query(n=n)}")
            assert reply == {b"failure reason": REASON_UNAVAILABLE.encode()}
        await get(tracker, f"/scrape?{scrape_query(HASH_A)}")
        assert tracker.store_failures == 6
        tracker.store = working
        assert b"interval" in await get(tracker, f"/announce?{announce_query()}")
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 2, messages
    assert messages[0].startswith(
        "announce failed: swarm store unavailable (CacheError: Redis down (at test_shared_swarm.py:"
    )
    assert messages[1] == "swarm store available again after 6 failed requests"
    assert all(r.exc_info is None for r in caplog.records)  # its chained redis error may name hosts
    assert tracker.store_failures == 0


async def test_unreachable_redis_stops_start_up_with_a_clear_error(make_runtime):
    runtime = await make_runtime()
    runtime.redis_url = "redis://127.0.0.1:1/0"
    with pytest.raises(CacheError):
        await runtime.start(health=None)  # type: ignore[arg-type]
