"""`rss/setRule`, `renameRule`, `removeRule`, `rules`, `matchingArticles` in-process, through the
client's WebUI, with a fake feeds part; the auto-downloader adding magnets with the rule's
category, save path and stopped state, once, and the rules kept across a restart."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from tests.support.waiting import eventually
from tests.support.webui import LOOPBACK_ONLY, StartWebUI, WebUI, logged_in, login
from torrentstack.qbittorrent.rss_article import Article

FEED = "http://feeds.invalid/tv.xml"
OTHER = "http://feeds.invalid/other.xml"
T0 = datetime(2026, 12, 1, 12, tzinfo=UTC)


def magnet(n: int) -> str:
    return f"magnet:?xt=urn:btih:{n:040x}&dn=item{n}"


def article(n: int, title: str, hours: int = 0, **kw: object) -> Article:
    return Article(
        id=f"guid-{n}", title=title, date=T0 + timedelta(hours=hours), torrent_url=magnet(n), **kw
    )  # type: ignore[arg-type]


class FakeFeeds:
    def __init__(self) -> None:
        self.articles: dict[str, list[Article]] = {FEED: [], OTHER: []}

    def feeds(self) -> dict[str, list[Article]]:
        return self.articles


@pytest.fixture
async def http(webui: WebUI) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=webui.url) as client:
        assert (await login(client)).text == "Ok."
        yield client


async def set_rule(http: httpx.AsyncClient, name: str, definition: object) -> httpx.Response:
    text = definition if isinstance(definition, str) else json.dumps(definition)
    return await http.post("/api/v2/rss/setRule", data={"ruleName": name, "ruleDef": text})


async def rules(http: httpx.AsyncClient) -> dict[str, dict[str, object]]:
    reply = await http.get("/api/v2/rss/rules")
    assert reply.status_code == 200
    return dict(reply.json())


async def test_set_rename_remove_and_list(http: httpx.AsyncClient) -> None:
    assert (await rules(http)) == {}
    reply = await set_rule(http, "tv", {"mustContain": "Show", "affectedFeeds": [FEED]})
    assert (reply.status_code, reply.text) == (200, "")
    assert (await set_rule(http, "b", "{not json")).status_code == 200  # the default rule
    got = await rules(http)
    assert list(got) == ["b", "tv"]
    assert got["tv"]["mustContain"] == "Show" and got["tv"]["affectedFeeds"] == [FEED]
    assert got["b"]["enabled"] is True and got["b"]["mustContain"] == ""
    assert "share_limit_action" not in got["tv"]["torrentParams"]  # type: ignore[operator]

    rename = "/api/v2/rss/renameRule"
    assert (await http.post(rename, data={"ruleName": "tv", "newRuleName": "b"})).text == ""
    assert list(await rules(http)) == ["b", "tv"]  # the name is taken: nothing happens
    await http.post(rename, data={"ruleName": "missing", "newRuleName": "x"})
    await http.post(rename, data={"ruleName": " tv ", "newRuleName": " shows "})  # 4.6 trims
    assert list(await rules(http)) == ["b", "shows"]
    assert (await rules(http))["shows"]["mustContain"] == "Show"

    remove = "/api/v2/rss/removeRule"
    assert (await http.post(remove, data={"ruleName": "missing"})).status_code == 200
    assert (await http.post(remove, data={"ruleName": "b"})).status_code == 200
    assert list(await rules(http)) == ["shows"]


@pytest.mark.parametrize(
    ("endpoint", "data"),
    [
        ("rss/setRule", {"ruleName": "x"}),
        ("rss/setRule", {"ruleDef": "{}"}),
        ("rss/renameRule", {"ruleName": "x"}),
        ("rss/removeRule", {}),
        ("rss/matchingArticles", {}),
    ],
)
async def test_missing_parameters_are_400(
    http: httpx.AsyncClient, endpoint: str, data: dict[str, str]
) -> None:
    reply = await http.post(f"/api/v2/{endpoint}", data=data)
    assert (reply.status_code, reply.text) == (400, "Bad Request")


async def test_changing_endpoints_are_post_only(http: httpx.AsyncClient) -> None:
    for endpoint in ("setRule", "renameRule", "removeRule"):
        reply = await http.get(f"/api/v2/rss/{endpoint}", params={"ruleName": "x"})
        assert (reply.status_code, reply.text) == (405, "Method Not Allowed")
    assert (await http.get("/api/v2/rss/rules")).status_code == 200


async def test_5_1_keeps_names_as_given_and_shows_its_params(start_webui: StartWebUI) -> None:
    webui = await start_webui(persona="5.1")
    async with httpx.AsyncClient(base_url=webui.url) as http:
        await login(http)
        await set_rule(http, " spaced ", {"torrentParams": {"stopped": True}})
        got = await rules(http)
        assert list(got) == [" spaced "]
        params = got[" spaced "]["torrentParams"]
        assert params["stopped"] is True and params["share_limit_action"] == "Default"  # type: ignore[index]
        assert got[" spaced "]["addPaused"] is True


async def test_matching_articles(webui: WebUI, http: httpx.AsyncClient) -> None:
    feeds = FakeFeeds()
    downloader = webui.runtime.backend.rss_rules
    downloader.feeds = feeds
    downloader.feed_name = {FEED: "TV", OTHER: "Other"}.get  # type: ignore[assignment]
    feeds.articles[FEED] = [
        article(1, "Show S01E02 720p", is_read=True),  # read ones are listed too
        article(2, "Show S01E01 1080p"),
        article(3, "Other thing"),
    ]
    feeds.articles[OTHER] = [article(4, "Show S02E01 720p")]
    await set_rule(http, "tv", {"mustContain": "show", "mustNotContain": "1080p",
                                "affectedFeeds": [FEED, OTHER, "http://unknown.invalid/"]})  # fmt: skip
    reply = await http.get("/api/v2/rss/matchingArticles", params={"ruleName": "tv"})
    assert reply.json() == {"Other": ["Show S02E01 720p"], "TV": ["Show S01E02 720p"]}
    reply = await http.get("/api/v2/rss/matchingArticles", params={"ruleName": "missing"})
    assert (reply.status_code, reply.json()) == (200, {})


async def test_auto_download_adds_each_match_once(webui: WebUI, http: httpx.AsyncClient) -> None:
    feeds = FakeFeeds()
    downloader = webui.runtime.backend.rss_rules
    downloader.feeds = feeds
    await set_rule(http, "tv", {"mustContain": "Show", "affectedFeeds": [FEED],
                                "assignedCategory": "tv", "savePath": "/tmp/rss-tv",
                                "addPaused": True, "smartFilter": True})  # fmt: skip
    first = [
        article(1, "Show S01E01 720p", 1),
        article(2, "Movie 2026"),
        article(3, "Show S01E01 1080p"),
    ]
    feeds.articles[FEED] = first
    await downloader.on_articles(FEED, first)  # processing is off: nothing
    assert (await http.get("/api/v2/torrents/info")).json() == []

    await http.post("/api/v2/app/setPreferences",
                    data={"json": json.dumps({"rss_auto_downloading_enabled": True})})  # fmt: skip

    async def added() -> list[dict[str, object]]:
        return list((await http.get("/api/v2/torrents/info")).json())

    async def one() -> None:
        got = await added()
        assert [(t["name"], t["category"], t["save_path"], t["state"]) for t in got] == [
            ("item1", "tv", "/tmp/rss-tv", "pausedDL")
        ], got

    await eventually(one)  # switching it on took what was there
    second = [article(4, "Show S01E02", 5), article(5, "Show S01E01 REPACK", 6)]
    feeds.articles[FEED] = second + first
    await downloader.on_articles(FEED, second)
    await downloader.on_articles(FEED, first)  # again: taken already
    await downloader.process_all()
    names = sorted(str(t["name"]) for t in await added())
    assert names == ["item1", "item4", "item5"]
    rule = (await rules(http))["tv"]
    # 4.6.7 records the bare episode of a repack again (5.1 does not)
    assert rule["previouslyMatchedEpisodes"] == ["1x1", "1x2", "1x1-REPACK", "1x1"]
    assert rule["lastMatch"] == "01 Dec 2026 18:00:00 +0000"

    # deleted torrents are not added back (their articles were taken); a new rule looks at
    # every article again and takes only those no rule took
    await http.post("/api/v2/torrents/delete", data={"hashes": "all", "deleteFiles": "false"})
    await eventually(lambda: _empty(http))
    await set_rule(http, "other", {"affectedFeeds": [FEED]})
    await downloader.process_all()
    assert sorted(str(t["name"]) for t in await added()) == ["item2", "item3"]
    log = await asyncio.to_thread(lambda: logged_in(webui).log_main())
    assert any("RSS article 'Movie 2026' is accepted by rule 'other'" in e.message for e in log)


async def _empty(http: httpx.AsyncClient) -> None:
    assert (await http.get("/api/v2/torrents/info")).json() == []


async def test_rules_and_what_they_took_survive_a_restart(
    start_webui: StartWebUI, tmp_path: Path
) -> None:
    data = tmp_path / "state"
    prefs = {**LOOPBACK_ONLY, "rss_auto_downloading_enabled": True}
    webui = await start_webui(data_dir=data, preferences=prefs)
    feeds = FakeFeeds()
    webui.runtime.backend.rss_rules.feeds = feeds
    async with httpx.AsyncClient(base_url=webui.url) as http:
        await login(http)
        await set_rule(http, "all", {"affectedFeeds": [FEED], "priority": 1})
        await set_rule(
            http, "first", {"affectedFeeds": [FEED], "mustContain": "x", "ignoreDays": 3}
        )
        feeds.articles[FEED] = [article(7, "x one"), article(8, "plain")]
        await webui.runtime.backend.rss_rules.on_articles(FEED, feeds.articles[FEED])
        before = await rules(http)
        assert before["first"]["lastMatch"] != "" and before["all"]["lastMatch"] != ""
        await http.post("/api/v2/torrents/delete", data={"hashes": "all", "deleteFiles": "false"})
        await eventually(lambda: _empty(http))
    webui.stop.set()
    await webui.runtime.backend.close()
    again = await start_webui(data_dir=data, preferences=prefs)
    downloader = again.runtime.backend.rss_rules
    downloader.feeds = feeds
    async with httpx.AsyncClient(base_url=again.url) as http:
        await login(http)
        assert await rules(http) == before
        await downloader.on_articles(FEED, feeds.articles[FEED])
        await downloader.process_all()
        assert (await http.get("/api/v2/torrents/info")).json() == []
    assert (data / "client" / "rss" / "download_rules.json").exists()


async def test_a_feed_url_change_follows_into_rules_and_records(
    webui: WebUI, http: httpx.AsyncClient
) -> None:
    feeds = FakeFeeds()
    downloader = webui.runtime.backend.rss_rules
    downloader.feeds = feeds
    read: list[tuple[str, str]] = []
    downloader.mark_read = lambda url, guid: read.append((url, guid))
    await http.post("/api/v2/app/setPreferences",
                    data={"json": json.dumps({"rss_auto_downloading_enabled": True})})  # fmt: skip
    await set_rule(http, "tv", {"affectedFeeds": [OTHER, FEED]})
    await downloader.on_articles(FEED, [article(1, "One")])
    assert read == [(FEED, "guid-1")]
    moved = "http://feeds.invalid/moved.xml"
    await downloader.feed_url_changed(FEED, moved)
    assert (await rules(http))["tv"]["affectedFeeds"] == [OTHER, moved]
    await downloader.on_articles(moved, [article(1, "One"), article(2, "Two")])
    infos = (await http.get("/api/v2/torrents/info")).json()
    assert sorted(t["name"] for t in infos) == ["item1", "item2"]
    assert read == [(FEED, "guid-1"), (moved, "guid-2")]
