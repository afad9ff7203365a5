"""The compiled swarm against the Python reference: same announces, same results.

Peer choice is random only when a swarm holds more peers than are wanted; with room for all,
both implementations must hand out the same peers in the same order (they keep their lists the
same way), so these sequences compare whole outcomes.
"""

from __future__ import annotations

import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support.wire import HASH_A, HASH_B, make_peer, peer_id
from tests.tracker.native_swarm import compiled_core, configuration
from torrentstack.bittorrent.announce import AnnounceEvent, pack_endpoint
from torrentstack.tracker.connection_id import BUCKET_SECONDS
from torrentstack.tracker.swarm import AnnounceOutcome, Peer, Swarm

NOW = 1_000_000.0
ADDRESSES = ("10.0.0.1", "10.0.0.2", "2001:db8::1")


def shown(peers: list[Peer]) -> list[tuple[object, ...]]:
    return [
        (
            p.peer_id,
            p.endpoint,
            p.uploaded,
            p.downloaded,
            p.left,
            p.event,
            p.updated,
            p.completed_counted,
        )
        for p in peers
    ]


def same(a: AnnounceOutcome, b: AnnounceOutcome, *, exact: bool) -> None:
    assert (a.counts, a.uploaded_delta, a.downloaded_delta, a.known, a.completed_now) == (
        b.counts,
        b.uploaded_delta,
        b.downloaded_delta,
        b.known,
        b.completed_now,
    )
    if exact:
        assert shown(a.peers) == shown(b.peers)
    else:
        assert len(a.peers) == len(b.peers)


announce = st.tuples(
    st.integers(0, 9),  # peer number
    st.sampled_from(ADDRESSES),
    st.sampled_from([0, 0, 5, 100]),  # left
    st.integers(0, 3),  # event
    st.integers(0, 2**63 - 1) | st.integers(0, 50),  # uploaded
    st.integers(0, 50),  # downloaded
    st.integers(0, 40),  # numwant
    st.booleans(),  # both families
    st.integers(0, 5),  # seconds later
)


@settings(max_examples=300, deadline=None)
@given(steps=st.lists(announce, max_size=60), expire_at=st.integers(0, 300))
def test_compiled_swarm_matches_the_python_swarm(steps, expire_at):
    core = compiled_core()
    python, compiled = Swarm(3), core.Swarm(3)
    now = NOW
    for n, ip, left, event, up, down, numwant, both, later in steps:
        now += later
        size = len(python)
        outcomes = [
            swarm.announce(
                make_peer(
                    n, at=now, ip=ip, left=left, up=up, down=down, event=AnnounceEvent(event)
                ),
                numwant,
                both_families=both,
            )
            for swarm in (python, compiled)
        ]
        same(*outcomes, exact=numwant > size)
        assert len(python) == len(compiled)
        assert (python.complete, python.incomplete, python.downloaded) == (
            compiled.complete,
            compiled.incomplete,
            compiled.downloaded,
        )
        assert shown(list(python.peers())) == shown(list(compiled.peers()))
    cutoff = NOW + expire_at
    assert python.expire(cutoff) == compiled.expire(cutoff)
    assert shown(list(python.peers())) == shown(list(compiled.peers()))


def test_random_runs_from_a_big_swarm_hold_distinct_peers_never_the_requester():
    compiled = compiled_core().Swarm()
    for n in range(300):
        compiled.announce(make_peer(n, at=NOW, left=n % 2), 50, both_families=False)
    seen: set[bytes] = set()
    for _ in range(50):
        me = make_peer(7, at=NOW, left=1)
        peers = compiled.announce(me, 40, both_families=False).peers
        ids = [p.peer_id for p in peers]
        assert len(ids) == 40 == len(set(ids))
        assert me.peer_id not in ids
        assert all(p.left == 0 for p in peers[:40])  # 150 seeders: a leecher gets seeders first
        seen |= set(ids)
    assert len(seen) > 100  # runs start at random places


def test_merge_keeps_ours_on_a_clash_and_adds_the_count():
    core = compiled_core()
    ours, theirs = core.Swarm(1), core.Swarm(2)
    ours.announce(make_peer(1, at=NOW, left=0), 10, both_families=True)
    theirs.announce(make_peer(1, at=NOW, left=9), 10, both_families=True)
    theirs.announce(make_peer(2, at=NOW), 10, both_families=True)
    ours.merge(theirs)
    assert (ours.complete, ours.incomplete, ours.downloaded) == (1, 1, 3)
    with pytest.raises(TypeError):
        ours.merge(Swarm())


@pytest.mark.parametrize(
    ("peer_id", "endpoint"),
    [(b"short", b"\x0a\0\0\1\x1a\xe1"), (b"p" * 20, b"\x0a\0\0\1"), (b"p" * 20, b"x" * 17)],
)
def test_malformed_peers_are_refused_not_stored(peer_id, endpoint):
    compiled = compiled_core().Swarm()
    bad = Peer(peer_id, endpoint, 0, 0, 0, AnnounceEvent.NONE, NOW)
    with pytest.raises(ValueError, match="peer_id"):
        compiled.announce(bad, 10, both_families=True)
    assert len(compiled) == 0


