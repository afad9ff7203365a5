"""The RSS auto-downloader (qBittorrent's `RSS::AutoDownloader`): keeps the rules (the API's
`rss/*Rule*` part) and, while `rss_auto_downloading_enabled`, adds the torrent of each new unread
article that a rule affecting its feed accepts (the first by priority), once: what each rule took
is written down before the add, so neither a second refresh nor a restart adds it again."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Callable
from typing import Any, Protocol

from torrentstack.client.log_buffer import LogBuffer
from torrentstack.client.rss_rules_store import RulesStore
from torrentstack.qbittorrent.adding import AddRequest, Source
from torrentstack.qbittorrent.persona import Persona
from torrentstack.qbittorrent.rss_article import Article
from torrentstack.qbittorrent.rss_matching import MatchSettings, accept, match, settings
from torrentstack.qbittorrent.rss_rules import (
    UNKNOWN_RULE,
    Rule,
    TorrentParams,
    parse_definition,
    qt_key_order,
    rule_from_json,
    rule_to_json,
)
from torrentstack.qbittorrent_api.backend import TorrentAdder

logger = logging.getLogger(__name__)


class FeedsSource(Protocol):
    """What the RSS feeds part offers the auto-downloader."""

    def feeds(self) -> dict[str, list[Article]]:
        """Every feed's articles by feed URL."""
        ...


class Preferences(Protocol):
    def get(self, key: str) -> Any: ...


def add_request(params: TorrentParams) -> AddRequest:
    """A rule's torrent parameters as `torrents/add` options."""
    use_download_path = params.use_download_path
    return AddRequest(
        save_path=params.save_path,
        download_path=params.download_path if use_download_path is not False else "",
        category=params.category,
        tags=params.tags,
        stopped=params.stopped,
        skip_checking=params.skip_checking,
        content_layout=params.content_layout,
        up_limit=max(params.upload_limit, 0),
        dl_limit=max(params.download_limit, 0),
        ratio_limit=params.ratio_limit,
        seeding_time_limit=params.seeding_time_limit,
        inactive_seeding_time_limit=params.inactive_seeding_time_limit,
        auto_tmm=params.use_auto_tmm,
        forced=params.forced,
        top_of_queue=params.add_to_top_of_queue,
    )


def _same(old: Rule, new: Rule) -> bool:
    """qBittorrent's rule equality leaves the matched episodes out."""
    return dataclasses.replace(new, previously_matched=old.previously_matched) == old


