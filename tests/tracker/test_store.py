"""One behavioural suite for every `SwarmStore`: the in-memory default and Redis.

Time is passed in (`Peer.updated`, the expiry cutoff); nothing sleeps. Each Redis test keeps its
keys under a random prefix and deletes them afterwards.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.support.wire import make_peer
from torrentstack.bittorrent.announce import AnnounceEvent, pack_endpoint
from torrentstack.cache import CacheError
from torrentstack.cache.redis import connect
from torrentstack.tracker.memory_store import MemorySwarmStore
from torrentstack.tracker.redis_store import open_redis_store
from torrentstack.tracker.store import SwarmStore, Totals
from torrentstack.tracker.swarm import Peer, SwarmCounts

NOW = 1_800_000_000.0
E = AnnounceEvent
H1 = bytes.fromhex("11" * 20)
H2 = bytes.fromhex("22" * 20)
H3 = bytes.fromhex("33" * 20)


def peer(n: int, *, at: float = NOW, **fields: Any) -> Peer:
    return make_peer(n, at=at, **fields)


def seeder(n: int, **kwargs) -> Peer:
    return peer(n, left=0, **kwargs)


def pid(n: int) -> bytes:
    return peer(n).peer_id


@pytest.fixture
def persisted() -> dict[bytes, int]:
    """The completed counts on record, as the database would give them."""
    return {}


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
async def store(
    request: pytest.FixtureRequest, persisted: dict[bytes, int]
) -> AsyncIterator[SwarmStore]:
    def lookup(info_hash: bytes) -> int:
        return persisted.get(info_hash, 0)

    if request.param == "memory":
        yield MemorySwarmStore(lookup)
        return
    url = request.config.getoption("--redis-url")
    prefix = f"ts:test:{secrets.token_hex(8)}:"
    redis_store = await open_redis_store(url, lookup, prefix=prefix)
    try:
        yield redis_store
    finally:
        await redis_store.close()
        cleaner = await connect(url)
        try:
            await cleaner.delete_prefix(prefix)
        finally:
            await cleaner.close()


async def announce(
    store: SwarmStore,
    p: Peer,
    info_hash: bytes = H1,
    numwant: int = 50,
    *,
    both_families: bool = True,
):
    return await store.announce(info_hash, p, numwant, both_families=both_families)


def ids(peers: list[Peer]) -> list[bytes]:
    return [p.peer_id for p in peers]


# --- creating swarms and counting -------------------------------------------------------------


async def test_first_announce_creates_the_swarm_with_its_persisted_count(store, persisted):
    persisted[H1] = 7
    outcome = await announce(store, peer(1))
    assert outcome.counts == SwarmCounts(complete=0, incomplete=1, downloaded=7)
    assert await store.scrape([H1]) == [SwarmCounts(0, 1, 7)]
    # the count on record is read when the swarm is created, not on every announce
    persisted[H1] = 100
    assert (await announce(store, peer(2))).counts.downloaded == 7


async def test_seeders_and_leechers_are_counted_by_what_is_left(store):
    await announce(store, seeder(1))
    await announce(store, peer(2))
    outcome = await announce(store, peer(3))
    assert (outcome.counts.complete, outcome.counts.incomplete) == (1, 2)
    # a leecher that finishes moves to the seeders
    outcome = await announce(store, seeder(2))
    assert (outcome.counts.complete, outcome.counts.incomplete) == (2, 1)


async def test_stopped_removes_the_peer(store):
    await announce(store, peer(1))
    await announce(store, seeder(2))
    outcome = await announce(store, peer(1, event=E.STOPPED))
    assert outcome.peers == []
    assert outcome.known
    assert outcome.counts == SwarmCounts(1, 0, 0)
    outcome = await announce(store, seeder(2, event=E.STOPPED))
    assert outcome.counts == SwarmCounts(0, 0, 0)
    found = await store.torrent(H1)
    assert found is not None and found[1] == []


async def test_stopped_from_a_stranger_changes_nothing(store):
    await announce(store, peer(1))
    outcome = await announce(store, peer(2, event=E.STOPPED))
    assert not outcome.known
    assert outcome.counts == SwarmCounts(0, 1, 0)


async def test_completed_counts_once_and_only_for_a_known_peer(store, persisted):
    persisted[H1] = 3
    # a `completed` from a peer the swarm has never seen is not counted
    outcome = await announce(store, seeder(1, event=E.COMPLETED))
    assert not outcome.completed_now
    assert outcome.counts.downloaded == 3
    # a peer the swarm knows, reporting its completion for the first time, is counted
    await announce(store, peer(2))
    outcome = await announce(store, seeder(2, event=E.COMPLETED))
    assert outcome.completed_now
    assert outcome.counts.downloaded == 4
    # a repeated `completed` is not counted again, not even after a restart of the download
    outcome = await announce(store, seeder(2, event=E.COMPLETED))
    assert not outcome.completed_now
    await announce(store, peer(2, event=E.STARTED))
    outcome = await announce(store, seeder(2, event=E.COMPLETED))
    assert not outcome.completed_now
    assert outcome.counts.downloaded == 4
    assert (await store.totals()).completed == 4


async def test_a_peer_that_stopped_is_a_stranger_again(store):
    await announce(store, peer(1))
    await announce(store, seeder(1, event=E.COMPLETED))
    await announce(store, seeder(1, event=E.STOPPED))
    # the peer left: it is a stranger again, so its `completed` is not counted
    outcome = await announce(store, seeder(1, event=E.COMPLETED))
    assert not outcome.completed_now
    assert outcome.counts.downloaded == 1


# --- peer identity and transfer deltas ----------------------------------------------------------


async def test_same_peer_id_from_another_address_does_not_overwrite(store):
    await announce(store, seeder(1, ip="10.0.0.1"))
    outcome = await announce(store, peer(1, ip="10.9.9.9", left=7))
    assert not outcome.known
    assert (outcome.counts.complete, outcome.counts.incomplete) == (1, 1)
    found = await store.torrent(H1)
    assert found is not None
    assert sorted(p.endpoint for p in found[1]) == sorted(
        [pack_endpoint("10.0.0.1", 6881), pack_endpoint("10.9.9.9", 6881)]
    )


async def test_a_new_port_from_the_same_address_updates_the_entry(store):
    await announce(store, seeder(1, ip="10.0.0.1"))
    outcome = await announce(store, seeder(1, ip="10.0.0.1", port=7000))
    assert outcome.known
    assert outcome.counts.complete == 1
    found = await store.torrent(H1)
    assert found is not None
    assert [p.endpoint for p in found[1]] == [pack_endpoint("10.0.0.1", 7000)]


async def test_transfer_deltas(store):
    first = await announce(store, peer(1, up=1000, down=500))
    assert (first.uploaded_delta, first.downloaded_delta, first.known) == (0, 0, False)
    more = await announce(store, peer(1, up=1500, down=900))
    assert (more.uploaded_delta, more.downloaded_delta, more.known) == (500, 400, True)
    # a client restart resets its counters: a decrease credits nothing
    restart = await announce(store, peer(1, up=10, down=20))
    assert (restart.uploaded_delta, restart.downloaded_delta) == (0, 0)
    after = await announce(store, peer(1, up=110, down=20))
    assert (after.uploaded_delta, after.downloaded_delta) == (100, 0)
    # the final `stopped` still reports what was moved since the last announce
    stopped = await announce(store, peer(1, up=150, down=70, event=E.STOPPED))
    assert (stopped.uploaded_delta, stopped.downloaded_delta) == (40, 50)


async def test_large_counters_survive_the_round_trip(store):
    big = 2**62 + 12345
    await announce(store, peer(1, up=big, down=big, left=big))
    outcome = await announce(store, peer(1, up=big + 7, down=big + 9, left=big))
    assert (outcome.uploaded_delta, outcome.downloaded_delta) == (7, 9)
    found = await store.torrent(H1)
    assert found is not None
    (stored,) = found[1]
    assert (stored.uploaded, stored.downloaded, stored.left) == (big + 7, big + 9, big)


# --- choosing peers ---------------------------------------------------------------------------


async def test_the_requester_is_not_in_its_own_list(store):
    await announce(store, seeder(1))
    await announce(store, peer(2))
    outcome = await announce(store, peer(3))
    assert sorted(ids(outcome.peers)) == sorted([pid(1), pid(2)])
    outcome = await announce(store, peer(3), numwant=1)
    assert ids(outcome.peers) == [pid(1)]


async def test_a_leecher_gets_seeders_before_leechers(store):
    for n in range(1, 4):
        await announce(store, seeder(n))
    for n in range(10, 20):
        await announce(store, peer(n))
    outcome = await announce(store, peer(99), numwant=5)
    got = ids(outcome.peers)
    assert len(got) == 5
    assert set(got[:3]) == {pid(1), pid(2), pid(3)}
    assert all(p.left > 0 for p in outcome.peers[3:])
    assert pid(99) not in got


async def test_a_seeder_gets_no_seeders(store):
    await announce(store, seeder(1))
    await announce(store, seeder(2))
    await announce(store, peer(3))
    outcome = await announce(store, seeder(4))
    assert ids(outcome.peers) == [pid(3)]


async def test_numwant_is_respected(store):
    for n in range(1, 31):
        await announce(store, peer(n))
    for numwant in (0, 1, 10, 29):
        outcome = await announce(store, peer(1), numwant=numwant)
        got = ids(outcome.peers)
        assert len(got) == numwant
        assert len(set(got)) == numwant
        assert pid(1) not in got
    outcome = await announce(store, peer(1), numwant=200)
    assert len(outcome.peers) == 29


async def test_returned_peers_carry_what_their_last_announce_said(store):
    await announce(store, seeder(1, ip="10.0.0.1", port=51413, up=5, at=NOW - 60))
    await announce(store, seeder(1, ip="10.0.0.1", port=51413, up=9, at=NOW - 30))
    (got,) = (await announce(store, peer(2))).peers
    assert got == Peer(pid(1), pack_endpoint("10.0.0.1", 51413), 9, 0, 0, E.NONE, NOW - 30, False)


async def test_address_families(store):
    await announce(store, seeder(1, ip="10.0.0.1"))
    await announce(store, seeder(2, ip="2001:db8::2"))
    await announce(store, peer(3, ip="10.0.0.3"))
    await announce(store, peer(4, ip="2001:db8::4"))
    # UDP cannot carry the other family: only the announcer's own
    v4 = await announce(store, peer(5, ip="10.0.0.5"), both_families=False)
    assert ids(v4.peers) == [pid(1), pid(3)]
    v6 = await announce(store, peer(6, ip="2001:db8::6"), both_families=False)
    assert ids(v6.peers) == [pid(2), pid(4)]
    # with both, the own family first (seeders before leechers within each family)
    both = await announce(store, peer(5, ip="10.0.0.5"), both_families=True)
    assert ids(both.peers)[:3] == [pid(1), pid(3), pid(2)]
    assert set(ids(both.peers)[3:]) == {pid(4), pid(6)}
    assert [len(p.endpoint) for p in both.peers] == [6, 6, 18, 18, 18]
    # a seeder still gets only leechers, of either family
    seeding = await announce(store, seeder(7, ip="2001:db8::7"), both_families=True)
    assert set(ids(seeding.peers)[:2]) == {pid(4), pid(6)}
    assert set(ids(seeding.peers)[2:]) == {pid(3), pid(5)}
    counts = seeding.counts
    assert (counts.complete, counts.incomplete) == (3, 4)


# --- expiry -----------------------------------------------------------------------------------


async def test_expire_drops_old_peers_and_peerless_swarms_without_a_count(store, persisted):
    persisted[H2] = 5
    await announce(store, peer(1, at=NOW - 3600), H1)
    await announce(store, seeder(2, at=NOW - 10), H1)
    await announce(store, peer(3, at=NOW - 3600), H2)
    await announce(store, peer(4, at=NOW - 3600), H3)
    await announce(store, peer(5, at=NOW - 3600), H3)
    assert await store.expire(NOW - 1800) == (4, 1)
    # H1 keeps its fresh seeder; H2 has no peers but a completed count on record; H3 is gone
    assert await store.scrape([H1, H2, H3]) == [SwarmCounts(1, 0, 0), SwarmCounts(0, 0, 5), None]
    assert await store.totals() == Totals(torrents=2, seeders=1, leechers=0, completed=5)
    # nothing more to drop; a peer announced exactly at the cutoff stays
    assert await store.expire(NOW - 1800) == (0, 0)
    assert await store.expire(NOW - 10) == (0, 0)
    assert await store.expire(NOW) == (1, 1)
    assert await store.scrape([H1]) == [None]


async def test_expire_after_a_completed_download_keeps_the_swarm(store):
    await announce(store, peer(1, at=NOW - 100))
    await announce(store, seeder(1, event=E.COMPLETED, at=NOW - 90))
    assert await store.expire(NOW) == (1, 0)
    assert await store.scrape([H1]) == [SwarmCounts(0, 0, 1)]


async def test_expire_many_swarms(store):
    hashes = [n.to_bytes(20, "big") for n in range(1200)]
    for n, info_hash in enumerate(hashes):
        await announce(store, peer(n, at=NOW - 3600 if n % 3 else NOW), info_hash)
    assert await store.expire(NOW - 60) == (800, 800)
    assert (await store.totals()).torrents == 400
    listed = await store.torrents(0, 1000)
    assert [h for h, _ in listed] == hashes[::3]


# --- reading ----------------------------------------------------------------------------------


async def test_scrape_unknown_is_none(store):
    assert await store.scrape([]) == []
    assert await store.scrape([H1]) == [None]
    await announce(store, peer(1), H2)
    assert await store.scrape([H1, H2, H1]) == [None, SwarmCounts(0, 1, 0), None]


async def test_torrents_are_listed_in_info_hash_order(store, persisted):
    hashes = [bytes([b]) * 20 for b in (0x90, 0x05, 0xFF, 0x00, 0x7F, 0x80)]
    for n, info_hash in enumerate(hashes):
        persisted[info_hash] = n
        await announce(store, seeder(n) if n % 2 else peer(n), info_hash)
    expected = sorted(hashes)
    listed = await store.torrents(0, 100)
    assert [h for h, _ in listed] == expected
    assert dict(listed)[bytes([0x05]) * 20] == SwarmCounts(complete=1, incomplete=0, downloaded=1)
    assert dict(listed)[bytes([0x90]) * 20] == SwarmCounts(complete=0, incomplete=1, downloaded=0)
    # pages
    assert [h for h, _ in await store.torrents(0, 2)] == expected[:2]
    assert [h for h, _ in await store.torrents(2, 3)] == expected[2:5]
    assert [h for h, _ in await store.torrents(5, 10)] == expected[5:]
    assert await store.torrents(6, 10) == []
    assert await store.torrents(0, 0) == []


async def test_torrent_detail(store, persisted):
    assert await store.torrent(H1) is None
    persisted[H1] = 2
    await announce(store, seeder(1, ip="10.0.0.1", up=77, at=NOW - 5))
    await announce(store, peer(2, ip="2001:db8::2", down=12, left=40, event=E.STARTED))
    found = await store.torrent(H1)
    assert found is not None
    counts, peers = found
    assert counts == SwarmCounts(1, 1, 2)
    peers.sort(key=lambda p: p.peer_id)
    assert peers == [
        Peer(pid(1), pack_endpoint("10.0.0.1", 6881), 77, 0, 0, E.NONE, NOW - 5, False),
        Peer(pid(2), pack_endpoint("2001:db8::2", 6881), 0, 12, 40, E.STARTED, NOW, False),
    ]


async def test_totals(store, persisted):
    assert await store.totals() == Totals(0, 0, 0, 0)
    persisted[H1] = 10
    await announce(store, seeder(1), H1)
    await announce(store, peer(2), H1)
    await announce(store, peer(3), H2)
    await announce(store, peer(4), H2)
    await announce(store, seeder(4, event=E.COMPLETED), H2)
    assert await store.totals() == Totals(torrents=2, seeders=2, leechers=2, completed=11)
    await announce(store, peer(2, event=E.STOPPED), H1)
    assert await store.totals() == Totals(torrents=2, seeders=2, leechers=1, completed=11)


# --- linked hashes (BEP 52 hybrids) -----------------------------------------------------------


async def test_link_merges_the_alias_swarm_into_the_primary(store, persisted):
    persisted[H1] = 4
    await announce(store, seeder(1), H1)
    await announce(store, peer(2), H1)
    await announce(store, peer(3), H2)
    await announce(store, peer(4), H2)
    await announce(store, seeder(4, event=E.COMPLETED), H2)
    # peer 2 announced both hashes: the primary's entry wins
    await announce(store, peer(2, up=999), H2)
    await store.link(H1, H2)
    expected = SwarmCounts(complete=2, incomplete=2, downloaded=5)
    assert await store.scrape([H1, H2]) == [expected, expected]
    assert [h for h, _ in await store.torrents(0, 10)] == [H1]
    assert await store.totals() == Totals(torrents=1, seeders=2, leechers=2, completed=5)
    found = await store.torrent(H2)
    assert found is not None
    assert found[0] == expected
    assert sorted(ids(found[1])) == [pid(1), pid(2), pid(3), pid(4)]
    assert next(p for p in found[1] if p.peer_id == pid(2)).uploaded == 0
    # announces on either hash meet the same peers
    via_alias = await announce(store, peer(5), H2)
    assert set(ids(via_alias.peers)) == {pid(1), pid(2), pid(3), pid(4)}
    via_primary = await announce(store, peer(6), H1)
    assert pid(5) in ids(via_primary.peers)
    assert via_primary.counts == SwarmCounts(2, 4, 5)
    # the merged peers keep their identity: a known peer's delta carries on
    again = await announce(store, peer(3, up=50), H1)
    assert again.known and again.uploaded_delta == 50


async def test_link_before_any_announce(store, persisted):
    persisted[H1] = 9
    persisted[H2] = 1
    await store.link(H1, H2)
    assert await store.scrape([H1, H2]) == [None, None]
    # the swarm is created under the primary, with the primary's count on record
    outcome = await announce(store, peer(1), H2)
    assert outcome.counts == SwarmCounts(0, 1, 9)
    assert [h for h, _ in await store.torrents(0, 10)] == [H1]
    assert (await announce(store, peer(2), H1)).counts == SwarmCounts(0, 2, 9)


async def test_link_to_itself_and_expiry_of_a_linked_swarm(store):
    await store.link(H1, H1)
    await announce(store, peer(1, at=NOW - 100), H1)
    await store.link(H1, H2)
    await announce(store, peer(2, at=NOW - 100), H2)
    assert await store.expire(NOW) == (2, 1)
    assert await store.scrape([H1, H2]) == [None, None]
    assert await store.totals() == Totals(0, 0, 0, 0)


# --- Redis only: several tracker processes sharing one store ----------------------------------


@pytest.mark.redis
async def test_processes_share_swarms_and_links(request, persisted):
    url = request.config.getoption("--redis-url")
    prefix = f"ts:test:{secrets.token_hex(8)}:"
    first = await open_redis_store(url, lambda h: persisted.get(h, 0), prefix=prefix)
    second = await open_redis_store(url, lambda h: persisted.get(h, 0), prefix=prefix)
    try:
        persisted[H1] = 6
        await announce(first, seeder(1), H3)
        outcome = await announce(second, peer(2), H3)
        assert ids(outcome.peers) == [pid(1)]
        # a link made by one process: the other's first announce on the alias still creates
        # the swarm under the primary with the primary's count
        await first.link(H1, H2)
        outcome = await announce(second, peer(3), H2)
        assert outcome.counts == SwarmCounts(0, 1, 6)
        assert await first.scrape([H1, H2]) == [SwarmCounts(0, 1, 6)] * 2
        assert await second.totals() == Totals(torrents=2, seeders=1, leechers=2, completed=6)
    finally:
        await first.close()
        await second.close()
        cleaner = await connect(url)
        try:
            assert await cleaner.delete_prefix(prefix) > 0
        finally:
            await cleaner.close()


async def test_an_unreachable_redis_is_a_cache_error():
    # port 1 on loopback: nothing listens there, the connection is refused at once
    with pytest.raises(CacheError) as caught:
        await open_redis_store("redis://127.0.0.1:1/0", lambda h: 0)
    assert caught.value.operation == "connect"
    with pytest.raises(CacheError):
        await open_redis_store("nonsense://x", lambda h: 0)
