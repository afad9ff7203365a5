"""Per-torrent completed counts: read from memory, written to the database in batches.

The announce path never waits for the database (SQLite has one writer). Increments wait in
`pending` until `flush()`, which a background loop calls every second and again at shutdown;
a crash loses at most that second of increments.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

Writer = Callable[[Mapping[bytes, int]], Awaitable[None]]


class CompletedCounts:
    """The persisted completed count of every torrent that ever had one."""

    def __init__(self, writer: Writer, loaded: Mapping[bytes, int] | None = None) -> None:
        self._writer = writer
        self._counts: dict[bytes, int] = dict(loaded or {})
        self.pending: dict[bytes, int] = {}

    def get(self, info_hash: bytes) -> int:
        """Return the persisted count (what a newly created swarm entry starts from)."""
        return self._counts.get(info_hash, 0)

    def replace(self, loaded: Mapping[bytes, int]) -> None:
        self._counts = dict(loaded)
        for info_hash, n in self.pending.items():
            self._counts[info_hash] = self._counts.get(info_hash, 0) + n

    def increment(self, info_hash: bytes) -> None:
        self._counts[info_hash] = self._counts.get(info_hash, 0) + 1
        self.pending[info_hash] = self.pending.get(info_hash, 0) + 1

    async def flush(self) -> int:
        """Write pending increments; on failure keep them for the next try. Returns how many."""
        if not self.pending:
            return 0
        batch, self.pending = self.pending, {}
        try:
            await self._writer(batch)
        except BaseException:
            for info_hash, n in batch.items():
                self.pending[info_hash] = self.pending.get(info_hash, 0) + n
            raise
        return sum(batch.values())
