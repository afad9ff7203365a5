"""The tracker's background loops (expiry, flush) survive a failing store, database or registry."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

import pytest

from tests.support.tracker import client_for
from tests.support.wire import announce_query, decoded
from tests.tracker.site_registry import PASSKEY, SiteRegistry
from torrentstack.cache import CacheError
from torrentstack.errors import DatabaseError
from torrentstack.tracker.http import TrackerHttpApp
from torrentstack.tracker.policy import TransferDelta
from torrentstack.tracker.service import Tracker

pytestmark = pytest.mark.database


class ExpireFails:
    """Wraps a swarm store; `expire` raises (Redis gone) its first `failures` times."""

    def __init__(self, store, failures: int) -> None:
        self._store = store
        self.left_to_fail = failures
        self.expired = asyncio.Event()

    def __getattr__(self, name):
        return getattr(self._store, name)

    async def expire(self, cutoff: float) -> tuple[int, int]:
        if self.left_to_fail:
            self.left_to_fail -= 1
            raise CacheError("redis script failed: ConnectionError", operation="script")
        result = await self._store.expire(cutoff)
        self.expired.set()
        return result


class FlakyRegistry(SiteRegistry):
    """A site whose database refuses the first `failures` transfer batches."""

    def __init__(self, failures: int) -> None:
        super().__init__()
        self.left_to_fail = failures
        self.recorded = asyncio.Event()

    async def record_transfers(self, deltas: Sequence[TransferDelta]) -> None:
        if self.left_to_fail:
            self.left_to_fail -= 1
            raise DatabaseError("site: cannot record transfers: OperationalError")
        await super().record_transfers(deltas)
        self.recorded.set()


async def announce(tracker, query, path="/announce"):
    async with client_for(TrackerHttpApp(tracker, None)) as client:  # type: ignore[arg-type]
        return decoded((await client.get(f"{path}?{query}")).content)


def fast_ticks(tracker: Tracker) -> None:
    """Tick the background loops as fast as the event loop turns (the test awaits conditions)."""
    tracker.expiry.interval = 0.0
    tracker.flusher.interval = 0.0


async def test_background_survives_a_store_whose_expire_raises(make_runtime, caplog):
    tracker = (await make_runtime()).tracker
    store = ExpireFails(tracker.store, failures=3)
    tracker.store = store  # type: ignore[assignment]
    await announce(tracker, announce_query(n=1, event="started"))
    await announce(tracker, announce_query(n=1, left=0, event="completed"))
    assert tracker.completed.pending
    fast_ticks(tracker)
    stop = asyncio.Event()
    with caplog.at_level(logging.WARNING):
        task = asyncio.create_task(tracker.run_background(stop))
        await asyncio.wait_for(store.expired.wait(), timeout=10)
        assert not task.done()  # the failures stopped nothing
        stop.set()
        await asyncio.wait_for(task, timeout=10)
    assert tracker.expiry.failures == 3 and tracker.expiry.runs >= 1
    assert tracker.flusher.runs >= 1 and not tracker.completed.pending  # flushing went on
    failures = [r.getMessage() for r in caplog.records if " failed: " in r.getMessage()]
    assert len(failures) == 1  # one line for the streak of three
    assert failures[0].startswith(
        "tracker-expire failed: CacheError: redis script failed: ConnectionError"
        " (at test_background.py:"
    )


async def test_failed_transfer_batches_are_kept_and_sent_on_a_later_flush(make_runtime):
    registry = FlakyRegistry(failures=2)
    tracker = (await make_runtime(registry=registry, mode="private")).tracker
    path = f"/announce/{PASSKEY}"
    await announce(tracker, announce_query(uploaded=100, event="started"), path=path)
    await announce(tracker, announce_query(uploaded=300), path=path)
    with pytest.raises(DatabaseError):
        await tracker.flush()
    assert tracker.pending == 1  # kept for the next flush
    fast_ticks(tracker)
    stop = asyncio.Event()
    task = asyncio.create_task(tracker.run_background(stop))
    await asyncio.wait_for(registry.recorded.wait(), timeout=10)
    stop.set()
    await asyncio.wait_for(task, timeout=10)
    assert [[d.uploaded for d in batch] for batch in registry.batches] == [[200]]
    assert tracker.flusher.failures == 1 and tracker.pending == 0


async def test_a_failing_last_flush_at_stop_is_logged_not_raised(make_runtime, caplog):
    registry = FlakyRegistry(failures=1_000)
    tracker = (await make_runtime(registry=registry, mode="private")).tracker
    await announce(tracker, announce_query(uploaded=1, event="started"), f"/announce/{PASSKEY}")
    await announce(tracker, announce_query(uploaded=2), f"/announce/{PASSKEY}")
    stop = asyncio.Event()
    stop.set()
    with caplog.at_level(logging.WARNING):
        await asyncio.wait_for(tracker.run_background(stop), timeout=10)
    assert "not saved at stop: 1 pending" in caplog.text
