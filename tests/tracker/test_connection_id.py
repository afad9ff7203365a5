"""Stateless connection ids: bound to the address, alive 2-3 minutes, keyed per process."""

from __future__ import annotations

from torrentstack.bittorrent.announce import pack_endpoint
from torrentstack.tracker.connection_id import ConnectionIds

ADDRESS = pack_endpoint("10.0.0.1", 6881)
NOW = 1_800_000_000.0


def test_valid_for_the_issuing_address_for_at_least_two_minutes():
    ids = ConnectionIds(b"k" * 32)
    cid = ids.issue(ADDRESS, NOW)
    assert all(ids.valid(cid, ADDRESS, NOW + dt) for dt in (0, 59, 60, 119))
    assert not ids.valid(cid, ADDRESS, NOW + 181)
    assert not ids.valid(cid, ADDRESS, NOW - 61)  # not before it was issued


def test_bound_to_the_ip_and_secret_not_the_port():
    ids = ConnectionIds(b"k" * 32)
    cid = ids.issue(ADDRESS, NOW)
    assert not ids.valid(cid, pack_endpoint("10.0.0.2", 6881), NOW)
    assert not ids.valid(cid, pack_endpoint("2001:db8::1", 6881), NOW)
    # libtorrent sends one cached id from all its sockets: another port of the same IP is fine
    assert ids.valid(cid, pack_endpoint("10.0.0.1", 6882), NOW)
    assert not ConnectionIds(b"x" * 32).valid(cid, ADDRESS, NOW)
    assert not ids.valid(cid ^ 1, ADDRESS, NOW)


def test_ids_are_unpredictable_across_processes():
    assert ConnectionIds().issue(ADDRESS, NOW) != ConnectionIds().issue(ADDRESS, NOW)
