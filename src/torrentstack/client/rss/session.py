"""The RSS session: the feed tree and each feed's articles, refreshed on qBittorrent's timer;
new articles are handed to listeners (the auto-downloader)."""

from __future__ import annotations

import asyncio
import dataclasses
import inspect
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from torrentstack.client.preferences import Preferences
from torrentstack.client.rss.fetching import FeedFetcher, FeedFetchError
from torrentstack.client.rss.parsing import FeedParseError, parse_feed
from torrentstack.client.rss.storage import FeedData, RssStorage
from torrentstack.client.rss.tree import FeedNode, RssTree, join_path, name_of, parent_path
from torrentstack.clock import Clock
from torrentstack.periodic import Periodic, describe
from torrentstack.qbittorrent.rss_article import Article

logger = logging.getLogger(__name__)

ArticlesListener = Callable[[str, list[Article]], Awaitable[None] | None]


@dataclasses.dataclass(slots=True)
class _FeedState:
    data: FeedData
    loading: bool = False
    has_error: bool = False


class RssSession:
    """The `RssFeeds` part of the API, and the articles the auto-downloader reads.

    Every `rss_refresh_interval` minutes (by the injected clock) while `rss_processing_enabled`,
    all feeds are fetched; `refreshItem` fetches at any time. A feed that fails to download or
    parse shows `hasError` and keeps what it had. New articles (ids not seen, kept under
    `rss_max_articles_per_feed`) are saved and handed to the listeners; `feeds()` gives every
    feed's articles by URL.
    """

    def __init__(
        self,
        directory: Path,
        *,
        prefs: Preferences,
        clock: Clock,
        fetcher: FeedFetcher | None = None,
        poll: float = 1.0,
        log: Callable[[str, str], None] = lambda level, message: None,
    ) -> None:
        self._storage = RssStorage(directory)
        self._prefs = prefs
        self._clock = clock
        self._fetcher = fetcher or FeedFetcher()
        self._poll = poll
        self._log = log  # `log/main` (level, message), as qBittorrent's `LogMsg`
        self._tree = RssTree()
        self._states: dict[str, _FeedState] = {}  # by feed uid
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._listeners: list[ArticlesListener] = []
        self._url_listeners: list[Callable[[str, str], Awaitable[None]]] = []
        self._saves: set[asyncio.Task[None]] = set()  # read flags the auto-downloader set
        self._write = asyncio.Lock()
        self._last_refresh: float | None = None  # None: not since processing was switched on
        self._stop = asyncio.Event()
        self._loop: asyncio.Task[None] | None = None

    # -- the auto-downloader's side --

    def add_articles_listener(self, listener: ArticlesListener) -> None:
        """Call `listener(feed_url, new_articles)` (newest first) after each refresh that
        brought new articles. It may be a coroutine function; its failures are logged."""
        self._listeners.append(listener)

    def add_url_listener(self, listener: Callable[[str, str], Awaitable[None]]) -> None:
        """Await `listener(old_url, new_url)` when `setFeedURL` changes a feed's URL."""
        self._url_listeners.append(listener)

    def feed_name(self, url: str) -> str:
        """The feed's name in the tree (what `matchingArticles` keys by), else its URL."""
        found = self._tree.feed_by_url(url)
        return name_of(found[0]) if found is not None else url

    def mark_read_now(self, url: str, article_id: str) -> None:
        """Mark one article of the feed at `url` read (the auto-downloader took it)."""
        found = self._tree.feed_by_url(url)
        if found is not None and self._mark(found[1], {article_id}):
            task = asyncio.create_task(self._save_feed(found[1]))
            self._saves.add(task)
            task.add_done_callback(self._saves.discard)

    def feeds(self) -> dict[str, list[Article]]:
        """Feed URL -> its articles, newest first."""
        return {
            node.url: list(self._states[node.uid].data.articles)
            for node in self._tree.feeds().values()
        }

    # -- lifecycle --

    async def start(self) -> None:
        """Read the tree and the articles, then run the refresh timer."""
        self._tree = RssTree.from_json(await asyncio.to_thread(self._storage.load_tree))
        for node in self._tree.feeds().values():
            data = await asyncio.to_thread(self._storage.load_feed, node.file_stem)
            data.articles = data.articles[: self._max_articles()]
            self._states[node.uid] = _FeedState(data)
        timer = Periodic("RSS refresh timer", self._tick, self._poll)
        self._loop = asyncio.create_task(timer.run(self._stop))

    async def close(self) -> None:
        """Stop the timer and every refresh under way (again: nothing)."""
        if self._stop.is_set():
            return
        self._stop.set()
        tasks = [t for t in (self._loop, *self._tasks.values()) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await asyncio.gather(*self._saves, return_exceptions=True)  # let read flags land
        await self._fetcher.aclose()

    def preferences_changed(self) -> None:
        """`rss_max_articles_per_feed` trims at once; the timer reads the others each tick."""
        limit = self._max_articles()
        for state in self._states.values():
            del state.data.articles[limit:]

    async def _tick(self) -> None:
        if not self._prefs.get("rss_processing_enabled"):
            self._last_refresh = None
            return
        now = self._clock()
        interval = max(int(self._prefs.get("rss_refresh_interval") or 30), 1) * 60
        if self._last_refresh is None or now - self._last_refresh >= interval:
            self._last_refresh = now
            for node in self._tree.feeds().values():
                self._refresh(node)

    # -- the API's side (qBittorrent's 409 texts come from the tree) --

    async def add_folder(self, path: str) -> None:
        self._tree.add_folder(path)
        await self._save_tree()

    async def add_feed(self, url: str, path: str) -> None:
        node = self._tree.add_feed(url, path)
        self._states[node.uid] = _FeedState(FeedData())
        await self._save_tree()
        if self._prefs.get("rss_processing_enabled"):
            self._refresh(node)

    async def set_feed_url(self, path: str, url: str) -> None:
        before = self._tree.items.get(path)
        old = before.url if isinstance(before, FeedNode) else ""
        node = self._tree.set_feed_url(path, url)
        if node is None:
            return
        for listener in self._url_listeners:
            await listener(old, url)
        data = self._states[node.uid].data
        data.etag = data.last_modified = ""
        await self._save_tree()
        if self._prefs.get("rss_processing_enabled"):
            self._refresh(node)

    async def move_item(self, path: str, destination: str) -> None:
        self._tree.move_item(path, destination)
        await self._save_tree()

    async def remove_item(self, path: str) -> None:
        removed = self._tree.remove_item(path)
        for node in removed:
            if (task := self._tasks.pop(node.uid, None)) is not None:
                task.cancel()
            self._states.pop(node.uid, None)
        await self._save_tree()
        for node in removed:
            await asyncio.to_thread(self._storage.remove_feed, node.file_stem)

    async def mark_as_read(self, path: str, article_id: str | None) -> None:
        """The article `article_id` of the feed at `path`, or (None) everything below `path`;
        an unknown path or id changes nothing."""
        node = self._tree.items.get(path)
        if node is None:
            return
        if article_id is not None:
            if isinstance(node, FeedNode) and self._mark(node, {article_id}):
                await self._save_feed(node)
            return
        for feed in self._tree.feeds_under(path).values():
            if self._mark(feed, None):
                await self._save_feed(feed)

    async def refresh_item(self, path: str) -> None:
        for node in self._tree.feeds_under(path).values():
            self._refresh(node)

    def items(self, with_data: bool) -> dict[str, Any]:
        return self._folder_json("", with_data)

    # -- inside --

    def _folder_json(self, path: str, with_data: bool) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for child in self._tree.children(path):
            node = self._tree.items[child]
            if not isinstance(node, FeedNode):
                out[name_of(child)] = self._folder_json(child, with_data)
                continue
            item: dict[str, Any] = {"uid": node.uid, "url": node.url}
            if with_data:
                state = self._states[node.uid]
                item |= {
                    "title": state.data.title,
                    "lastBuildDate": state.data.last_build_date,
                    "isLoading": state.loading,
                    "hasError": state.has_error,
                    "articles": [a.to_json() for a in state.data.articles],
                }
            out[name_of(child)] = item
        return out

    def _mark(self, node: FeedNode, ids: set[str] | None) -> bool:
        data = self._states[node.uid].data
        changed = False
        for index, article in enumerate(data.articles):
            if not article.is_read and (ids is None or article.id in ids):
                data.articles[index] = dataclasses.replace(article, is_read=True)
                changed = True
        return changed

    def _refresh(self, node: FeedNode) -> None:
        """Fetch the feed now; a refresh already under way is restarted (as qBittorrent)."""
        if (running := self._tasks.pop(node.uid, None)) is not None:
            running.cancel()
        self._states[node.uid].loading = True
        task = asyncio.create_task(self._refresh_feed(node))
        self._tasks[node.uid] = task
        task.add_done_callback(lambda t: self._forget_task(node.uid, t))

    def _forget_task(self, uid: str, task: asyncio.Task[None]) -> None:
        if self._tasks.get(uid) is task:
            del self._tasks[uid]
            if (state := self._states.get(uid)) is not None:
                state.loading = False
        if not task.cancelled() and (exc := task.exception()) is not None:
            logger.warning("RSS refresh failed: %s", describe(exc))

    async def _refresh_feed(self, node: FeedNode) -> None:
        state = self._states[node.uid]
        data, url = state.data, node.url
        try:
            fetched = await self._fetcher.fetch(
                url, etag=data.etag, last_modified=data.last_modified
            )
        except FeedFetchError as exc:
            state.has_error = True
            self._log("warning", f"Failed to download RSS feed at '{url}'. Reason: {exc}")
            return
        self._log(
            "normal", f"RSS feed at '{url}' is successfully downloaded. Starting to parse it."
        )
        if fetched.body is None:  # 304 Not Modified: what qBittorrent finds parsing it again
            state.has_error = False
            self._log("normal", f"RSS feed at '{url}' updated. Added 0 new articles.")
            return
        now = datetime.fromtimestamp(self._clock(), UTC)
        try:
            parsed = await asyncio.to_thread(parse_feed, fetched.body, now)
        except FeedParseError as exc:
            state.has_error = True
            self._log("warning", f"Failed to parse RSS feed at '{url}'. Reason: {exc}")
            self._log("normal", f"RSS feed at '{url}' updated. Added 0 new articles.")
            return
        if node.url != url or self._states.get(node.uid) is not state:
            return  # its URL changed or it was removed meanwhile
        state.has_error = bool(parsed.error)
        fresh = self._merge(data, parsed.articles)
        # handed over before any await: a refresh restarted from here on must not lose them
        handed = self._hand_over(url, fresh) if fresh else []
        data.last_build_date = parsed.last_build_date or data.last_build_date
        data.etag, data.last_modified = fetched.etag, fetched.last_modified
        if parsed.title and parsed.title != data.title:
            data.title = parsed.title
            await self._rename_to_title(node, parsed.title)
        await self._save_feed(node)
        if parsed.error:
            self._log("warning", f"Failed to parse RSS feed at '{url}'. Reason: {parsed.error}")
        self._log("normal", f"RSS feed at '{url}' updated. Added {len(fresh)} new articles.")
        for future in handed:
            try:
                await asyncio.shield(future)  # a restarted refresh leaves it running
            except Exception as exc:  # a listener's failure must not stop the feeds
                logger.warning("RSS articles listener failed: %s", describe(exc))

    def _merge(self, data: FeedData, parsed: tuple[Article, ...]) -> list[Article]:
        """Add the articles not seen before and keep the newest; return the new ones kept."""
        known = {a.id for a in data.articles}
        fresh = [a for a in parsed if a.id not in known]
        if not fresh:
            return []
        combined = sorted([*data.articles, *fresh], key=lambda a: a.date, reverse=True)
        data.articles = combined[: self._max_articles()]
        kept = {a.id for a in data.articles}
        return sorted((a for a in fresh if a.id in kept), key=lambda a: a.date, reverse=True)

    async def _rename_to_title(self, node: FeedNode, title: str) -> None:
        """A feed still named by its URL takes its title's name (when that is a free path)."""
        for path, feed in self._tree.feeds().items():
            if feed is node and name_of(path) == node.url:
                if self._tree.try_move(path, join_path(parent_path(path), title)):
                    await self._save_tree()
                return

    def _hand_over(self, url: str, articles: list[Article]) -> list[asyncio.Future[Any]]:
        """Call every listener now; what they return to await, as futures."""
        pending: list[asyncio.Future[Any]] = []
        for listener in list(self._listeners):
            try:
                result = listener(url, list(articles))
            except Exception as exc:  # a listener's failure must not stop the feeds
                logger.warning("RSS articles listener failed: %s", describe(exc))
                continue
            if inspect.isawaitable(result):
                pending.append(asyncio.ensure_future(result))
        return pending

    def _max_articles(self) -> int:
        return max(int(self._prefs.get("rss_max_articles_per_feed") or 0), 0)

    async def _save_tree(self) -> None:
        tree = self._tree.to_json()
        async with self._write:
            await asyncio.to_thread(self._storage.save_tree, tree)

    async def _save_feed(self, node: FeedNode) -> None:
        state = self._states.get(node.uid)
        if state is None:
            return
        snapshot = dataclasses.replace(state.data, articles=list(state.data.articles))
        try:
            async with self._write:
                await asyncio.to_thread(self._storage.save_feed, node.file_stem, snapshot)
        except OSError as exc:
            logger.warning("RSS: cannot save feed %s: %s", node.uid, describe(exc))
