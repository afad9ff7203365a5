"""The default swarm store: a `SwarmTable` in this process's memory."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from torrentstack.tracker import native
from torrentstack.tracker.store import CompletedLookup, Totals
from torrentstack.tracker.swarm import AnnounceOutcome, AnySwarm, Peer, SwarmCounts, SwarmTable


class MemorySwarmStore:
    """Swarms in a dict; every method finishes without awaiting anything.

    Swarms are the compiled ones when they were built (`native.make_swarm`), else swarm.Swarm.
    """

    def __init__(
        self, completed: CompletedLookup, make_swarm: Callable[[int], AnySwarm] | None = None
    ) -> None:
        self.table = SwarmTable(make_swarm or native.make_swarm)
        self.completed_lookup = completed

    async def announce(
        self, info_hash: bytes, peer: Peer, numwant: int, *, both_families: bool
    ) -> AnnounceOutcome:
        table = self.table
        swarm = table.get(info_hash)
        if swarm is None:
            swarm = table.get_or_create(
                info_hash, self.completed_lookup(table.canonical(info_hash))
            )
        return swarm.announce(peer, numwant, both_families=both_families)

    async def scrape(self, info_hashes: Sequence[bytes]) -> list[SwarmCounts | None]:
        out: list[SwarmCounts | None] = []
        for info_hash in info_hashes:
            swarm = self.table.get(info_hash)
            out.append(None if swarm is None else swarm.counts())
        return out

    async def torrents(self, offset: int, limit: int) -> list[tuple[bytes, SwarmCounts]]:
        swarms = self.table.swarms
        chosen = sorted(swarms)[offset : offset + limit]
        return [(info_hash, swarms[info_hash].counts()) for info_hash in chosen]

    async def torrent(self, info_hash: bytes) -> tuple[SwarmCounts, list[Peer]] | None:
        swarm = self.table.get(info_hash)
        return None if swarm is None else (swarm.counts(), list(swarm.peers()))

    async def totals(self) -> Totals:
        seeders = leechers = completed = 0
        for swarm in self.table.swarms.values():
            seeders += swarm.complete
            leechers += swarm.incomplete
            completed += swarm.downloaded
        return Totals(len(self.table.swarms), seeders, leechers, completed)

    async def expire(self, cutoff: float) -> tuple[int, int]:
        return self.table.expire(cutoff)

    async def link(self, primary: bytes, alias: bytes) -> None:
        self.table.link(primary, alias)

    async def close(self) -> None:
        return None
