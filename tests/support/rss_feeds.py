"""A loopback feed site for the RSS tests: RSS 2.0 and Atom feeds (with the `torrent:`
namespace), the .torrent files their items point at, ETag/Last-Modified answers (304), and
failures a test scripts (a status code, a body that is no feed, an oversized body)."""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import format_datetime
from xml.sax.saxutils import escape, quoteattr

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.support.debrid_services.serving import serve_app

TORZNAB_NS = "http://xmlns.ezrss.it/0.1/"


@dataclass
class Item:
    title: str
    guid: str = ""
    date: datetime | None = None
    link: str = ""
    torrent: str = ""  # the name of a .torrent the site serves: an enclosure to it
    magnet: str = ""  # as <link> (RSS) / <link href> (Atom)
    magnet_uri: str = ""  # as <torrent:magnetURI>
    info_hash: str = ""  # as <torrent:infoHash>
    description: str = ""


@dataclass
class Feed:
    title: str
    items: list[Item] = field(default_factory=list)
    atom: bool = False
    last_build: str = ""


@dataclass
class FeedSite:
    feeds: dict[str, Feed] = field(default_factory=dict)
    torrents: dict[str, bytes] = field(default_factory=dict)
    failures: dict[str, int | bytes] = field(default_factory=dict)  # feed -> status or body
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    not_modified: int = 0  # 304s answered
    base: str = ""

    def url(self, feed: str) -> str:
        return f"{self.base}/feeds/{feed}"

    def torrent_url(self, name: str) -> str:
        return f"{self.base}/torrents/{name}.torrent"

    def fetches(self, feed: str) -> int:
        return sum(1 for path, _ in self.requests if path == f"/feeds/{feed}")

    def body(self, name: str) -> bytes:
        feed = self.feeds[name]
        return (self._atom(feed) if feed.atom else self._rss(feed)).encode()

    def _enclosure_url(self, item: Item) -> str:
        return self.torrent_url(item.torrent) if item.torrent else ""

    def _rss(self, feed: Feed) -> str:
        parts = [
            '<?xml version="1.0" encoding="UTF-8"?>',
            f'<rss version="2.0" xmlns:torrent="{TORZNAB_NS}"><channel>',
            f"<title>{escape(feed.title)}</title><link>{self.base}/</link>",
        ]
        if feed.last_build:
            parts.append(f"<lastBuildDate>{feed.last_build}</lastBuildDate>")
        for item in feed.items:
            parts.append(f"<item><title>{escape(item.title)}</title>")
            if item.guid:
                parts.append(f'<guid isPermaLink="false">{escape(item.guid)}</guid>')
            if item.date:
                parts.append(f"<pubDate>{format_datetime(item.date)}</pubDate>")
            if item.magnet or item.link:
                parts.append(f"<link>{escape(item.magnet or item.link)}</link>")
            if item.torrent:
                url = quoteattr(self._enclosure_url(item))
                parts.append(f'<enclosure url={url} length="1" type="application/x-bittorrent"/>')
            if item.magnet_uri:
                parts.append(f"<torrent:magnetURI>{escape(item.magnet_uri)}</torrent:magnetURI>")
            if item.info_hash:
                parts.append(f"<torrent:infoHash>{item.info_hash}</torrent:infoHash>")
            if item.description:
                parts.append(f"<description>{escape(item.description)}</description>")
            parts.append("</item>")
        parts.append("</channel></rss>")
        return "\n".join(parts)

    def _atom(self, feed: Feed) -> str:
        parts = [
            '<?xml version="1.0" encoding="UTF-8"?>',
            '<feed xmlns="http://www.w3.org/2005/Atom">',
            f"<title>{escape(feed.title)}</title><id>{self.base}/atom</id>",
        ]
        if feed.last_build:
            parts.append(f"<updated>{feed.last_build}</updated>")
        for item in feed.items:
            parts.append(f"<entry><title>{escape(item.title)}</title>")
            if item.guid:
                parts.append(f"<id>{escape(item.guid)}</id>")
            if item.date:
                parts.append(f"<updated>{item.date.isoformat()}</updated>")
            if item.magnet or item.link:
                parts.append(f'<link rel="alternate" href={quoteattr(item.magnet or item.link)}/>')
            if item.torrent:
                url = quoteattr(self._enclosure_url(item))
                parts.append(f'<link rel="enclosure" type="application/x-bittorrent" href={url}/>')
            if item.description:
                parts.append(f"<summary>{escape(item.description)}</summary>")
            parts.append("</entry>")
        parts.append("</feed>")
        return "\n".join(parts)

    def app(self) -> Starlette:
        async def feed(request: Request) -> Response:
            name = request.path_params["name"]
            self.requests.append((request.url.path, dict(request.headers)))
            failure = self.failures.get(name)
            if isinstance(failure, int):
                return Response(b"failure", failure)
            if isinstance(failure, bytes):
                return Response(failure, media_type="application/rss+xml")
            if name not in self.feeds:
                return Response(b"no such feed", 404)
            body = self.body(name)
            etag = '"' + hashlib.sha1(body).hexdigest() + '"'  # noqa: S324 - a cache validator
            modified = "Mon, 01 Jan 2024 00:00:00 GMT"
            if request.headers.get("if-none-match") == etag:
                self.not_modified += 1
                return Response(status_code=304, headers={"ETag": etag})
            headers = {"ETag": etag, "Last-Modified": modified}
            return Response(body, media_type="application/rss+xml", headers=headers)

        async def torrent(request: Request) -> Response:
            body = self.torrents.get(request.path_params["name"])
            if body is None:
                return Response(b"no such torrent", 404)
            return Response(body, media_type="application/x-bittorrent")

        return Starlette(
            routes=[
                Route("/feeds/{name}", feed),
                Route("/torrents/{name}.torrent", torrent),
            ]
        )


@contextlib.asynccontextmanager
async def serve_feed_site(site: FeedSite | None = None) -> AsyncIterator[FeedSite]:
    """Serve `site` (a new empty one by default) on 127.0.0.1 until the block ends."""
    site = site or FeedSite()
    async with serve_app(site.app(), "feed-site") as port:
        site.base = f"http://127.0.0.1:{port}"
        yield site
