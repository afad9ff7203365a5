"""What survives a restart: whitelist, keys, completed counts, hash links (never peers)."""

from __future__ import annotations

import pytest

from tests.support.tracker import client_for
from tests.support.wire import HASH_A, HASH_B, announce_query, decoded, scrape_query
from torrentstack.tracker.admin_api import AdminApi
from torrentstack.tracker.http import TrackerHttpApp
from torrentstack.tracker.policy import AuthKey

pytestmark = pytest.mark.database

KEY = "Persisted0Key1234567890abcdefXYZ"


async def announce(tracker, query, ip="10.0.0.1", path="/announce"):
    async with client_for(TrackerHttpApp(tracker, None), ip) as client:  # type: ignore[arg-type]
        return decoded((await client.get(f"{path}?{query}")).content)


async def scrape(tracker, *hashes):
    async with client_for(TrackerHttpApp(tracker, None)) as client:  # type: ignore[arg-type]
        return decoded((await client.get(f"/scrape?{scrape_query(*hashes)}")).content)[b"files"]


async def test_restart_keeps_whitelist_keys_and_completed_counts(make_runtime, clock):
    first = (await make_runtime(mode="private_listed")).tracker
    await first.whitelist_add(HASH_A)
    await first.key_add(AuthKey(KEY, None))
    path = f"/announce/{KEY}"
    await announce(first, announce_query(n=1, event="started"), path=path)
    await announce(first, announce_query(n=1, left=0, event="completed"), path=path)
    await first.flush()

    second = (await make_runtime(mode="private_listed")).tracker  # a new process, same database
    assert second.policy.whitelist == {HASH_A}
    assert KEY in second.policy.keys
    reply = await announce(second, announce_query(n=2, left=0), ip="10.0.0.2", path=path)
    assert reply[b"complete"] == 1  # peers are not persisted: only the new one
    async with client_for(TrackerHttpApp(second, None)) as client:  # type: ignore[arg-type]
        files = decoded((await client.get(f"/scrape/{KEY}?{scrape_query(HASH_A)}")).content)
    assert files[b"files"][HASH_A][b"downloaded"] == 1


async def test_completed_count_is_loaded_when_an_entry_is_created_again(make_runtime, clock):
    tracker = (await make_runtime(peer_timeout=60)).tracker
    await announce(tracker, announce_query(HASH_B, n=1, event="started"))
    await announce(tracker, announce_query(HASH_B, n=1, left=0, event="completed"))
    await announce(tracker, announce_query(HASH_B, n=1, left=0, event="stopped"))
    clock.advance(120)
    await tracker.expire()
    await tracker.flush()
    restarted = (await make_runtime(peer_timeout=60)).tracker
    assert (await scrape(restarted, HASH_B))[HASH_B][b"downloaded"] == 1
    # the admin API knows the torrent as the scrape does: no peers, its completed count
    async with client_for(AdminApi(restarted, ["t"]).app()) as client:
        detail = (await client.get(f"/api/v1/torrent/{HASH_B.hex()}?token=t")).json()
        unknown = (await client.get(f"/api/v1/torrent/{'ab' * 20}?token=t")).json()
    assert detail == {
        "info_hash": HASH_B.hex(),
        "seeders": 0,
        "completed": 1,
        "leechers": 0,
        "peers": [],
    }
    assert unknown == "torrent not known"
    # the entry is created by an announce, long after start-up: it starts from the stored count
    reply = await announce(restarted, announce_query(HASH_B, n=5, left=0), ip="10.0.0.5")
    assert reply[b"complete"] == 1
    assert (await scrape(restarted, HASH_B))[HASH_B][b"downloaded"] == 1


async def test_counts_from_two_processes_add_up(make_runtime):
    one = (await make_runtime()).tracker
    two = (await make_runtime()).tracker
    for tracker, n in ((one, 1), (two, 2)):
        await announce(tracker, announce_query(n=n, event="started"))
        await announce(tracker, announce_query(n=n, left=0, event="completed"))
        await tracker.flush()
    third = (await make_runtime()).tracker
    assert third.completed.get(HASH_A) == 2


async def test_hash_links_survive_a_restart(make_runtime):
    tracker = (await make_runtime()).tracker
    await tracker.link(HASH_A, HASH_B)
    restarted = (await make_runtime()).tracker
    await announce(restarted, announce_query(HASH_A, n=1, left=0))
    reply = await announce(restarted, announce_query(HASH_B, n=2), ip="10.0.0.2")
    assert reply[b"complete"] == 1 and len(reply[b"peers"]) == 6
