"""`rss/*` feeds and folders over HTTP against a loopback feed site: the tree and its 409
answers, refreshes (refreshItem and the timer), conditional GET, articles as qBittorrent lists
them, read flags, a broken feed keeping its articles, the listeners' hand-over, and a restart."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from tests.support.rss_feeds import Feed, FeedSite, Item, serve_feed_site
from tests.support.waiting import eventually
from tests.support.webui import StartWebUI, WebUI, login
from torrentstack.qbittorrent.rss_article import Article

DAY1 = datetime(2025, 3, 1, 10, 0, tzinfo=UTC)
DAY2 = datetime(2025, 3, 2, 10, 0, tzinfo=UTC)
DAY3 = datetime(2025, 3, 3, 10, 0, tzinfo=UTC)
MAGNET = "magnet:?xt=urn:btih:" + "a" * 40 + "&dn=Show.S01E02"


@pytest.fixture
async def site() -> AsyncIterator[FeedSite]:
    async with serve_feed_site() as served:
        served.torrents["s01e01"] = b"d4:infod4:name3:oneee"
        served.feeds["shows"] = Feed(
            "Loopback Shows",
            [
                Item("Show.S01E02", guid="ep2", date=DAY2, magnet=MAGNET),
                Item("Show.S01E01", guid="ep1", date=DAY1, link="http://x/1", torrent="s01e01",
                     description="first"),
            ],
            last_build="Sun, 02 Mar 2025 10:00:00 +0000",
        )  # fmt: skip
        served.feeds["atom"] = Feed(
            "Atom Shows", [Item("Atom.One", guid="urn:a1", date=DAY1, torrent="s01e01")], atom=True
        )
        yield served


@contextlib.asynccontextmanager
async def session(webui: WebUI) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=webui.url, timeout=10) as http:
        assert (await login(http)).text == "Ok."
        yield http


async def call(http: httpx.AsyncClient, endpoint: str, **data: str) -> httpx.Response:
    return await http.post(f"/api/v2/rss/{endpoint}", data=data)


async def items(http: httpx.AsyncClient, with_data: bool = False) -> dict[str, Any]:
    reply = await http.get("/api/v2/rss/items", params={"withData": str(with_data).lower()})
    assert reply.status_code == 200
    return reply.json()


async def refreshed(
    http: httpx.AsyncClient, path: str, count: int, feed_path: str = ""
) -> dict[str, Any]:
    """Refresh the item at `path`; wait until the feed at `feed_path` (default: `path`) shows
    `count` articles, loaded."""
    assert (await call(http, "refreshItem", itemPath=path)).status_code == 200

    async def loaded() -> dict[str, Any] | bool:
        try:
            feed = _at(await items(http, True), feed_path or path)
        except KeyError:  # not renamed yet
            return False
        return feed if not feed["isLoading"] and len(feed["articles"]) == count else False

    return await eventually(loaded, timeout=10)


def _at(tree: dict[str, Any], path: str) -> Any:
    node: Any = tree
    for part in path.split("\\"):
        node = node[part]
    return node


async def test_folders_feeds_and_their_conflicts(webui: WebUI, site: FeedSite):
    url = site.url("shows")
    async with session(webui) as http:
        assert (await call(http, "addFolder", path="Video")).text == ""
        assert (await call(http, "addFolder", path="Video\\TV")).status_code == 200
        assert (await call(http, "addFeed", url=url, path="Video\\TV\\Shows")).status_code == 200
        tree = await items(http)
        feed = tree["Video"]["TV"]["Shows"]
        assert set(feed) == {"uid", "url"} and feed["url"] == url
        assert feed["uid"].startswith("{") and len(feed["uid"]) == 38
        conflicts = {
            ("addFolder", ("path", "Video")): "RSS item with given path already exists: Video.",
            ("addFolder", ("path", "Nope\\Sub")): "Parent folder doesn't exist: Nope.",
            ("addFolder", ("path", "Video\\\\X")): "Incorrect RSS Item path: Video\\\\X.",
            ("addFolder", ("path", "")): "Incorrect RSS Item path: .",
            ("addFolder", ("path", "Video\\")): "Incorrect RSS Item path: Video\\.",
            ("addFeed", ("url", url), ("path", "Other")): (
                f"RSS feed with given URL already exists: {url}."
            ),
            ("addFeed", ("url", site.url("atom")), ("path", "Video\\TV\\Shows")): (
                "RSS item with given path already exists: Video\\TV\\Shows."
            ),
            ("removeItem", ("path", "")): "Cannot delete root folder.",
            ("removeItem", ("path", "Missing")): "Item doesn't exist: Missing.",
            ("moveItem", ("itemPath", ""), ("destPath", "X")): "Cannot move root folder.",
            ("moveItem", ("itemPath", "Gone"), ("destPath", "X")): "Item doesn't exist: Gone.",
            ("moveItem", ("itemPath", "Video"), ("destPath", "Video\\Inner")): (
                "Couldn't move folder into itself."
            ),
            ("moveItem", ("itemPath", "Video\\TV"), ("destPath", "Video")): (
                "RSS item with given path already exists: Video."
            ),
            ("setFeedURL", ("path", "Video"), ("url", "http://x/")): "Feed doesn't exist: Video.",
        }
        for (endpoint, *params), message in conflicts.items():
            reply = await call(http, endpoint, **dict(params))
            assert (reply.status_code, reply.text) == (409, message), (endpoint, params)
        for endpoint, params in [
            ("addFolder", {}),
            ("addFeed", {"url": url}),
            ("addFeed", {"path": "x"}),
            ("removeItem", {}),
            ("moveItem", {"itemPath": "Video"}),
            ("markAsRead", {}),
            ("refreshItem", {}),
            ("setFeedURL", {"path": "Video\\TV\\Shows"}),
        ]:
            reply = await call(http, endpoint, **params)
            assert (reply.status_code, reply.text) == (400, "Bad Request"), endpoint
        assert (await http.get("/api/v2/rss/addFolder", params={"path": "G"})).status_code == 405
        assert await items(http) == tree

        assert (await call(http, "moveItem", itemPath="Video\\TV", destPath="TV")).text == ""
        assert await items(http) == {"Video": {}, "TV": {"Shows": feed}}
        assert (await call(http, "addFeed", url=site.url("atom"), path="")).status_code == 200
        assert set(await items(http)) == {"Video", "TV", site.url("atom")}  # named by its URL
        assert (await call(http, "removeItem", path="TV")).text == ""
        assert (await call(http, "addFeed", url=url, path="Again")).status_code == 200
        assert set(await items(http)) == {"Video", "Again", site.url("atom")}
        assert (await call(http, "setFeedURL", path="Again", url=url + "?v=2")).text == ""
        assert (await items(http))["Again"]["url"] == url + "?v=2"
        assert (await call(http, "setFeedURL", path="Again", url=site.url("atom"))).text == (
            f"RSS feed with given URL already exists: {site.url('atom')}."
        )
    assert site.requests == []  # rss_processing_enabled is off: nothing is fetched on its own


async def test_refresh_lists_articles_as_qbittorrent_and_names_the_feed_by_its_title(
    webui: WebUI, site: FeedSite
):
    url = site.url("shows")
    async with session(webui) as http:
        assert (await call(http, "addFeed", url=url, path="")).status_code == 200
        assert _at(await items(http, True), url) | {"uid": ""} == {
            "uid": "",
            "url": url,
            "title": "",
            "lastBuildDate": "",
            "isLoading": False,
            "hasError": False,
            "articles": [],
        }
        assert (await call(http, "refreshItem", itemPath=url)).status_code == 200

        async def renamed() -> dict[str, Any] | bool:
            tree = await items(http, True)
            feed = tree.get("Loopback Shows")
            return feed if feed and not feed["isLoading"] and feed["articles"] else False

        feed = await eventually(renamed, timeout=10)
        assert (feed["title"], feed["lastBuildDate"], feed["hasError"]) == (
            "Loopback Shows",
            "Sun, 02 Mar 2025 10:00:00 +0000",
            False,
        )
        assert feed["articles"] == [
            {
                "id": "ep2",
                "title": "Show.S01E02",
                "date": "02 Mar 2025 10:00:00 +0000",
                "torrentURL": MAGNET,
            },
            {
                "id": "ep1",
                "title": "Show.S01E01",
                "date": "01 Mar 2025 10:00:00 +0000",
                "torrentURL": site.torrent_url("s01e01"),
                "link": "http://x/1",
                "description": "first",
            },
        ]
        # again: a conditional GET the site answers 304; the articles stay
        await refreshed(http, "Loopback Shows", 2)
        await eventually(lambda: site.not_modified == 1, timeout=10)
        messages = [e["message"] for e in (await http.get("/api/v2/log/main")).json()]
        assert f"RSS feed at '{url}' updated. Added 2 new articles." in messages
        assert messages[-1] == f"RSS feed at '{url}' updated. Added 0 new articles."
        last_headers = site.requests[-1][1]
        assert last_headers["if-none-match"].startswith('"')
        assert last_headers["if-modified-since"] == "Mon, 01 Jan 2024 00:00:00 GMT"

        # a folder refresh fetches the feeds below it; Atom too
        await call(http, "addFolder", path="More")
        await call(http, "addFeed", url=site.url("atom"), path="More\\Atom")
        atom = await refreshed(http, "More", 1, "More\\Atom")
        assert atom["title"] == "Atom Shows"
        assert atom["articles"][0]["torrentURL"] == site.torrent_url("s01e01")


async def test_read_flags(webui: WebUI, site: FeedSite):
    async with session(webui) as http:
        await call(http, "addFolder", path="F")
        await call(http, "addFeed", url=site.url("shows"), path="F\\Shows")
        await call(http, "addFeed", url=site.url("atom"), path="F\\Atom")
        await refreshed(http, "F\\Shows", 2)
        await refreshed(http, "F\\Atom", 1)
        assert (await call(http, "markAsRead", itemPath="F\\Shows", articleId="ep1")).text == ""
        for unknown in [
            {"itemPath": "Nothing"},
            {"itemPath": "F\\Shows", "articleId": "nope"},
            {"itemPath": "F", "articleId": "ep2"},  # an id names an article of a feed only
        ]:
            assert (await call(http, "markAsRead", **unknown)).status_code == 200

        def read_flags(tree: dict[str, Any]) -> dict[str, bool]:
            return {
                a["id"]: a.get("isRead", False)
                for feed in tree["F"].values()
                for a in feed["articles"]
            }

        assert read_flags(await items(http, True)) == {"ep2": False, "ep1": True, "urn:a1": False}
        assert (await call(http, "markAsRead", itemPath="F")).status_code == 200
        assert read_flags(await items(http, True)) == {"ep2": True, "ep1": True, "urn:a1": True}


async def test_a_broken_feed_shows_its_error_and_keeps_its_articles(webui: WebUI, site: FeedSite):
    async with session(webui) as http:
        await call(http, "addFeed", url=site.url("shows"), path="Shows")
        before = (await refreshed(http, "Shows", 2))["articles"]
        for failure in [500, b"<html>not a feed</html>", b"\x00\xff" * 100, 404]:
            site.failures["shows"] = failure
            fetches = site.fetches("shows")
            await call(http, "refreshItem", itemPath="Shows")

            async def failed(fetches: int = fetches) -> dict[str, Any] | bool:
                feed = (await items(http, True))["Shows"]
                done = site.fetches("shows") > fetches and not feed["isLoading"]
                return feed if done and feed["hasError"] else False

            feed = await eventually(failed, timeout=10)
            assert feed["articles"] == before, failure
            log = (await http.get("/api/v2/log/main", params={"normal": "false"})).json()
            assert log[-1]["message"].startswith("Failed to ")
            assert log[-1]["type"] == 4  # a warning
        site.failures.clear()
        site.feeds["shows"].items.insert(0, Item("Show.S01E03", guid="ep3", date=DAY3))
        fixed = await refreshed(http, "Shows", 3)
        assert fixed["hasError"] is False

        await call(http, "addFeed", url="file:///etc/passwd", path="Local")
        await call(http, "refreshItem", itemPath="Local")

        async def refused() -> bool:
            local = (await items(http, True))["Local"]
            return local["hasError"] and not local["isLoading"] and local["articles"] == []

        await eventually(refused, timeout=10)


async def test_the_timer_refreshes_every_interval_and_the_cap_keeps_the_newest(
    webui: WebUI, site: FeedSite
):
    async with session(webui) as http:
        set_prefs = '{"rss_processing_enabled": true, "rss_refresh_interval": 1}'
        await http.post("/api/v2/app/setPreferences", data={"json": set_prefs})
        await call(http, "addFeed", url=site.url("shows"), path="Shows")  # fetched at once

        async def articles() -> list[str]:
            feed = (await items(http, True))["Shows"]
            return [a["id"] for a in feed["articles"]]

        await eventually(lambda: _equal(articles(), ["ep2", "ep1"]), timeout=10)
        site.feeds["shows"].items.insert(0, Item("Show.S01E03", guid="ep3", date=DAY3))
        webui.clock.advance(61)  # one interval later, the timer fetches every feed
        await eventually(lambda: _equal(articles(), ["ep3", "ep2", "ep1"]), timeout=10)

        await http.post(
            "/api/v2/app/setPreferences", data={"json": '{"rss_max_articles_per_feed": 2}'}
        )
        assert await articles() == ["ep3", "ep2"]
        site.feeds["shows"].items.insert(
            0, Item("Show.S01E04", guid="ep4", date=DAY3.replace(day=4))
        )
        site.feeds["shows"].items.append(
            Item("Show.S01E00", guid="ep0", date=DAY1.replace(day=1, month=1))
        )
        webui.clock.advance(61)
        await eventually(lambda: _equal(articles(), ["ep4", "ep3"]), timeout=10)


async def _equal(value: Any, expected: Any) -> bool:
    return await value == expected


async def test_new_articles_go_to_the_listeners_once(webui: WebUI, site: FeedSite):
    rss = webui.runtime.backend.rss
    handed: list[tuple[str, list[str]]] = []
    seen_async: list[str] = []

    def listener(url: str, articles: list[Article]) -> None:
        handed.append((url, [a.id for a in articles]))

    async def async_listener(url: str, articles: list[Article]) -> None:
        seen_async.extend(a.torrent_url for a in articles)

    def broken(url: str, articles: list[Article]) -> None:
        raise RuntimeError("a listener that fails")

    rss.add_articles_listener(broken)
    rss.add_articles_listener(listener)
    rss.add_articles_listener(async_listener)
    url = site.url("shows")
    async with session(webui) as http:
        await call(http, "addFeed", url=url, path="Shows")
        await refreshed(http, "Shows", 2)
        await eventually(lambda: handed == [(url, ["ep2", "ep1"])], timeout=10)
        assert seen_async == [MAGNET, site.torrent_url("s01e01")]
        await refreshed(http, "Shows", 2)  # nothing new: nobody is told
        site.feeds["shows"].items.insert(
            0, Item("Show.S01E03", guid="ep3", date=DAY3, torrent="s01e01")
        )
        await refreshed(http, "Shows", 3)
        await eventually(lambda: len(handed) == 2, timeout=10)
        assert handed[1] == (url, ["ep3"])
    feeds = rss.feeds()
    assert list(feeds) == [url]
    assert [a.id for a in feeds[url]] == ["ep3", "ep2", "ep1"]
    assert feeds[url][0].torrent_url == site.torrent_url("s01e01")


async def test_feeds_articles_and_read_flags_survive_a_restart(
    start_webui: StartWebUI, site: FeedSite, tmp_path
):
    first = await start_webui(tmp_path)
    async with session(first) as http:
        await call(http, "addFolder", path="TV")
        await call(http, "addFeed", url=site.url("shows"), path="TV\\Shows")
        await call(http, "addFeed", url=site.url("atom"), path="Atom")
        await refreshed(http, "TV\\Shows", 2)
        await call(http, "markAsRead", itemPath="TV\\Shows", articleId="ep2")
        before = await items(http, True)
    await first.runtime.backend.close()
    first.stop.set()
    assert (tmp_path / "client" / "rss" / "feeds.json").is_file()
    again = await start_webui(tmp_path)
    async with session(again) as http:
        after = await items(http, True)
    assert after == before
    assert after["TV"]["Shows"]["articles"][0]["isRead"] is True
    assert [a.id for a in again.runtime.backend.rss.feeds()[site.url("shows")]] == ["ep2", "ep1"]
    await asyncio.sleep(0)


@pytest.mark.parametrize("persona", ["4.6", "5.1"])
async def test_set_feed_url_in_both_personas(start_webui: StartWebUI, site: FeedSite, persona: str):
    # qBittorrent 4.6.0 added setFeedURL (WebAPI 2.9.1): 4.6.7 and 5.1.4 both have it
    webui = await start_webui(persona=persona)
    old, new = site.url("shows"), site.url("atom")
    async with session(webui) as http:
        await call(http, "addFeed", url=old, path="")
        await call(http, "addFeed", url=site.url("other"), path="Kept")
        assert (
            await http.get("/api/v2/rss/setFeedURL", params={"path": old, "url": new})
        ).status_code == 405
        assert (await call(http, "setFeedURL", path=old, url=old)).text == ""  # the same: nothing
        assert (await call(http, "setFeedURL", path=old, url=new)).text == ""
        # a feed still named by its URL takes the new one as its name
        assert set(await items(http)) == {new, "Kept"}
        assert (await items(http))[new]["url"] == new
        await refreshed(http, new, 1, "Atom Shows")


async def test_with_processing_off_the_timer_fetches_nothing(webui: WebUI, site: FeedSite):
    rss = webui.runtime.backend.rss
    async with session(webui) as http:
        await call(http, "addFeed", url=site.url("shows"), path="Shows")
        webui.clock.advance(24 * 3600)
        await rss._tick()  # what the timer does each second
        assert site.requests == []
        assert (await login(http)).text == "Ok."  # the day ended the session
        await http.post(
            "/api/v2/app/setPreferences", data={"json": '{"rss_processing_enabled": true}'}
        )
        await rss._tick()  # switched on: every feed at once, then once per interval
        await eventually(lambda: site.fetches("shows") == 1, timeout=10)
        await rss._tick()
        await eventually(lambda: not rss._tasks, timeout=10)
        webui.clock.advance(29 * 60)
        await rss._tick()
        assert not rss._tasks and site.fetches("shows") == 1  # no refresh started
        webui.clock.advance(60)
        await rss._tick()
        await eventually(lambda: site.fetches("shows") == 2, timeout=10)
