"""RSS as a user sets it up, feeds and rules together in one client: a feed added over the API,
a rule set, a refresh; the matching article's torrent is added once with the rule's category,
is marked read, and `matchingArticles` names the feed as the tree does."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import httpx
import pytest

from tests.support.payloads import make_torrent
from tests.support.rss_feeds import Feed, Item, serve_feed_site
from tests.support.waiting import eventually
from tests.support.webui import WebUI, login

pytestmark = pytest.mark.libtorrent


async def test_a_feed_and_a_rule_add_the_matching_torrent_once(webui: WebUI, tmp_path):
    wanted, _ = make_torrent(tmp_path / "src", "Show.S01E05.1080p", {"Show.S01E05.1080p": 40_000})
    other, _ = make_torrent(tmp_path / "src", "Other.S01E01.720p", {"Other.S01E01.720p": 40_000})
    async with serve_feed_site() as site, httpx.AsyncClient(base_url=webui.url, timeout=10) as http:
        site.torrents["wanted"], site.torrents["other"] = wanted, other
        when = datetime(2025, 3, 1, 10, 0, tzinfo=UTC)
        site.feeds["tv"] = Feed("Loopback TV", [
            Item("Show.S01E05.1080p", guid="w", date=when, torrent="wanted"),
            Item("Other.S01E01.720p", guid="o", date=when, torrent="other"),
        ])  # fmt: skip
        assert (await login(http)).text == "Ok."
        prefs = {"rss_processing_enabled": True, "rss_auto_downloading_enabled": True}
        await http.post("/api/v2/app/setPreferences", data={"json": json.dumps(prefs)})
        assert (
            await http.post("/api/v2/rss/addFeed", data={"url": site.url("tv"), "path": "TV"})
        ).status_code == 200
        rule = {"enabled": True, "mustContain": "Show*1080p", "affectedFeeds": [site.url("tv")],
                "assignedCategory": "tv-shows", "addPaused": True}  # fmt: skip
        set_rule = await http.post(
            "/api/v2/rss/setRule", data={"ruleName": "show", "ruleDef": json.dumps(rule)}
        )
        assert set_rule.status_code == 200
        await http.post("/api/v2/rss/refreshItem", data={"itemPath": "TV"})

        async def added() -> list[dict]:
            return (await http.get("/api/v2/torrents/info")).json()

        try:
            torrents = await eventually(added, timeout=20)
        except AssertionError:
            log = (await http.get("/api/v2/log/main")).json()
            tree = (await http.get("/api/v2/rss/items", params={"withData": "true"})).json()
            rules = (await http.get("/api/v2/rss/rules")).json()
            raise AssertionError(f"{log}\n{tree}\n{rules}") from None
        assert [t["name"] for t in torrents] == ["Show.S01E05.1080p"]
        assert torrents[0]["category"] == "tv-shows"
        matching = await http.get("/api/v2/rss/matchingArticles", params={"ruleName": "show"})
        assert matching.json() == {"TV": ["Show.S01E05.1080p"]}

        async def read() -> bool:
            tree = (await http.get("/api/v2/rss/items", params={"withData": "true"})).json()
            flags = {a["title"]: a.get("isRead", False) for a in tree["TV"]["articles"]}
            return flags == {"Show.S01E05.1080p": True, "Other.S01E01.720p": False}

        await eventually(read)
        await http.post("/api/v2/rss/refreshItem", data={"itemPath": "TV"})
        await eventually(lambda: site.fetches("tv") >= 2)
        assert len(await added()) == 1  # not added twice
