"""The swarm: identity, counting, peer choice, expiry, linked hashes.

Every test runs on the pure-Python `Swarm` and on the compiled one (`_swarmcore.c`).
"""

from __future__ import annotations

import random
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support.wire import make_peer
from tests.tracker.native_swarm import MakeSwarm
from torrentstack.bittorrent.announce import AnnounceEvent, pack_endpoint
from torrentstack.tracker.swarm import Peer, SwarmTable

NOW = 1_000_000.0
E = AnnounceEvent


def peer(n: int, *, at: float = NOW, **fields: Any) -> Peer:
    return make_peer(n, at=at, **fields)


def test_seeders_are_peers_with_nothing_left(new_swarm: MakeSwarm):
    swarm = new_swarm()
    swarm.announce(peer(1, left=0), 50, both_families=True)
    swarm.announce(peer(2, left=5), 50, both_families=True)
    assert (swarm.complete, swarm.incomplete) == (1, 1)
    # the leecher finishes: it moves from leechers to seeders
    swarm.announce(peer(2, left=0), 50, both_families=True)
    assert (swarm.complete, swarm.incomplete) == (2, 0)


def test_stopped_removes_the_peer(new_swarm: MakeSwarm):
    swarm = new_swarm()
    swarm.announce(peer(1), 50, both_families=True)
    outcome = swarm.announce(peer(1, event=E.STOPPED), 50, both_families=True)
    assert outcome.peers == []
    assert len(swarm) == 0


def test_same_peer_id_from_another_address_does_not_overwrite(new_swarm: MakeSwarm):
    swarm = new_swarm()
    swarm.announce(peer(1, ip="10.0.0.1", left=0), 50, both_families=True)
    swarm.announce(peer(1, ip="10.9.9.9", left=7), 50, both_families=True)
    assert (swarm.complete, swarm.incomplete) == (1, 1)
    # the same address announcing a new port updates its own entry
    swarm.announce(peer(1, ip="10.0.0.1", port=7000, left=0), 50, both_families=True)
    assert len(swarm) == 2
    assert {p.endpoint for p in swarm.peers()} == {
        pack_endpoint("10.0.0.1", 7000),
        pack_endpoint("10.9.9.9", 6881),
    }


def test_completed_counts_once_and_only_for_a_known_peer(new_swarm: MakeSwarm):
    swarm = new_swarm()
    stranger = swarm.announce(peer(9, left=0, event=E.COMPLETED), 50, both_families=True)
    assert not stranger.completed_now and swarm.downloaded == 0
    swarm.announce(peer(1, event=E.STARTED), 50, both_families=True)
    first = swarm.announce(peer(1, left=0, event=E.COMPLETED), 50, both_families=True)
    again = swarm.announce(peer(1, left=0, event=E.COMPLETED), 50, both_families=True)
    swarm.announce(peer(1, left=0), 50, both_families=True)
    later = swarm.announce(peer(1, left=0, event=E.COMPLETED), 50, both_families=True)
    assert first.completed_now and not again.completed_now and not later.completed_now
    assert swarm.downloaded == 1


def test_transfer_deltas_never_negative_and_zero_on_first_announce(new_swarm: MakeSwarm):
    swarm = new_swarm()
    first = swarm.announce(peer(1, up=500, down=900), 50, both_families=True)
    assert (first.uploaded_delta, first.downloaded_delta, first.known) == (0, 0, False)
    second = swarm.announce(peer(1, up=800, down=1000), 50, both_families=True)
    assert (second.uploaded_delta, second.downloaded_delta, second.known) == (300, 100, True)
    restarted = swarm.announce(peer(1, up=10, down=10), 50, both_families=True)
    assert (restarted.uploaded_delta, restarted.downloaded_delta) == (0, 0)


def test_requester_is_not_in_its_own_peer_list(new_swarm: MakeSwarm):
    swarm = new_swarm()
    for n in range(5):
        swarm.announce(peer(n, left=0), 50, both_families=True)
    outcome = swarm.announce(peer(2, left=0, event=E.NONE), 50, both_families=True)
    assert peer(2).peer_id not in {p.peer_id for p in outcome.peers}
    leecher = swarm.announce(peer(77), 3, both_families=True)
    assert len(leecher.peers) == 3
    assert peer(77).peer_id not in {p.peer_id for p in leecher.peers}


