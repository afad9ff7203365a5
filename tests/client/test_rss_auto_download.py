"""RSS auto-downloading end to end: a loopback site serves an RSS feed whose items point at
.torrent files it serves and at magnets; rules set through the WebUI (qbittorrent-api), articles
arriving with each refresh; exactly the right torrents are added (category, save path, paused),
nothing twice, and nothing twice after the client restarts on the same data directory."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.support.payloads import make_torrent
from tests.support.rss_rule_feeds import FeedSite, Item, LoopbackFeeds, feed_site
from tests.support.waiting import eventually
from tests.support.webui import LOOPBACK_ONLY, StartWebUI, WebUI, logged_in

PREFS = {**LOOPBACK_ONLY, "rss_auto_downloading_enabled": True}
T0 = datetime(2026, 12, 1, 12, tzinfo=UTC)


@pytest.fixture
async def site(tmp_path: Path) -> AsyncIterator[FeedSite]:
    async with feed_site() as served:
        for name in ("Show.S01E01.720p", "Show.S01E02.720p", "Show.S01E02.1080p", "Other.2026"):
            served.torrents[f"{name}.torrent"], _ = make_torrent(
                tmp_path / "payloads", name, {name: 20_000}
            )
        yield served


def feeds_for(webui: WebUI, site: FeedSite) -> LoopbackFeeds:
    downloader = webui.runtime.backend.rss_rules
    feeds = LoopbackFeeds(downloader, {site.feed_url: "Loop"})
    downloader.feeds = feeds
    downloader.feed_name = feeds.name
    return feeds


def torrents(webui: WebUI) -> list[tuple[str, str, str, bool]]:
    client = logged_in(webui)
    stopped = ("pausedDL", "pausedUP", "stoppedDL", "stoppedUP")
    return sorted(
        (t.name, t.category, t.save_path, t.state in stopped) for t in client.torrents_info()
    )


@pytest.mark.parametrize("persona", ["4.6", "5.1"])
async def test_rules_add_the_right_torrents_once_across_a_restart(
    start_webui: StartWebUI, site: FeedSite, tmp_path: Path, persona: str
) -> None:
    data = tmp_path / "client"
    shows = str(tmp_path / "shows")
    webui = await start_webui(data_dir=data, preferences=PREFS, persona=persona)
    feeds = feeds_for(webui, site)

    def set_rules() -> None:
        client = logged_in(webui)
        client.rss_set_rule(
            "Show 720p",
            {"enabled": True, "mustContain": "Show 720p", "episodeFilter": "1x01-;",
             "smartFilter": True, "affectedFeeds": [site.feed_url],
             "torrentParams": {"category": "tv", "save_path": shows, "stopped": True,
                               "tags": ["rss"]}},
        )  # fmt: skip
        client.rss_set_rule(
            "disabled", {"enabled": False, "mustContain": "Other", "affectedFeeds": [site.feed_url]}
        )
        client.rss_set_rule("elsewhere", {"mustContain": "Other", "affectedFeeds": ["http://x/"]})

    await asyncio.to_thread(set_rules)
    site.items = [
        Item("g1", "Show.S01E01.720p", "/t/Show.S01E01.720p.torrent", T0),
        Item("g2", "Other.2026", "/t/Other.2026.torrent", T0),
        Item(
            "g3", "Show.S01E05.720p", "magnet:?xt=urn:btih:" + "5" * 40 + "&dn=Show.S01E05.720p", T0
        ),
    ]
    await feeds.refresh(site.feed_url)
    expected = [
        ("Show.S01E01.720p", "tv", shows, True),
        ("Show.S01E05.720p", "tv", shows, True),
    ]

    async def added() -> None:
        assert await asyncio.to_thread(torrents, webui) == expected

    await eventually(added)
    # a newer refresh: an episode again in another quality (smart filter: not again), a new one
    site.items = [
        Item(
            "g4", "Show.S01E02.1080p 720p", "/t/Show.S01E02.1080p.torrent", T0 + timedelta(hours=2)
        ),
        Item("g5", "Show.S01E02.720p", "/t/Show.S01E02.720p.torrent", T0 + timedelta(hours=1)),
        Item(
            "g6", "Show.S01E01.720p again", "/t/Show.S01E01.720p.torrent", T0 + timedelta(hours=1)
        ),
        *site.items,
    ]
    fresh = await feeds.refresh(site.feed_url)
    assert [a.id for a in fresh] == ["g4", "g5", "g6"]
    expected = sorted([*expected, ("Show.S01E02.1080p", "tv", shows, True)])
    await eventually(added)

    def matching() -> dict[str, list[str]]:
        return dict(logged_in(webui).rss_matching_articles("Show 720p"))

    # the rule remembers episodes 1, 5 and 2: nothing in the feed matches it any more
    assert await asyncio.to_thread(matching) == {}
    rules = await asyncio.to_thread(lambda: logged_in(webui).rss_rules())
    assert sorted(rules["Show 720p"]["previouslyMatchedEpisodes"]) == ["1x1", "1x2", "1x5"]
    torrent_requests = [r for r in site.requests if r.startswith("/t/")]
    assert sorted(torrent_requests) == sorted(
        ["/t/Show.S01E01.720p.torrent", "/t/Show.S01E02.1080p.torrent"]
    )

    # restart on the same data directory: the same articles arrive again, nothing is added
    webui.stop.set()
    await webui.runtime.backend.close()
    again = await start_webui(data_dir=data, preferences=PREFS, persona=persona)
    fresh_feeds = feeds_for(again, site)
    assert await asyncio.to_thread(lambda: logged_in(again).rss_rules()) == rules

    def delete_all() -> None:
        client = logged_in(again)
        client.torrents_delete(delete_files=False, torrent_hashes="all")

    await asyncio.to_thread(delete_all)
    await fresh_feeds.refresh(site.feed_url)  # every article is new to this feeds stand-in
    await again.runtime.backend.rss_rules.process_all()
    assert await asyncio.to_thread(torrents, again) == []
    assert sorted(r for r in site.requests if r.startswith("/t/")) == sorted(torrent_requests)
