"""One searchee's queries sent to every eligible indexer at once (cross-seed's `makeRequests`).

An indexer is searched when its caps are known and allow searching and the searchee's media
type (`Caps.supports`), and it is not backing off; the others are reported as skipped with the
reason. A failing indexer is reported with its error; it never fails the others.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from torrentstack.crossseed.media import MediaType
from torrentstack.crossseed.release import Release
from torrentstack.crossseed.searchee import Candidate
from torrentstack.crossseed.torznab.caps import Caps
from torrentstack.crossseed.torznab.errors import TorznabError
from torrentstack.crossseed.torznab.queries import MediaIds, Query, search_queries

logger = logging.getLogger(__name__)


class SearchableIndexer(Protocol):
    """What the fan-out needs of an indexer (`TorznabIndexer` is one)."""

    name: str
    known_caps: Caps | None

    def snoozed_until(self) -> float | None: ...

    async def search(self, query: Query) -> list[Candidate]: ...


@dataclass(frozen=True, slots=True)
class IndexerResult:
    """One indexer's answer: its candidates, or the error it gave, or why it was skipped."""

    indexer: SearchableIndexer
    candidates: tuple[Candidate, ...] = ()
    error: TorznabError | None = None
    skipped: str | None = None

    @property
    def searched(self) -> bool:
        return self.skipped is None


def skip_reason(indexer: SearchableIndexer, media: MediaType) -> str | None:
    """Why `indexer` is not to be searched for `media` now, or None if it is."""
    caps = indexer.known_caps
    if caps is None:
        return "caps unknown"
    if not caps.search:
        return "no search"
    if not caps.supports(media):
        return f"no {media} categories or search mode"
    if indexer.snoozed_until() is not None:
        return "backing off"
    return None


async def search_indexers(
    indexers: Sequence[SearchableIndexer],
    release: Release,
    media: MediaType,
    *,
    ids: MediaIds | None = None,
) -> list[IndexerResult]:
    """Search every eligible indexer in parallel; one result per indexer, in the given order."""

    async def one(indexer: SearchableIndexer) -> IndexerResult:
        reason = skip_reason(indexer, media)
        if reason is not None:
            return IndexerResult(indexer, skipped=reason)
        assert indexer.known_caps is not None  # noqa: S101 - checked by skip_reason
        seen: dict[str, Candidate] = {}
        for query in search_queries(release, media, indexer.known_caps, ids):
            try:
                found = await indexer.search(query)
            except TorznabError as exc:
                logger.warning("%s: search failed: %s", indexer.name, exc)
                return IndexerResult(indexer, tuple(seen.values()), error=exc)
            for candidate in found:
                seen.setdefault(candidate.guid, candidate)
        return IndexerResult(indexer, tuple(seen.values()))

    return list(await asyncio.gather(*(one(indexer) for indexer in indexers)))
