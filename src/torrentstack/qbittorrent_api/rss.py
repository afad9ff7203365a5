"""`rss/*` of the feeds and folders (not the auto-downloading rules): addFolder, addFeed,
setFeedURL, removeItem, moveItem, items, markAsRead, refreshItem. Paths use `\\`."""

from __future__ import annotations

from typing import Any, Protocol

from starlette.responses import Response

from torrentstack.qbittorrent import forms
from torrentstack.qbittorrent_api.dispatch import Call, WebApi
from torrentstack.qbittorrent_api.responses import json_body, text


class RssFeeds(Protocol):
    """The feed tree and its articles; changes raise `Conflict` with qBittorrent's text."""

    async def add_folder(self, path: str) -> None: ...
    async def add_feed(self, url: str, path: str) -> None: ...
    async def set_feed_url(self, path: str, url: str) -> None: ...
    async def remove_item(self, path: str) -> None: ...
    async def move_item(self, path: str, destination: str) -> None: ...
    async def mark_as_read(self, path: str, article_id: str | None) -> None: ...
    async def refresh_item(self, path: str) -> None: ...
    def items(self, with_data: bool) -> dict[str, Any]: ...


def add_rss_endpoints(api: WebApi, feeds: RssFeeds) -> None:
    async def add_folder(call: Call) -> Response:
        forms.require(call.params, "path")
        await feeds.add_folder(call.params["path"].strip())
        return text("")

    async def add_feed(call: Call) -> Response:
        forms.require(call.params, "url", "path")
        url, path = call.params["url"].strip(), call.params["path"].strip()
        await feeds.add_feed(url, path or url)
        return text("")

    async def set_feed_url(call: Call) -> Response:
        forms.require(call.params, "path", "url")
        await feeds.set_feed_url(call.params["path"].strip(), call.params["url"].strip())
        return text("")

    async def remove_item(call: Call) -> Response:
        forms.require(call.params, "path")
        await feeds.remove_item(call.params["path"].strip())
        return text("")

    async def move_item(call: Call) -> Response:
        forms.require(call.params, "itemPath", "destPath")
        await feeds.move_item(call.params["itemPath"].strip(), call.params["destPath"].strip())
        return text("")

    async def items(call: Call) -> Response:
        return json_body(feeds.items(forms.parse_bool(call.params.get("withData")) or False))

    async def mark_as_read(call: Call) -> Response:
        forms.require(call.params, "itemPath")
        await feeds.mark_as_read(call.params["itemPath"], call.params.get("articleId"))
        return text("")

    async def refresh_item(call: Call) -> Response:
        forms.require(call.params, "itemPath")
        await feeds.refresh_item(call.params["itemPath"])
        return text("")

    api.add("rss/addFolder", add_folder)
    api.add("rss/addFeed", add_feed)
    api.add("rss/setFeedURL", set_feed_url)
    api.add("rss/removeItem", remove_item)
    api.add("rss/moveItem", move_item)
    api.add("rss/items", items)
    api.add("rss/markAsRead", mark_as_read)
    api.add("rss/refreshItem", refresh_item)
