"""`sync/torrentPeers` diffs: a table of replies for a sequence of polls, and the property that
a client merging the replies always holds the current peers, whatever it acknowledges."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from torrentstack.qbittorrent.peer_sync import PeerSync, apply_reply, diff_peers

A = {"ip": "10.0.0.1", "port": 1, "dl_speed": 0, "progress": 0.5}
B = {"ip": "10.0.0.2", "port": 2, "dl_speed": 7, "progress": 1.0}


def test_diff_peers_table():
    assert diff_peers({}, {"a": A}) == ({"a": A}, [])
    assert diff_peers({"a": A}, {"a": A}) == ({}, [])
    assert diff_peers({"a": A}, {"a": {**A, "dl_speed": 5}}) == ({"a": {"dl_speed": 5}}, [])
    assert diff_peers({"a": A, "b": B}, {"b": B}) == ({}, ["a"])
    assert diff_peers({"a": A}, {"b": B}) == ({"b": B}, ["a"])


def test_poll_sequence():
    sync = PeerSync()
    first = sync.poll(0, {"a": A})
    assert first == {"full_update": True, "peers": {"a": A}, "show_flags": True, "rid": 1}
    assert sync.poll(1, {"a": A}) == {"rid": 2}  # nothing changed: no `peers` at all
    changed = sync.poll(2, {"a": {**A, "progress": 0.75}, "b": B})
    assert changed == {"peers": {"a": {"progress": 0.75}, "b": B}, "rid": 3}
    assert sync.poll(3, {"b": B}) == {"peers_removed": ["a"], "rid": 4}
    # an rid that is not the last reply's: a full update
    assert sync.poll(99, {"b": B})["full_update"] is True
    # rid 0 again: a full update and rid 1
    assert sync.poll(0, {"b": B}) == {
        "full_update": True, "peers": {"b": B}, "show_flags": True, "rid": 1,
    }  # fmt: skip


def test_rid_wraps():
    sync = PeerSync(last_rid=1_000_000, last={}, accepted_rid=0, accepted=None)
    assert sync.poll(1_000_000, {})["rid"] == 1


peer = st.fixed_dictionaries(
    {"dl_speed": st.integers(0, 3), "progress": st.sampled_from([0.0, 0.5, 1.0]),
     "flags": st.sampled_from(["", "D", "U"])}
)  # fmt: skip
states = st.dictionaries(st.sampled_from(["p1", "p2", "p3", "p4"]), peer, max_size=4)


@given(st.lists(st.tuples(states, st.sampled_from(["ack", "zero", "stale"])), min_size=1))
def test_merged_replies_are_the_current_peers(polls: list[tuple[dict[str, Any], str]]):
    sync = PeerSync()
    held: dict[str, Any] = {}
    rid = 0
    for peers, how in polls:
        sent = {"ack": rid, "zero": 0, "stale": rid + 7}[how]
        reply = sync.poll(sent, peers)
        if how != "ack" or rid == 0:
            assert reply.get("full_update") is True
        held = apply_reply(held, reply)
        rid = reply["rid"]
        assert held == peers
