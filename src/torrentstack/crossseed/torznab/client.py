"""One Torznab indexer over HTTP: caps, search, RSS paging and .torrent downloads (snatches).

The only module of the package that imports httpx; its errors become `TorznabError`s here.
Every request is spaced and backed off through `IndexerLimits`; the API key never reaches a
log line or an error (the URL is shown with `apikey=***`, links only through `log.redact`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from types import TracebackType

import httpx

from torrentstack import __version__
from torrentstack.bittorrent import metainfo
from torrentstack.clock import Clock, system_clock
from torrentstack.crossseed.decision import Decision
from torrentstack.crossseed.searchee import Candidate, Metafile
from torrentstack.crossseed.torznab.caps import Caps, parse_caps
from torrentstack.crossseed.torznab.errors import (
    IndexerUnavailable,
    TorznabApiError,
    TorznabError,
)
from torrentstack.crossseed.torznab.feed import parse_feed
from torrentstack.crossseed.torznab.limits import IndexerLimits, IndexerStatus
from torrentstack.crossseed.torznab.queries import Query, rss_query
from torrentstack.crossseed.torznab.url import IndexerUrl
from torrentstack.errors import FormatError
from torrentstack.log import redact

logger = logging.getLogger(__name__)

USER_AGENT = f"torrentstack-crossseed/{__version__}"
MAX_TORRENT_SIZE = 10 * 1024 * 1024
MAX_FEED_SIZE = 32 * 1024 * 1024
RSS_MAX_PAGES = 10
RSS_MAX_ITEMS = 10_000
_MAX_REDIRECTS = 10
_RATE_LIMIT_CODES = frozenset({429, 500})  # Newznab 500: "Request limit reached"

Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Timeouts:
    """Seconds before a request is given up (cross-seed's searchTimeout and snatchTimeout)."""

    search: float = 120.0
    snatch: float = 30.0
    caps: float = 60.0


@dataclass(frozen=True, slots=True)
class RssResult:
    """New items of an RSS run, newest first, and the guid to stop at next time."""

    candidates: tuple[Candidate, ...]
    last_seen_guid: str | None
    pages: int
    complete: bool  # False when a page after the first failed and paging stopped early


class _TooLarge(Exception):
    pass


class TorznabIndexer:
    """A Torznab indexer (Jackett, Prowlarr, a site's own endpoint) and its HTTP client."""

    def __init__(
        self,
        url: str | IndexerUrl,
        *,
        name: str | None = None,
        indexer_id: int | None = None,
        limits: IndexerLimits | None = None,
        clock: Clock = system_clock,
        sleep: Sleep = asyncio.sleep,
        timeouts: Timeouts | None = None,
        max_torrent_size: int = MAX_TORRENT_SIZE,
        caps: Caps | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.url = url if isinstance(url, IndexerUrl) else IndexerUrl.parse(url)
        self.name = name or redact(self.url.base)
        self.indexer_id = indexer_id
        self.key = self.url.base  # what limits are kept under (cross-seed's sanitized URL)
        self.limits = limits if limits is not None else IndexerLimits()
        self.known_caps = caps
        self.timeouts = timeouts if timeouts is not None else Timeouts()
        self.max_torrent_size = max_torrent_size
        self._clock = clock
        self._sleep = sleep
        self._http = httpx.AsyncClient(
            transport=transport,
            headers={"User-Agent": USER_AGENT},
            follow_redirects=False,
            timeout=httpx.Timeout(self.timeouts.search),
        )

    def __repr__(self) -> str:
        return f"TorznabIndexer({self.name!r}, {str(self.url)!r})"

    async def __aenter__(self) -> TorznabIndexer:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()

    def snoozed_until(self) -> float | None:
        """When the indexer may be searched again, or None if it may be now."""
        return self.limits.snoozed_until(self.key, self._clock())

    # --- Torznab API -----------------------------------------------------------------------

    async def caps(self) -> Caps:
        """Fetch and remember the indexer's caps (asked even while it backs off, as cross-seed)."""
        body = await self._api(Query("caps"), self.timeouts.caps, respect_snooze=False)
        caps = parse_caps(body, indexer=self.name)
        self.known_caps = caps
        return caps

    async def search(self, query: Query) -> list[Candidate]:
        """Run one query; TorznabError (IndexerUnavailable, TorznabApiError...) if it fails."""
        body = await self._api(query, self.timeouts.search)
        try:
            return parse_feed(
                body, tracker=self.name, indexer_id=self.indexer_id, indexer=self.name
            )
        except TorznabApiError as exc:
            status = 429 if exc.code in _RATE_LIMIT_CODES else None
            until = self.limits.snooze(self.key, status, None, self._clock())
            logger.warning("%s: %s; backing off until %s", self.name, exc.description, until)
            raise

    async def rss(
        self,
        since_guid: str | None,
        *,
        max_pages: int = RSS_MAX_PAGES,
        max_items: int = RSS_MAX_ITEMS,
        page_size: int | None = None,
        time_since_last_run: float | None = None,
    ) -> RssResult:
        """Page through the newest items until `since_guid`, `max_pages` or `max_items`.

        As cross-seed's rssPager: each page is `t=search&q=&limit=&offset=`, sorted newest
        first; without the guid on a page, items older than the newest one minus
        `time_since_last_run` end the paging too. An error on the first page is raised; on a
        later page paging stops and `complete` is False.
        """
        limit = page_size or (self.known_caps.limits.max if self.known_caps else 100)
        found: list[Candidate] = []
        newest: str | None = since_guid
        back_until: float | None = None
        pages = 0
        complete = True
        while pages < max_pages and len(found) < max_items:
            try:
                page = await self.search(rss_query(limit, pages * limit))
            except TorznabError as exc:
                if pages == 0:
                    raise
                logger.warning("%s: RSS paging stopped at page %d: %s", self.name, pages + 1, exc)
                complete = False
                break
            pages += 1
            if not page:
                break
            page.sort(key=lambda c: -(c.pub_date or 0.0))
            if pages == 1:
                newest = page[0].guid
                if time_since_last_run is not None and page[0].pub_date is not None:
                    back_until = page[0].pub_date - time_since_last_run
            fresh: list[Candidate] = []
            reached = False
            for candidate in page:
                if candidate.guid == since_guid:
                    reached = True
                    break
                fresh.append(candidate)
            if not reached and back_until is not None:
                fresh = [c for c in fresh if c.pub_date is None or c.pub_date >= back_until]
            found.extend(fresh[: max_items - len(found)])
            if len(fresh) != len(page):
                break
        return RssResult(tuple(found), newest, pages, complete)

    async def snatch(self, candidate: Candidate) -> Metafile | Decision:
        """Download a candidate's .torrent; a Decision says why there is none."""
        link = candidate.link
        if not link:
            return Decision.NO_DOWNLOAD_LINK
        if link.lower().startswith("magnet:"):
            return Decision.MAGNET_LINK
        now = self._clock()
        if self.limits.status(self.key, now) is IndexerStatus.RATE_LIMITED:
            return Decision.RATE_LIMITED
        if not self.limits.may_snatch(link, candidate.tracker, now):
            logger.info(
                "%s: not downloading %s: too many failures today", self.name, candidate.name
            )
            return Decision.DOWNLOAD_FAILED
        await self._wait_turn()
        try:
            async with asyncio.timeout(self.timeouts.snatch):
                outcome = await self._download(link, candidate)
        except TimeoutError:
            logger.info("%s: download of %s timed out", self.name, candidate.name)
            outcome = Decision.DOWNLOAD_FAILED
        except (httpx.HTTPError, httpx.InvalidURL) as exc:  # InvalidURL is no HTTPError
            logger.info(
                "%s: download of %s failed: %s", self.name, candidate.name, type(exc).__name__
            )
            outcome = Decision.DOWNLOAD_FAILED
        if outcome is Decision.DOWNLOAD_FAILED:
            self.limits.record_snatch_failure(link, candidate.tracker, self._clock())
        return outcome

    # --- HTTP ------------------------------------------------------------------------------

    async def _wait_turn(self) -> None:
        wait = self.limits.reserve(self.key, self._clock())
        if wait > 0:
            await self._sleep(wait)

    async def _api(self, query: Query, limit: float, *, respect_snooze: bool = True) -> bytes:
        if respect_snooze:
            until = self.limits.snoozed_until(self.key, self._clock())
            if until is not None:
                raise IndexerUnavailable("backing off", indexer=self.name, retry_at=until)
        await self._wait_turn()
        params = {"apikey": self.url.apikey, **query.params()}
        logger.debug("%s: querying %s with %s", self.name, self.url, query.params())
        try:
            async with asyncio.timeout(limit):
                async with self._http.stream(
                    "GET", self.url.base, params=params, follow_redirects=True
                ) as response:
                    if not response.is_success:
                        retry_after = response.headers.get("Retry-After")
                        raise self._failed(response.status_code, retry_after)
                    return await _read(response, MAX_FEED_SIZE)
        except TimeoutError as exc:
            raise self._failed(None, None, "timed out") from exc
        except httpx.HTTPError as exc:
            raise self._failed(None, None, type(exc).__name__) from exc
        except _TooLarge as exc:
            raise IndexerUnavailable(
                f"response larger than {MAX_FEED_SIZE} bytes", indexer=self.name
            ) from exc

    def _failed(
        self, status: int | None, retry_after: str | None, reason: str = ""
    ) -> IndexerUnavailable:
        """Back off after a failed request; the error to raise for it."""
        until = self.limits.snooze(self.key, status, retry_after, self._clock())
        what = f"HTTP {status}" if status is not None else reason
        logger.warning("%s: request failed (%s); backing off until %.0f", self.name, what, until)
        return IndexerUnavailable(
            f"request failed: {what}", indexer=self.name, status=status, retry_at=until
        )

    async def _download(self, link: str, candidate: Candidate) -> Metafile | Decision:
        def rate_limited(retry_after: str | None) -> None:
            until = self.limits.snooze(self.key, 429, retry_after, self._clock())
            logger.warning("%s: rate limited on download; until %.0f", self.name, until)

        return await fetch_torrent(
            self._http,
            link,
            candidate,
            source=self.name,
            max_size=self.max_torrent_size,
            read_timeout=self.timeouts.snatch,
            on_rate_limit=rate_limited,
        )


async def fetch_torrent(
    http: httpx.AsyncClient,
    link: str,
    candidate: Candidate,
    *,
    source: str,
    max_size: int = MAX_TORRENT_SIZE,
    read_timeout: float = 30.0,
    on_rate_limit: Callable[[str | None], None] | None = None,
) -> Metafile | Decision:
    """GET a .torrent, following redirects by hand (a redirect to `magnet:` is MAGNET_LINK)."""
    url = httpx.URL(link)
    for _ in range(_MAX_REDIRECTS + 1):
        async with http.stream("GET", url, timeout=read_timeout) as response:
            location = response.headers.get("location", "")
            if response.is_redirect and location:
                if location.lower().startswith("magnet:"):
                    return Decision.MAGNET_LINK
                url = response.url.join(location)
                continue
            if response.status_code == 429:
                if on_rate_limit is not None:
                    on_rate_limit(response.headers.get("Retry-After"))
                return Decision.RATE_LIMITED
            if response.status_code != 200:
                logger.info(
                    "%s: download of %s failed: HTTP %d",
                    source,
                    candidate.name,
                    response.status_code,
                )
                return Decision.DOWNLOAD_FAILED
            try:
                body = await _read(response, max_size)
            except _TooLarge:
                logger.info("%s: %s is larger than the cap", source, candidate.name)
                return Decision.DOWNLOAD_FAILED
        try:
            return Metafile.from_metainfo(metainfo.parse(body))
        except FormatError as exc:
            logger.info("%s: %s is not a torrent: %s", source, candidate.name, exc)
            return Decision.DOWNLOAD_FAILED
    logger.info("%s: download of %s: too many redirects", source, candidate.name)
    return Decision.DOWNLOAD_FAILED


class LinkSnatcher:
    """Downloads of links no configured indexer serves (an announce's `link`)."""

    def __init__(
        self,
        *,
        timeout: float = 30.0,
        max_torrent_size: int = MAX_TORRENT_SIZE,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.timeout = timeout
        self.max_torrent_size = max_torrent_size
        self._http = httpx.AsyncClient(
            transport=transport, headers={"User-Agent": USER_AGENT}, follow_redirects=False
        )

    async def snatch(self, candidate: Candidate) -> Metafile | Decision:
        link = candidate.link
        if not link:
            return Decision.NO_DOWNLOAD_LINK
        if link.lower().startswith("magnet:"):
            return Decision.MAGNET_LINK
        try:
            async with asyncio.timeout(self.timeout):
                return await fetch_torrent(
                    self._http,
                    link,
                    candidate,
                    source=candidate.tracker,
                    max_size=self.max_torrent_size,
                    read_timeout=self.timeout,
                )
        except (TimeoutError, httpx.HTTPError, httpx.InvalidURL) as exc:
            logger.info("download of %s failed: %s", candidate.name, type(exc).__name__)
            return Decision.DOWNLOAD_FAILED

    async def aclose(self) -> None:
        await self._http.aclose()


async def _read(response: httpx.Response, cap: int) -> bytes:
    declared = response.headers.get("content-length", "")
    if declared.isdecimal() and int(declared) > cap:
        raise _TooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > cap:
            raise _TooLarge
        chunks.append(chunk)
    return b"".join(chunks)