def test_many_peers_grow_and_shrink_the_index():
    compiled = compiled_core().Swarm()
    for n in range(5000):
        compiled.announce(make_peer(n, at=NOW + n % 2), 0, both_families=True)
    assert len(compiled) == 5000
    for n in range(0, 5000, 2):
        compiled.announce(make_peer(n, at=NOW, event=AnnounceEvent.STOPPED), 0, both_families=True)
    assert len(compiled) == 2500
    assert compiled.expire(NOW + 1) == 0  # the odd ones announced at NOW + 1
    assert compiled.expire(NOW + 2) == 2500
    assert len(compiled) == 0 and list(compiled.peers()) == []


def test_configure_again_with_the_same_constants_keeps_working():
    core = compiled_core()
    core.configure(**configuration())
    swarm = core.Swarm()
    swarm.announce(make_peer(1, at=NOW), 10, both_families=True)
    stopped = make_peer(1, at=NOW, event=AnnounceEvent.STOPPED)
    assert swarm.announce(stopped, 10, both_families=True).known
    assert len(swarm) == 0  # STOPPED still means stopped


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"bucket_seconds": 61}, "cannot change"),
        ({"max_scrape_hashes": 75}, "cannot change"),
        ({"event_stopped": AnnounceEvent.STARTED}, "cannot change"),
        ({"events": tuple(AnnounceEvent)[:3]}, "event_stopped"),  # STOPPED is not among them
        ({"peer_id_length": 21}, "peer_id_length"),  # more than the key storage holds
        ({"announce_size": 97}, "announce_size"),  # shorter than the fields the C code reads
        ({"bucket_seconds": 0}, "bucket_seconds"),
        ({"events": tuple(reversed(AnnounceEvent))}, "numbered"),
    ],
)
def test_configure_refuses_changed_or_unusable_constants(change, message):
    core = compiled_core()
    with pytest.raises(ValueError, match=message):
        core.configure(**configuration(**change))
    # nothing was taken over: a 20-byte peer id still works, the events keep their numbers
    swarm = core.Swarm()
    outcome = swarm.announce(make_peer(1, at=NOW), 10, both_families=True)
    assert outcome.counts.incomplete == 1
    done = swarm.announce(
        make_peer(1, at=NOW, event=AnnounceEvent.COMPLETED), 10, both_families=True
    )
    assert done.completed_now


# ---- the UDP fast path calling back into Python: borrowed state must not be used afterwards --
# (a use after free here shows in scripts/sanitized-tracker-tests, which runs under ASan)

CLIENT = pack_endpoint("10.0.0.1", 50000)
ID = 0x1122334455667788


def fast_path(core, swarms, aliases, *, lookup=None, on_completed=None):
    return core.UdpFastPath(
        swarms,
        aliases,
        {CLIENT[:4]: (ID, int(NOW) // BUCKET_SECONDS)},  # an id Python has checked
        lookup or (lambda info_hash: 0),
        lambda info_hash: 0,
        on_completed or (lambda info_hash: None),
        interval=120,
        numwant_default=50,
        numwant_max=50,
        max_scrape=74,
    )


def udp_announce(info_hash: bytes, *, event: int, left: int) -> bytes:
    fields = (ID, 1, 9, info_hash, peer_id(1), 0, left, 0, event, 0, bytes(4), -1, 6881)
    return struct.pack(">QII20s20sqqqII4siH", *fields)


def test_a_completed_callback_that_drops_the_swarm_does_not_change_the_reply():
    core = compiled_core()
    swarms: dict[bytes, object] = {}
    done: list[bytes] = []

    def on_completed(info_hash: bytes) -> None:
        done.append(info_hash)
        swarms.clear()  # the swarm the reply was built from is freed here

    fast = fast_path(core, swarms, {}, on_completed=on_completed)
    assert fast.answer(udp_announce(HASH_A, event=2, left=5), CLIENT, NOW, None) is not None
    reply = fast.answer(udp_announce(HASH_A, event=1, left=0), CLIENT, NOW, None)
    assert done == [HASH_A]
    # action, txid, interval, leechers, seeders: the swarm as this announce left it
    assert reply == struct.pack(">IIIII", 1, 9, 120, 0, 1)


def test_a_lookup_that_drops_the_alias_still_creates_the_primary_swarm():
    core = compiled_core()
    primary = bytes(HASH_B)  # held only by the aliases dict below
    aliases = {HASH_A: bytes(bytearray(primary))}
    swarms: dict[bytes, object] = {}

    def lookup(info_hash: bytes) -> int:
        aliases.clear()  # frees the canonical hash the fast path is holding
        return 4

    fast = fast_path(core, swarms, aliases, lookup=lookup)
    reply = fast.answer(udp_announce(HASH_A, event=2, left=5), CLIENT, NOW, None)
    assert reply == struct.pack(">IIIII", 1, 9, 120, 1, 0)
    assert list(swarms) == [primary]
    assert swarms[primary].downloaded == 4
