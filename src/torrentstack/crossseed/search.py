"""Searching the indexers for searchees (webhook, full search) and downloading listings.

A searchee's name is parsed into the query each indexer's caps allow; every eligible indexer is
asked in parallel; what they list is assessed (and acted on) by the pipeline. A full search
groups searchees by query (one search serves the group), waits `delay` seconds between searches
that reach an indexer, stops an indexer at `search_limit` queries, and skips searchees searched
within `exclude_recent_search` or first searched before `exclude_older` on every indexer.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from torrentstack.config import CrossseedSettings
from torrentstack.crossseed.decision import Decision
from torrentstack.crossseed.media import media_type
from torrentstack.crossseed.pipeline import CrossSeeder
from torrentstack.crossseed.prefilter import FilterOptions, Trigger, why_excluded
from torrentstack.crossseed.release import parse_release
from torrentstack.crossseed.searchee import Candidate, Metafile, Searchee
from torrentstack.crossseed.store import CrossseedStore
from torrentstack.crossseed.torznab.client import LinkSnatcher, TorznabIndexer
from torrentstack.crossseed.torznab.errors import TorznabError
from torrentstack.crossseed.torznab.queries import search_key
from torrentstack.crossseed.torznab.search import IndexerResult, search_indexers

logger = logging.getLogger(__name__)

Progress = Callable[[int, int, Searchee], None]


def _host(url: str | None) -> str | None:
    try:
        return urlsplit(url or "").hostname
    except ValueError:
        return None


class Searcher:
    """The indexers' side of the daemon."""

    def __init__(
        self,
        seeder: CrossSeeder,
        indexers: list[TorznabIndexer],
        store: CrossseedStore,
        *,
        snatch_timeout: float = 30.0,
    ) -> None:
        self.seeder = seeder
        self.indexers = indexers  # shared with the runtime, which adds the site's feed
        self.store = store
        self.links = LinkSnatcher(timeout=snatch_timeout)

    async def snatch(self, candidate: Candidate) -> Metafile | Decision:
        """Download a listing through its indexer (its limits and back-off), or directly."""
        for indexer in self.indexers:
            if candidate.indexer_id is not None and indexer.indexer_id == candidate.indexer_id:
                return await indexer.snatch(candidate)
        host = _host(candidate.link)
        for indexer in self.indexers:
            if host is not None and _host(indexer.url.base) == host:
                return await indexer.snatch(candidate)
        return await self.links.snatch(candidate)

    async def update_caps(self) -> None:
        for indexer in self.indexers:
            try:
                await indexer.caps()
            except TorznabError as exc:
                logger.warning("%s: caps unavailable: %s", indexer.name, exc)

    async def search(
        self, searchee: Searchee, options: FilterOptions, output_dir: Path | None = None
    ) -> int:
        """Search every indexer for one searchee; the number of matches acted on (with the
        request's options; saved into `output_dir` when one is given)."""
        actions = self.seeder.actions
        if output_dir is not None:
            actions = actions.saving_to(output_dir)
        seeder = self.seeder.acting_with(actions, options)
        return await self._assess(searchee, await self._query(searchee), seeder)

    async def _query(self, searchee: Searchee) -> list[IndexerResult]:
        if any(i.known_caps is None for i in self.indexers):
            await self.update_caps()
        release = parse_release(searchee.title)
        kind = media_type(searchee.title, searchee.files)
        return await search_indexers(self.indexers, release, kind)

    async def _assess(
        self, searchee: Searchee, results: list[IndexerResult], seeder: CrossSeeder | None = None
    ) -> int:
        seeder = seeder or self.seeder
        matches = 0
        for result in results:
            if not result.searched or result.error is not None:
                continue
            await self.store.searched(searchee, result.indexer.name)
            assessments = await seeder.search_candidates(searchee, result.candidates)
            matches += sum(1 for a in assessments if a.decision.is_match)
        return matches

    async def search_all(
        self,
        searchees: Sequence[Searchee],
        options: FilterOptions,
        settings: CrossseedSettings,
        progress: Progress | None = None,
        sleep: Callable[[float], object] = asyncio.sleep,
    ) -> int:
        """One full search run; the number of matches acted on."""
        wanted = [s for s in searchees if why_excluded(s, Trigger.SEARCH, options) is None]
        now = datetime.now(UTC)
        eligible = [s for s in wanted if await self._due(s, settings, now)]
        groups: dict[str, list[Searchee]] = {}
        for s in eligible:
            key = search_key(parse_release(s.title), media_type(s.title, s.files))
            groups.setdefault(key, []).append(s)
        matches = 0
        done = 0
        for searches, members in enumerate(groups.values()):
            if settings.search_limit and searches >= settings.search_limit:
                break
            if searches:
                await sleep(settings.delay)  # type: ignore[misc]
            results = await self._query(members[0])  # one search serves the group
            for searchee in members:
                matches += await self._assess(searchee, results)
                done += 1
                if progress is not None:
                    progress(done, len(eligible), searchee)
        return matches

    async def _due(self, searchee: Searchee, settings: CrossseedSettings, now: datetime) -> bool:
        if settings.exclude_recent_search is None and settings.exclude_older is None:
            return True
        stamps = await self.store.last_searched(searchee)
        if not stamps or len(stamps) < len(self.indexers):
            return True
        first = min(f for f, _ in stamps.values())
        last = min(when for _, when in stamps.values())
        if (
            settings.exclude_older is not None
            and (now - first).total_seconds() > settings.exclude_older
        ):
            return False
        recent = settings.exclude_recent_search
        return not (recent is not None and (now - last).total_seconds() < recent)

    async def aclose(self) -> None:
        await self.links.aclose()