class RssAutoDownloader:
    def __init__(
        self,
        *,
        store: RulesStore,
        adder: TorrentAdder,
        prefs: Preferences,
        persona: Persona,
        log: LogBuffer,
        feeds: FeedsSource | None = None,
        feed_name: Callable[[str], str] | None = None,
        mark_read: Callable[[str, str], None] | None = None,
    ) -> None:
        self._store = store
        self._adder = adder
        self._prefs = prefs
        self._five = persona.stop_vocabulary
        self._log = log
        self.feeds = feeds  # wired after construction when the feeds part is built later
        self.feed_name = feed_name or (lambda url: url)  # a feed's name in the tree
        self.mark_read = mark_read  # (feed URL, article id): a taken article is read
        self._rules: dict[str, Rule] = {}
        self._taken: dict[str, dict[str, str]] = {}
        self._lock = asyncio.Lock()
        self._tasks: set[asyncio.Task[None]] = set()
        self._was_enabled = False

    async def load(self) -> None:
        saved = await asyncio.to_thread(self._store.load)
        self._rules = {rule.name: rule for rule in saved.rules}
        self._taken = saved.taken
        self._was_enabled = self.enabled

    @property
    def enabled(self) -> bool:
        return bool(self._prefs.get("rss_auto_downloading_enabled"))

    def _settings(self) -> MatchSettings:
        return settings(
            str(self._prefs.get("rss_smart_episode_filters") or ""),
            bool(self._prefs.get("rss_download_repack_proper_episodes")),
            self._five,
        )

    def _trim(self, text: str) -> str:
        return text if self._five else text.strip()  # 4.6 trims the names it is given

    # -- the API part --

    def rules_json(self) -> dict[str, Any]:
        return {
            name: rule_to_json(self._rules[name], self._five)
            for name in qt_key_order(list(self._rules))
        }

    async def set_rule(self, name: str, definition: str) -> None:
        rule = rule_from_json(parse_definition(self._trim(definition)), self._trim(name))
        old = self._rules.get(rule.name)
        if old is not None and _same(old, rule):
            return
        async with self._lock:
            self._rules[rule.name] = rule
            await self._save_rules()
        self.process_all()  # qBittorrent's resetProcessingQueue

    async def rename_rule(self, name: str, new_name: str) -> None:
        name, new_name = self._trim(name), self._trim(new_name)
        if name not in self._rules or new_name in self._rules:
            return
        async with self._lock:
            rules = {(new_name if n == name else n): r for n, r in self._rules.items()}
            rules[new_name] = dataclasses.replace(rules[new_name], name=new_name)
            self._rules = rules
            await self._save_rules()

    async def remove_rule(self, name: str) -> None:
        name = self._trim(name)
        if name not in self._rules:
            return
        async with self._lock:
            del self._rules[name]
            await self._save_rules()

    def matching_articles(self, name: str) -> dict[str, list[str]]:
        """Titles of each affected feed's articles the rule matches, by feed name."""
        rule = self._rules.get(name, UNKNOWN_RULE)
        feeds = self.feeds.feeds() if self.feeds is not None else {}
        options = self._settings()
        found: dict[str, list[str]] = {}
        for url in rule.feed_urls:
            if url not in feeds:
                continue
            titles = [a.title for a in feeds[url] if match(rule, a, options) is not None]
            if titles:
                found[self.feed_name(url)] = titles
        return {key: found[key] for key in qt_key_order(list(found))}

    # -- the feeds side --

    def on_articles(self, feed_url: str, articles: list[Article]) -> asyncio.Task[None]:
        """New articles of a feed (after a refresh): processed in the background, in order;
        the task may be awaited."""
        return self._spawn(self._process([(feed_url, list(articles))]))

    def process_all(self) -> asyncio.Task[None]:
        """Every unread article of every feed (a rule was set, processing was switched on)."""
        feeds = self.feeds.feeds() if self.feeds is not None else {}
        return self._spawn(self._process([(url, list(items)) for url, items in feeds.items()]))

    async def feed_url_changed(self, old: str, new: str) -> None:
        """`rss/setFeedURL`: the rules that named the old URL name the new one."""
        async with self._lock:
            for name, rule in list(self._rules.items()):
                if old in rule.feed_urls:
                    urls = tuple(new if url == old else url for url in rule.feed_urls)
                    self._rules[name] = dataclasses.replace(rule, feed_urls=urls)
            if old in self._taken:
                self._taken.setdefault(new, {}).update(self._taken.pop(old))
                await asyncio.to_thread(self._store.save_taken, self._taken)
            await self._save_rules()

    def preferences_changed(self) -> None:
        """Switching `rss_auto_downloading_enabled` on processes what is there already."""
        enabled = self.enabled
        if enabled and not self._was_enabled:
            self.process_all()
        self._was_enabled = enabled

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def _spawn(self, job: Any) -> asyncio.Task[None]:
        task: asyncio.Task[None] = asyncio.ensure_future(job)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _process(self, batches: list[tuple[str, list[Article]]]) -> None:
        async with self._lock:
            for feed_url, articles in batches:
                for article in articles:
                    if not self.enabled:
                        return
                    try:
                        await self._process_article(feed_url, article)
                    except Exception:
                        logger.exception("RSS auto-downloading of %r failed", article.title)

    async def _process_article(self, feed_url: str, article: Article) -> None:
        if article.is_read or not article.torrent_url:
            return
        if article.id in self._taken.get(feed_url, {}):
            return
        options = self._settings()
        ordered = sorted(self._rules.values(), key=lambda r: r.priority)
        for rule in ordered:
            if not rule.enabled or feed_url not in rule.feed_urls:
                continue
            accepted = accept(rule, article, options)
            if accepted is None:
                continue
            self._rules[rule.name] = accepted
            self._taken.setdefault(feed_url, {})[article.id] = rule.name
            # written down before the add, the record first: a stop in between never adds twice
            await asyncio.to_thread(self._store.save_taken, self._taken)
            await self._save_rules()
            self._log.add(
                "info",
                f"RSS article '{article.title}' is accepted by rule '{rule.name}'. "
                "Trying to add torrent...",
            )
            await self._add(article.torrent_url, accepted.params)
            if self.mark_read is not None:
                self.mark_read(feed_url, article.id)
            return

    async def _add(self, url: str, params: TorrentParams) -> None:
        request = add_request(params)
        lowered = url.lower()
        if lowered.startswith("magnet:"):
            await self._adder.add([Source(magnet=url)], request)
        elif len(url) in (32, 40) and all(c in "0123456789abcdefABCDEF" for c in url):
            await self._adder.add([Source(magnet=f"magnet:?xt=urn:btih:{url}")], request)
        elif lowered.startswith(("http://", "https://")):
            self._adder.add_from_url(url, "", request)
        else:
            self._log.add("warning", f"RSS article torrent URL is not supported: {url}")

    async def _save_rules(self) -> None:
        rules = sorted(self._rules.values(), key=lambda r: r.priority)
        await asyncio.to_thread(self._store.save_rules, rules)
