"""The tracker's core, shared by the HTTP and UDP front ends and the admin API.

`Tracker.announce` and `Tracker.scrape` take parsed wire values and return values; the front ends
turn them into bytes. Durable state goes through `repository`; counters feed the stats endpoint.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from torrentstack.bittorrent.announce import Announce, AnnounceEvent
from torrentstack.cache import CacheError
from torrentstack.clock import Clock
from torrentstack.config import TrackerSettings
from torrentstack.periodic import Periodic, describe
from torrentstack.tracker import repository
from torrentstack.tracker.completed import CompletedCounts
from torrentstack.tracker.policy import AccessPolicy, AuthKey, Registry, TrackerMode, TransferDelta
from torrentstack.tracker.stats import RequestCounters
from torrentstack.tracker.store import SwarmStore
from torrentstack.tracker.swarm import Peer

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class AnnounceReply:
    interval: int
    min_interval: int
    complete: int
    incomplete: int
    peers: list[Peer]


@dataclass(frozen=True, slots=True)
class Rejected:
    """An announce the tracker refuses; the reason goes to the client as `failure reason`."""

    reason: str


REASON_UNAVAILABLE = "Tracker temporarily unavailable, try again later"

ScrapeRow = tuple[bytes, int, int, int]  # info_hash, complete, downloaded, incomplete


class Tracker:
    """Announce/scrape logic over a swarm store, an access policy and persisted counts."""

    def __init__(
        self,
        settings: TrackerSettings,
        *,
        engine: AsyncEngine,
        store: SwarmStore,
        completed: CompletedCounts,
        registry: Registry,
        clock: Clock,
    ) -> None:
        self.settings = settings
        self.engine = engine
        self.store = store
        self.completed = completed
        self.policy = AccessPolicy(TrackerMode(settings.mode), registry)
        self.registry = registry
        self.clock = clock
        self.counters = RequestCounters()
        self.ledger: list[TransferDelta] = []
        self.store_failures = 0  # announces and scrapes failed since the store last answered
        self.expiry = Periodic("tracker-expire", self.expire, settings.cleanup_interval)
        self.flusher = Periodic("tracker-flush", self.flush, 1.0)

    async def load(self) -> None:
        """Read whitelist, keys, completed counts and hash links from the database."""
        self.policy.replace_whitelist(await repository.load_whitelist(self.engine))
        self.policy.replace_keys(await repository.load_keys(self.engine))
        self.completed.replace(await repository.load_completed(self.engine))
        for alias, primary in (await repository.load_links(self.engine)).items():
            await self.store.link(primary, alias)

    # --- the wire operations -------------------------------------------------------------------

    async def announce(
        self,
        request: Announce,
        *,
        endpoint: bytes,
        key: str | None,
        both_families: bool,
    ) -> AnnounceReply | Rejected:
        """Apply an announce from `endpoint` (packed address + the announced port)."""
        now = self.clock()
        policy = self.policy
        member = None
        if policy.mode is not TrackerMode.PUBLIC:
            reason, member = await policy.check(request.info_hash, key, now)
            if reason is not None:
                return Rejected(reason)
        settings = self.settings
        numwant = request.numwant
        numwant = (
            settings.numwant_default if numwant is None else min(numwant, settings.numwant_max)
        )
        peer = Peer(
            request.peer_id,
            endpoint,
            request.uploaded,
            request.downloaded,
            request.left,
            request.event,
            now,
        )
        try:
            outcome = await self.store.announce(
                request.info_hash, peer, numwant, both_families=both_families
            )
        except CacheError as exc:
            self._store_failed("announce", exc)
            return Rejected(REASON_UNAVAILABLE)
        if self.store_failures:
            self._store_back()
        if outcome.completed_now:
            self.completed.increment(request.info_hash)
        # a member's movement, and every completion (a snatch, even with nothing left to count)
        moved = outcome.uploaded_delta or outcome.downloaded_delta or outcome.completed_now
        if member is not None and outcome.known and moved:
            self.ledger.append(
                TransferDelta(
                    member.passkey,
                    request.info_hash,
                    outcome.uploaded_delta,
                    outcome.downloaded_delta,
                    request.left,
                    request.event.name.lower(),
                )
            )
        counts = outcome.counts
        return AnnounceReply(
            settings.announce_interval,
            settings.min_announce_interval,
            counts.complete,
            counts.incomplete,
            outcome.peers,
        )

    async def scrape(self, info_hashes: Sequence[bytes], key: str | None) -> list[ScrapeRow]:
        """Return counts per hash; hashes the requester may not see (or unknown) get zeros."""
        # One row per hash asked, repeats included (BEP 15 answers by position).
        hashes = list(info_hashes)[: self.settings.max_scrape_torrents]
        now = self.clock()
        visible = [
            self.policy.mode is TrackerMode.PUBLIC or await self.policy.may_scrape(h, key, now)
            for h in hashes
        ]
        shown = [h for h, ok in zip(hashes, visible, strict=True) if ok]
        try:
            counts = await self.store.scrape(shown)
        except CacheError as exc:
            self._store_failed("scrape", exc)
            counts = [None] * len(shown)
        else:
            if self.store_failures and shown:  # no hash shown: the store was not asked
                self._store_back()
        found = iter(counts)
        rows: list[ScrapeRow] = []
        for info_hash, ok in zip(hashes, visible, strict=True):
            if not ok:
                rows.append((info_hash, 0, 0, 0))
                continue
            c = next(found)
            if c is None:  # no swarm now; its completed count may still be on record
                rows.append((info_hash, 0, self.completed.get(info_hash), 0))
            else:
                rows.append((info_hash, c.complete, c.downloaded, c.incomplete))
        return rows

    def _store_failed(self, operation: str, exc: CacheError) -> None:
        """Count a store failure; log the first of an outage only (load would flood the log)."""
        self.store_failures += 1
        if self.store_failures == 1:
            logger.warning(
                "%s failed: swarm store unavailable (%s); answering %r until it is back",
                operation,
                describe(exc),
                REASON_UNAVAILABLE,
            )

    def _store_back(self) -> None:
        logger.warning("swarm store available again after %d failed requests", self.store_failures)
        self.store_failures = 0

    # --- administration (the Torrust API) ------------------------------------------------------

    async def whitelist_add(self, info_hash: bytes) -> None:
        await repository.add_to_whitelist(self.engine, info_hash)
        self.policy.whitelist.add(info_hash)

    async def whitelist_remove(self, info_hash: bytes) -> None:
        await repository.remove_from_whitelist(self.engine, info_hash)
        self.policy.whitelist.discard(info_hash)

    async def whitelist_reload(self) -> None:
        self.policy.replace_whitelist(await repository.load_whitelist(self.engine))

    async def key_add(self, key: AuthKey) -> bool:
        """Store a key; False when it exists already."""
        if not await repository.save_key(self.engine, key):
            return False
        self.policy.keys[key.key] = key
        return True

    async def key_remove(self, key: str) -> bool:
        existed = await repository.delete_key(self.engine, key)
        return self.policy.keys.pop(key, None) is not None or existed

    async def keys_reload(self) -> None:
        self.policy.replace_keys(await repository.load_keys(self.engine))

    async def link(self, primary: bytes, alias: bytes) -> None:
        """Let a hybrid torrent's two hashes (v1, truncated v2) share one swarm (BEP 52)."""
        await repository.save_link(self.engine, primary, alias)
        await self.store.link(primary, alias)

    # --- background work -----------------------------------------------------------------------

    async def expire(self) -> tuple[int, int]:
        """Drop peers silent for longer than the peer timeout."""
        return await self.store.expire(self.clock() - self.settings.peer_timeout)

    async def flush(self) -> None:
        """Write completed counts and hand transfer deltas to the registry.

        Whatever fails stays pending for the next flush; the ledger is tried even when the
        completed counts fail, and a failure is raised afterwards.
        """
        try:
            await self.completed.flush()
        finally:
            if self.ledger:
                batch, self.ledger = self.ledger, []
                try:
                    await self.registry.record_transfers(batch)
                except BaseException:
                    self.ledger[:0] = batch  # older deltas first, as they happened
                    raise

    async def run_background(self, stop: asyncio.Event) -> None:
        """Expire peers and flush counts until `stop`, then flush one last time.

        A failing run (Redis or the database gone) is logged and retried on the next tick;
        it never stops the other loops or the process.
        """
        async with asyncio.TaskGroup() as group:
            for job in (self.expiry, self.flusher):
                group.create_task(job.run(stop), name=job.name)
        if not await self.flusher.tick():
            logger.error(
                "tracker: counts and transfers not saved at stop: %d pending", self.pending
            )

    @property
    def pending(self) -> int:
        """Completed increments and transfer deltas not yet written."""
        return sum(self.completed.pending.values()) + len(self.ledger)


def event_name(event: AnnounceEvent) -> str:
    """Torrust's spelling of an announce event in the admin API ("Started", "None" ...)."""
    return event.name.capitalize()
