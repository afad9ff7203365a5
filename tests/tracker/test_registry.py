"""The Registry seam: a site's members announce with their passkeys, transfers come back batched."""

from __future__ import annotations

import pytest

from tests.support.tracker import client_for
from tests.support.wire import HASH_A, HASH_B, announce_query, decoded
from tests.tracker.site_registry import BANNED, PASSKEY, SiteRegistry
from torrentstack.tracker.http import TrackerHttpApp
from torrentstack.tracker.policy import TransferDelta

pytestmark = pytest.mark.database


async def announce(tracker, query, key=PASSKEY, ip="10.0.0.1"):
    async with client_for(TrackerHttpApp(tracker, None), ip) as client:  # type: ignore[arg-type]
        return decoded((await client.get(f"/announce/{key}?{query}")).content)


async def test_members_announce_and_the_registry_decides_per_torrent(make_runtime):
    registry = SiteRegistry()
    tracker = (await make_runtime(registry=registry, mode="private")).tracker
    assert (await announce(tracker, announce_query(left=0)))[b"complete"] == 1
    assert registry.lookups == 1  # one registry lookup per announce
    refused = await announce(tracker, announce_query(HASH_B))
    assert refused[b"failure reason"] == b"Unregistered torrent"
    banned = await announce(tracker, announce_query(), key=BANNED)
    assert banned[b"failure reason"] == b"Your account is disabled"
    stranger = await announce(tracker, announce_query(), key="X" * 32)
    assert b"Failed to read key" in stranger[b"failure reason"]


async def test_transfer_deltas_are_batched_never_negative_first_announce_free(make_runtime):
    registry = SiteRegistry()
    tracker = (await make_runtime(registry=registry, mode="private")).tracker
    await announce(tracker, announce_query(uploaded=5000, downloaded=7000, event="started"))
    await announce(tracker, announce_query(uploaded=6000, downloaded=7500))
    await announce(
        tracker, announce_query(uploaded=6000, downloaded=9000, left=0, event="completed")
    )
    await announce(tracker, announce_query(uploaded=10, downloaded=10, left=0))  # client restarted
    assert registry.batches == []  # nothing is reported until the flush
    await tracker.flush()
    assert registry.batches == [
        [
            TransferDelta(PASSKEY, HASH_A, 1000, 500, 100, "none"),
            TransferDelta(PASSKEY, HASH_A, 0, 1500, 0, "completed"),
        ]
    ]
    await tracker.flush()
    assert len(registry.batches) == 1  # an empty ledger reports nothing


async def test_public_mode_never_asks_the_registry(make_runtime):
    registry = SiteRegistry()
    tracker = (await make_runtime(registry=registry)).tracker
    await announce(tracker, announce_query(uploaded=1))
    await announce(tracker, announce_query(uploaded=2))
    await tracker.flush()
    assert registry.lookups == 0 and registry.batches == []
