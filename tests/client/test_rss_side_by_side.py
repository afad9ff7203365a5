"""`rss/*` side by side with Debian's qbittorrent-nox 4.5.2: the same calls get the same
status and body (uids aside), the same tree, and, once both fetched a loopback feed, the same
articles and feed data."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import httpx
import pytest

from tests.support.rss_feeds import Feed, FeedSite, Item, serve_feed_site
from tests.support.torrent_clients import Daemon
from tests.support.torrent_clients import qbittorrent_nox as qbittorrent_nox  # the fixture
from tests.support.waiting import eventually
from tests.support.webui import WebUI, login

pytestmark = pytest.mark.slow

PARIS = timezone(timedelta(hours=2))  # a feed that writes its own offset
MAGNET = "magnet:?xt=urn:btih:" + "b" * 40 + "&dn=Show.S02E02"
_UID = re.compile(r"\{[0-9a-f-]{36}\}")


@pytest.fixture
async def site() -> AsyncIterator[FeedSite]:
    async with serve_feed_site() as served:
        served.feeds["shows"] = Feed(
            "Side Shows",
            [
                Item("Show.S02E02", guid="e2", date=datetime(2025, 4, 2, 8, tzinfo=UTC),
                     magnet=MAGNET, description="second"),
                Item("Show.S02E01", guid="e1", date=datetime(2025, 4, 1, 8, 30, 5, tzinfo=PARIS),
                     link="http://x/e1", torrent="e1"),
            ],
            last_build="Wed, 02 Apr 2025 08:00:00 +0000",
        )  # fmt: skip
        served.failures["broken"] = 500
        served.failures["garbage"] = b"<html>no feed here</html>"
        yield served


async def both(webui: WebUI, nox: Daemon) -> AsyncIterator[tuple[httpx.AsyncClient, ...]]:
    async with (
        httpx.AsyncClient(base_url=webui.url, timeout=10) as ours,
        httpx.AsyncClient(base_url=f"http://127.0.0.1:{nox.port}", timeout=10) as theirs,
    ):
        for http in (ours, theirs):
            assert (await login(http)).text == "Ok."
        yield ours, theirs


def _normal(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _normal(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_normal(v) for v in value]
    if isinstance(value, str):
        return _UID.sub("{uid}", value)
    return value


async def _answer(http: httpx.AsyncClient, method: str, endpoint: str, data: dict[str, str]):
    if method == "GET":
        reply = await http.get(f"/api/v2/rss/{endpoint}", params=data)
    else:
        reply = await http.post(f"/api/v2/rss/{endpoint}", data=data)
    body: Any = reply.text
    if reply.headers.get("content-type", "").startswith("application/json"):
        body = _normal(reply.json())
    return reply.status_code, body


async def test_the_tree_and_its_errors_answer_as_qbittorrent_nox(
    webui: WebUI,
    qbittorrent_nox: Daemon,
    site: FeedSite,
):
    one, two, three = site.url("one"), site.url("two"), site.url("three")
    script: list[tuple[str, str, dict[str, str]]] = [
        ("POST", "addFolder", {"path": "Video"}),
        ("POST", "addFolder", {"path": "Video\\TV"}),
        ("POST", "addFolder", {"path": "Video"}),
        ("POST", "addFolder", {"path": "Nope\\Sub"}),
        ("POST", "addFolder", {"path": ""}),
        ("POST", "addFolder", {"path": "Video\\"}),
        ("POST", "addFolder", {"path": "\\Video"}),
        ("POST", "addFolder", {"path": "Video\\\\X"}),
        ("POST", "addFolder", {"path": "  Spaced  "}),
        ("POST", "addFolder", {}),
        ("GET", "addFolder", {"path": "ViaGet"}),
        ("POST", "addFeed", {"url": one, "path": "Video\\TV\\One"}),
        ("POST", "addFeed", {"url": one, "path": "Other"}),
        ("POST", "addFeed", {"url": two, "path": "Video\\TV\\One"}),
        ("POST", "addFeed", {"url": two}),
        ("POST", "addFeed", {"path": "Two"}),
        ("POST", "addFeed", {"url": three, "path": ""}),
        ("POST", "addFeed", {"url": two, "path": "Video\\TV\\One\\Below"}),
        ("GET", "items", {}),
        ("GET", "items", {"withData": "true"}),
        ("POST", "items", {"withData": "TRUE"}),
        ("GET", "items", {"withData": "1"}),
        ("POST", "moveItem", {"itemPath": "Video\\TV", "destPath": "TV"}),
        ("POST", "moveItem", {"itemPath": "", "destPath": "X"}),
        ("POST", "moveItem", {"itemPath": "Gone", "destPath": "X"}),
        ("POST", "moveItem", {"itemPath": "Video", "destPath": "Video\\Inner"}),
        ("POST", "moveItem", {"itemPath": "TV", "destPath": "Video"}),
        ("POST", "moveItem", {"itemPath": "Video", "destPath": "Missing\\Video"}),
        ("POST", "moveItem", {"itemPath": three, "destPath": "Video\\Three"}),
        ("POST", "moveItem", {"itemPath": "TV"}),
        ("GET", "items", {}),
        ("POST", "removeItem", {"path": ""}),
        ("POST", "removeItem", {"path": "Missing"}),
        ("POST", "removeItem", {}),
        ("POST", "markAsRead", {"itemPath": "Nothing"}),
        ("POST", "markAsRead", {"itemPath": "TV", "articleId": "x"}),
        ("POST", "markAsRead", {}),
        ("POST", "refreshItem", {"itemPath": "Nothing"}),
        ("POST", "refreshItem", {}),
        ("POST", "removeItem", {"path": "TV"}),
        ("GET", "items", {"withData": "true"}),
    ]
    async for ours, theirs in both(webui, qbittorrent_nox):
        for method, endpoint, data in script:
            expected = await _answer(theirs, method, endpoint, data)
            assert await _answer(ours, method, endpoint, data) == expected, (endpoint, data)


async def test_fetched_feeds_show_as_in_qbittorrent_nox(
    webui: WebUI,
    qbittorrent_nox: Daemon,
    site: FeedSite,
):
    async for ours, theirs in both(webui, qbittorrent_nox):
        for http in (ours, theirs):
            on = '{"rss_processing_enabled": true}'
            assert (await http.post("/api/v2/app/setPreferences", data={"json": on})).is_success
            for name in ("shows", "broken", "garbage"):
                reply = await http.post(
                    "/api/v2/rss/addFeed", data={"url": site.url(name), "path": ""}
                )
                assert reply.status_code == 200

        async def settled(http: httpx.AsyncClient) -> Any:
            tree = (await http.get("/api/v2/rss/items", params={"withData": "true"})).json()
            feeds = list(tree.values())
            loaded = all(not f["isLoading"] for f in feeds)
            for feed in feeds:  # qBittorrent lists them in its hash's order
                feed["articles"].sort(key=lambda a: a["id"])
            return _normal(tree) if loaded and "Side Shows" in tree else False

        theirs_tree = await eventually(lambda h=theirs: settled(h), timeout=30)
        ours_tree = await eventually(lambda h=ours: settled(h), timeout=30)
        assert ours_tree == theirs_tree
        assert theirs_tree[site.url("broken")]["hasError"] is True
        assert theirs_tree[site.url("garbage")]["hasError"] is True

        for http in (ours, theirs):
            await http.post(
                "/api/v2/rss/markAsRead", data={"itemPath": "Side Shows", "articleId": "e1"}
            )
        assert await settled(ours) == await settled(theirs)
