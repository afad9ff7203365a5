"""The `SwarmStore` protocol: where swarms live (this process's memory, or Redis shared by many).

Both stores pass the same behavioural test suite (tests/tracker/test_store.py).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from torrentstack.tracker.swarm import AnnounceOutcome, Peer, SwarmCounts

# The persisted completed count of a torrent, read whenever a swarm entry is created.
CompletedLookup = Callable[[bytes], int]


@dataclass(frozen=True, slots=True)
class Totals:
    """Tracker-wide counts for the stats endpoint."""

    torrents: int
    seeders: int
    leechers: int
    completed: int


class SwarmStore(Protocol):
    async def announce(
        self, info_hash: bytes, peer: Peer, numwant: int, *, both_families: bool
    ) -> AnnounceOutcome:
        """Apply an announce (creating the swarm with its persisted count) and choose peers."""
        ...

    async def scrape(self, info_hashes: Sequence[bytes]) -> list[SwarmCounts | None]:
        """Return each hash's counts, None for a hash that is not tracked."""
        ...

    async def torrents(self, offset: int, limit: int) -> list[tuple[bytes, SwarmCounts]]:
        """Return tracked torrents ordered by info hash."""
        ...

    async def torrent(self, info_hash: bytes) -> tuple[SwarmCounts, list[Peer]] | None:
        """Return one torrent's counts and peers, or None when it is not tracked."""
        ...

    async def totals(self) -> Totals: ...

    async def expire(self, cutoff: float) -> tuple[int, int]:
        """Drop peers last seen before `cutoff`, then peerless swarms with no completed count."""
        ...

    async def link(self, primary: bytes, alias: bytes) -> None:
        """Make two hashes of one hybrid torrent (v1, truncated v2) share a swarm."""
        ...

    async def close(self) -> None: ...
