"""The cross-seed daemon as a service of the stack: its API on :2468, the library kept fresh from
the clients (and torrent/data folders), announces and webhooks answered, jobs on their cadence.

The library is re-read from the sources every `REFRESH` seconds in the background, and when an
announce finds nothing, unless a read began after the announce arrived (concurrent announces
share one read). A qBittorrent client is read through /sync/maindata, so a read costs one small
request when nothing changed, and files are asked once per torrent.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from starlette.applications import Starlette

from torrentstack.clock import Clock
from torrentstack.config import CrossseedSettings
from torrentstack.crossseed.actions import Actions, ActionSettings
from torrentstack.crossseed.api import JobOutcome, WebhookRequest, crossseed_app
from torrentstack.crossseed.blocklist import Blocklist
from torrentstack.crossseed.clients import ClientOptions, TorrentClient, make_client
from torrentstack.crossseed.decide import MatchOptions, assess_metafile
from torrentstack.crossseed.decision import ActionResult, Decision, MatchMode
from torrentstack.crossseed.library import Library
from torrentstack.crossseed.linking import LinkType
from torrentstack.crossseed.pipeline import CrossSeeder, Response
from torrentstack.crossseed.prefilter import FilterOptions, Trigger, why_excluded
from torrentstack.crossseed.search import Searcher
from torrentstack.crossseed.searchee import Candidate, Searchee
from torrentstack.crossseed.sources.data_dirs import DataDirs
from torrentstack.crossseed.sources.torrent_dir import TorrentDir
from torrentstack.crossseed.store import CrossseedStore
from torrentstack.crossseed.torznab.client import Timeouts, TorznabIndexer
from torrentstack.crossseed.torznab.errors import TorznabError
from torrentstack.crossseed.torznab.limits import IndexerLimits, LimitPolicy
from torrentstack.serving.health import with_healthz
from torrentstack.serving.server import Listener

logger = logging.getLogger(__name__)

REFRESH = 300.0
JOB_CHECK = 60.0


def filter_options(settings: CrossseedSettings, **overrides: Any) -> FilterOptions:
    """The settings as the matching and prefilter options (webhook flags override some)."""
    include_single = overrides.get("includeSingleEpisodes", settings.include_single_episodes)
    blocklist = [] if overrides.get("ignoreBlockList") else settings.block_list
    return FilterOptions(
        match=MatchOptions(
            match_mode=MatchMode.parse(settings.match_mode),
            fuzzy_size_threshold=settings.fuzzy_size_threshold,
            include_single_episodes=include_single,
            season_from_episodes=settings.season_from_episodes,
            blocklist=Blocklist.parse(blocklist),
        ),
        include_non_videos=overrides.get("includeNonVideos", settings.include_non_videos),
        ignore_cross_seeds=overrides.get("ignoreCrossSeeds", True),
        link_category=settings.link_category,
    )


class CrossseedRuntime:
    """cross-seed's daemon over the configured (or the stack's own) clients and indexers."""

    name = "crossseed"

    def __init__(
        self,
        settings: CrossseedSettings,
        *,
        database: AsyncEngine,
        data_dir: Path,
        clock: Clock,
        api_key: str,
        clients: Sequence[str] = (),
        indexers: Sequence[str] = (),
        indexer_source: Callable[[], Awaitable[list[str]]] | None = None,
        access_log: bool = False,
    ) -> None:
        self.settings = settings
        self.api_key = api_key
        self.clock = clock
        self.access_log = access_log
        self.options = filter_options(settings)
        self.store = CrossseedStore(async_sessionmaker(database, expire_on_commit=False), clock)
        client_options = ClientOptions(
            duplicate_categories=settings.duplicate_categories, skip_recheck=settings.skip_recheck
        )
        self.clients: list[TorrentClient] = [
            make_client(entry, client_options) for entry in (*settings.torrent_clients, *clients)
        ]
        self.limits = IndexerLimits(  # one for all: a tracker's download failures count across
            LimitPolicy(
                min_interval=settings.indexer_interval, error_backoff=settings.retry_backoff
            )
        )
        self.timeouts = Timeouts(search=settings.search_timeout, snatch=settings.snatch_timeout)
        self.indexers = [self._indexer(url) for url in (*settings.torznab, *indexers)]
        self._indexer_source = indexer_source  # more indexers, found at run time (the site's)
        self._sourced: dict[str, TorznabIndexer] = {}
        output = Path(settings.output_dir) if settings.output_dir else data_dir / "cross-seeds"
        self.actions = Actions(
            ActionSettings(
                settings.action,
                output,
                settings.link_category,
                link_dir=settings.link_dirs[0] if settings.link_dirs else None,
                link_type=LinkType(settings.link_type),
                flat_linking=settings.flat_linking,
            ),
            self.clients,
        )
        self.torrent_dir = TorrentDir(settings.torrent_dir) if settings.torrent_dir else None
        self.data_dirs = (
            DataDirs(settings.data_dirs, settings.max_data_depth) if settings.data_dirs else None
        )
        self.library = Library()
        self.seeder = CrossSeeder(
            self.library,
            self.options,
            self.actions,
            self._snatch,
            self._existing,
            remember=self.store.remember,
            cached=self.store.cached,
        )
        self.searcher = Searcher(
            self.seeder, self.indexers, self.store, snatch_timeout=settings.snatch_timeout
        )
        self._read_at: float | None = None
        self._read_began = float("-inf")
        self._running: set[str] = set()
        self._last_run: dict[str, float] = {}
        self._started_at = clock()
        self._reading = asyncio.Lock()
        self._tasks: set[asyncio.Task[Any]] = set()

    # --- the library ---------------------------------------------------------------------

    @property
    def has_sources(self) -> bool:
        s = self.settings
        return bool((s.use_client_torrents and self.clients) or s.torrent_dir or s.data_dirs)

    async def refresh(self, *, unless_read_since: float | None = None) -> None:
        """Re-read every searchee source; a source that fails keeps its previous entries out.
        With `unless_read_since`, a read that began at or after that time is enough."""
        async with self._reading:
            if unless_read_since is not None and self._read_began >= unless_read_since:
                return
            self._read_began = self.clock()
            found: list[Searchee] = []
            if self.settings.use_client_torrents:
                for client in self.clients:
                    try:
                        found.extend(await client.searchees())
                    except Exception as exc:
                        logger.warning("cross-seed: cannot read %s: %s", client.label, exc)
            if self.torrent_dir is not None:
                found.extend(await self.torrent_dir.searchees())
            if self.data_dirs is not None:
                found.extend(await self.data_dirs.searchees())
            self.library.replace(found)
            self._read_at = self.clock()
        await self._source_indexers()

    async def _source_indexers(self) -> None:
        """Add the indexers the source names now (the site's feed once it has an owner)."""
        if self._indexer_source is None:
            return
        try:
            urls = await self._indexer_source()
        except Exception as exc:
            logger.warning("cross-seed: cannot look up the site's Torznab feed: %s", exc)
            return
        for url in set(self._sourced) - set(urls):
            gone = self._sourced.pop(url)
            self.indexers.remove(gone)
            await gone.aclose()
        for url in urls:
            if url not in self._sourced:
                indexer = self._indexer(url, name="site")
                await self._caps(indexer)
                self._sourced[url] = indexer
                self.indexers.append(indexer)

    async def _existing(self) -> set[str]:
        hashes = self.library.info_hashes()
        for client in self.clients:
            try:
                hashes |= await client.info_hashes()
            except Exception as exc:
                logger.warning("cross-seed: cannot list %s: %s", client.label, exc)
        return hashes

    def _indexer(self, url: str, name: str | None = None) -> TorznabIndexer:
        return TorznabIndexer(
            url, name=name, limits=self.limits, clock=self.clock, timeouts=self.timeouts
        )

    async def _caps(self, indexer: TorznabIndexer) -> None:
        try:
            await indexer.caps()
        except TorznabError as exc:
            logger.warning("%s: caps unavailable: %s", indexer.name, exc)

    async def _snatch(self, candidate: Candidate) -> Any:
        return await self.searcher.snatch(candidate)

    # --- the API's daemon ----------------------------------------------------------------

    async def announce(self, candidate: Candidate) -> tuple[int, str]:
        if not self.has_sources:
            return 503, "no searchee source configured (torrent_clients, torrent_dir, data_dirs)"
        arrived = self.clock()
        if self._read_at is None:
            await self.refresh()
        outcome = await self.seeder.announce(candidate)
        if not outcome.assessments:
            await self.refresh(unless_read_since=arrived)
            outcome = await self.seeder.announce(candidate)
        return int(outcome.response), outcome.message

    async def webhook(self, request: WebhookRequest) -> None:
        task = asyncio.create_task(self._webhook(request))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _webhook(self, request: WebhookRequest) -> None:
        try:
            searchee = self._find(request)
            if searchee is None:
                await self.refresh()
                searchee = self._find(request)
            if searchee is None:
                logger.info("webhook: no searchee for %s", request.info_hash or request.path)
                return
            await self._source_indexers()
            options = filter_options(self.settings, **request.flags)
            reason = why_excluded(searchee, Trigger.WEBHOOK, options)
            if reason is not None:
                logger.info("webhook: did not search for %s: %s", searchee.name, reason)
                return
            output = Path(request.output_dir) if request.output_dir else None
            found = await self.searcher.search(searchee, options, output)
            logger.info("webhook: %d match(es) for %s", found, searchee.name)
        except Exception:
            logger.exception("webhook search failed")

    def _find(self, request: WebhookRequest) -> Searchee | None:
        if request.info_hash:
            return self.library.by_info_hash(request.info_hash)
        return self.library.by_path(request.path or "")

    def _enabled(self, job: str) -> bool:
        s = self.settings
        return {
            "rss": s.rss_cadence is not None and bool(self.indexers),
            "search": s.search_cadence is not None and bool(self.indexers),
            "inject": s.action == "inject",
            "updateIndexerCaps": bool(self.indexers),
            "cleanup": True,
        }.get(job, False)

    def _job(self, name: str) -> Callable[[], Awaitable[Any]]:
        return {
            "rss": self.scan_rss,
            "search": self.search_all,
            "inject": self.inject_saved,
            "updateIndexerCaps": self.searcher.update_caps,
            "cleanup": self.cleanup,
        }[name]

    async def run_job(self, name: str, flags: Mapping[str, bool]) -> JobOutcome:
        """Run a job ahead of schedule (cross-seed: 404 when the job is off, 409 when running)."""
        if not self._enabled(name):
            return JobOutcome(404, f"{name}: this job is not enabled")
        if name in self._running:
            return JobOutcome(409, f"{name}: already running")
        self._spawn(name)
        return JobOutcome(200, f"{name}: running ahead of schedule")

    def _spawn(self, name: str) -> None:
        self._running.add(name)

        async def job() -> None:
            try:
                await self._job(name)()
            except Exception:
                logger.exception("cross-seed job %s failed", name)
            finally:
                self._running.discard(name)
                self._last_run[name] = self.clock()

        task = asyncio.create_task(job())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def scan_rss(self) -> int:
        """Every indexer's newest listings since the last scan, each against the library."""
        await self.refresh()
        found = 0
        since_last = self.clock() - self._last_run.get("rss", self.clock() - 86400)
        for indexer in self.indexers:
            try:
                result = await indexer.rss(
                    await self.store.last_seen_guid(indexer.name), time_since_last_run=since_last
                )
            except TorznabError as exc:
                logger.warning("rss: %s: %s", indexer.name, exc)
                continue
            for candidate in result.candidates:
                outcome = await self.seeder.announce(candidate, Trigger.RSS)
                found += outcome.response is not Response.NOTHING
            await self.store.saw_guid(indexer.name, result.last_seen_guid)
        return found

    async def cleanup(self) -> int:
        horizon = max(365 * 86400, (self.settings.exclude_recent_search or 0) + 30 * 86400)
        return await self.store.cleanup(datetime.fromtimestamp(self.clock() - horizon, UTC))

    async def _due_jobs(self) -> None:
        """Start the jobs whose cadence has come (checked every minute)."""
        s = self.settings
        cadences = {
            "rss": s.rss_cadence,
            "search": s.search_cadence,
            "inject": 3600,
            "updateIndexerCaps": 86400,
            "cleanup": 86400,
        }
        now = self.clock()
        for name, every in cadences.items():
            if every is None or not self._enabled(name) or name in self._running:
                continue
            if now - self._last_run.get(name, self._started_at) >= every:
                self._spawn(name)

    async def inject_saved(self) -> int:
        """Retry the .torrent files waiting in the output folder (failed or premature
        injections); each one injected or found in the client is removed. The number injected."""
        await self.refresh()
        existing = await self._existing()
        injected = 0
        for path, meta, tracker in await asyncio.to_thread(self.actions.saved):
            for searchee in self.seeder.similar(
                Candidate(meta.name, meta.info_hash, None, tracker, size=meta.length)
            ):
                decision = assess_metafile(searchee, meta, self.options.match, existing)
                if decision is Decision.INFO_HASH_ALREADY_EXISTS:
                    await asyncio.to_thread(path.unlink, True)
                    break
                if not decision.is_match:
                    continue
                result = await self.actions.perform(meta, searchee, decision, tracker)
                if result in (ActionResult.INJECTED, ActionResult.ALREADY_EXISTS):
                    injected += result is ActionResult.INJECTED
                    await asyncio.to_thread(path.unlink, True)
                    break
        return injected

    async def search_all(self) -> int:
        """One full search of every searchee the prefilter keeps; the matches found."""
        await self.refresh()
        return await self.searcher.search_all(list(self.library), self.options, self.settings)

    def path_exists(self, path: str) -> bool:
        return os.path.exists(path)

    def status(self) -> dict[str, Any]:
        return {
            "searchees": len(self.library),
            "clients": [c.label for c in self.clients],
            "indexers": [
                {"name": i.name, "snoozedUntil": i.snoozed_until()} for i in self.indexers
            ],
            "matchMode": self.options.match.match_mode.value,
            "action": self.settings.action,
        }

    # --- the service -----------------------------------------------------------------------

    async def start(self, health: Starlette) -> list[Listener]:
        app = with_healthz(crossseed_app(self, lambda: self.api_key), health)
        s = self.settings
        return [Listener(self.name, s.host, s.port, app, self.access_log)]

    async def run(self, stop: asyncio.Event) -> None:
        self._started_at = self.clock()
        await self.searcher.update_caps()
        refreshed = float("-inf")
        while not stop.is_set():
            if self.clock() - refreshed >= REFRESH:
                try:
                    await self.refresh()
                except Exception:
                    logger.exception("cross-seed: reading the searchees failed")
                refreshed = self.clock()
            await self._due_jobs()
            try:
                await asyncio.wait_for(stop.wait(), JOB_CHECK)
            except TimeoutError:
                continue

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        closers = [c.close for c in self.clients] + [i.aclose for i in self.indexers]
        for close in [*closers, self.searcher.aclose]:
            try:
                await close()
            except Exception as exc:
                logger.warning("cross-seed: closing: %s", exc)