def test_leechers_get_seeders_first_and_seeders_get_only_leechers(new_swarm: MakeSwarm):
    swarm = new_swarm()
    for n in range(10):
        swarm.announce(peer(n, left=0), 50, both_families=True)
    for n in range(10, 30):
        swarm.announce(peer(n, left=1), 50, both_families=True)
    leecher = swarm.announce(peer(99, left=1), 10, both_families=True)
    assert all(p.is_seeder for p in leecher.peers) and len(leecher.peers) == 10
    more = swarm.announce(peer(99, left=1), 15, both_families=True)
    assert sum(p.is_seeder for p in more.peers) == 10 and len(more.peers) == 15
    seeder = swarm.announce(peer(98, left=0), 50, both_families=True)
    assert len(seeder.peers) == 21 and not any(p.is_seeder for p in seeder.peers)


def test_peer_choice_is_random(new_swarm: MakeSwarm):
    swarm = new_swarm()
    for n in range(200):
        swarm.announce(peer(n, left=0), 50, both_families=True)
    seen = set()
    for _ in range(20):
        seen |= {p.peer_id for p in swarm.announce(peer(500), 5, both_families=True).peers}
    assert len(seen) > 40


def test_address_families_stay_apart_unless_both_are_wanted(new_swarm: MakeSwarm):
    swarm = new_swarm()
    swarm.announce(peer(1, ip="10.0.0.1", left=0), 50, both_families=True)
    swarm.announce(peer(2, ip="2001:db8::2", left=0), 50, both_families=True)
    v4_only = swarm.announce(peer(3, ip="10.0.0.3"), 50, both_families=False)
    assert [len(p.endpoint) for p in v4_only.peers] == [6]
    v6_only = swarm.announce(peer(4, ip="2001:db8::4"), 50, both_families=False)
    assert [len(p.endpoint) for p in v6_only.peers] == [18]
    both = swarm.announce(peer(5, ip="2001:db8::5"), 50, both_families=True)
    assert [len(p.endpoint) for p in both.peers] == [18, 18, 6, 6]  # own family first


def test_expiry_drops_stale_peers_and_empty_swarms_without_completed_count(new_swarm: MakeSwarm):
    table = SwarmTable(new_swarm)
    quiet, busy, finished = b"q" * 20, b"b" * 20, b"f" * 20
    table.get_or_create(quiet, 0).announce(peer(1, at=NOW - 1000), 50, both_families=True)
    table.get_or_create(busy, 0).announce(peer(2, at=NOW - 1000), 50, both_families=True)
    table.get_or_create(busy, 0).announce(peer(3, at=NOW), 50, both_families=True)
    table.get_or_create(finished, 4).announce(peer(4, at=NOW - 1000), 50, both_families=True)
    assert table.expire(NOW - 900) == (3, 1)
    assert table.get(quiet) is None
    busy_swarm, finished_swarm = table.get(busy), table.get(finished)
    assert busy_swarm is not None and len(busy_swarm) == 1
    assert finished_swarm is not None and (len(finished_swarm), finished_swarm.downloaded) == (0, 4)


def test_new_swarm_starts_from_the_persisted_count(new_swarm: MakeSwarm):
    table = SwarmTable(new_swarm)
    assert table.get_or_create(b"x" * 20, 12).downloaded == 12
    assert table.get_or_create(b"x" * 20, 99).downloaded == 12  # only when created


def test_linked_hashes_share_one_swarm(new_swarm: MakeSwarm):
    table = SwarmTable(new_swarm)
    v1, v2 = b"1" * 20, b"2" * 20
    table.get_or_create(v2, 1).announce(peer(1, left=0), 50, both_families=True)
    table.get_or_create(v1, 2).announce(peer(2, left=0), 50, both_families=True)
    table.link(v1, v2)
    via_v2 = table.get_or_create(v2, 0).announce(peer(3), 50, both_families=True)
    assert {p.peer_id for p in via_v2.peers} == {peer(1).peer_id, peer(2).peer_id}
    assert table.get(v1) is table.get(v2)
    merged = table.get(v1)
    assert merged is not None and merged.downloaded == 3


@settings(max_examples=300, deadline=None)
@given(n=st.integers(0, 40), k=st.integers(0, 45), excluded=st.integers(-1, 45), seed=st.integers())
def test_peer_runs_never_hold_the_requester_and_are_full_and_distinct(n, k, excluded, seed):
    from torrentstack.tracker.swarm import _PeerSet

    random.seed(seed)
    peers = _PeerSet()
    for i in range(n):
        peers.add(peer(i))
    exclude = peer(excluded).key if excluded >= 0 else None
    picked = peers.sample(k, exclude)
    keys = [p.key for p in picked]
    assert exclude not in keys
    assert len(set(keys)) == len(keys)
    present = exclude is not None and 0 <= excluded < n
    assert len(picked) == min(k, n - present)
