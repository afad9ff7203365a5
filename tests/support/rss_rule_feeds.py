"""A loopback RSS site for the auto-downloader's tests: an RSS 2.0 feed whose items point at
.torrent files it also serves or at magnets, and `LoopbackFeeds`, a small stand-in for the feeds
part that fetches the feed and hands the auto-downloader each new article (as a refresh does)."""

from __future__ import annotations

import contextlib
import email.utils
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from xml.sax.saxutils import escape

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.support.debrid_services.serving import serve_app
from torrentstack.client.rss_downloader import RssAutoDownloader
from torrentstack.qbittorrent.rss_article import Article


@dataclass
class Item:
    guid: str
    title: str
    link: str  # a path on the site ("/t/x.torrent") or a magnet
    date: datetime = field(default_factory=lambda: datetime(2026, 12, 1, 12, tzinfo=UTC))


@dataclass
class FeedSite:
    base: str
    items: list[Item] = field(default_factory=list)  # newest first, as feeds list them
    torrents: dict[str, bytes] = field(default_factory=dict)  # name -> .torrent served
    requests: list[str] = field(default_factory=list)

    @property
    def feed_url(self) -> str:
        return f"{self.base}/feed.xml"

    def url(self, link: str) -> str:
        return link if link.startswith("magnet:") else self.base + link

    def xml(self) -> str:
        entries = "".join(
            f"<item><guid>{escape(i.guid)}</guid><title>{escape(i.title)}</title>"
            f"<pubDate>{email.utils.format_datetime(i.date)}</pubDate>"
            f'<enclosure url="{escape(self.url(i.link))}" type="application/x-bittorrent"/>'
            "</item>"
            for i in self.items
        )
        return f'<?xml version="1.0"?><rss version="2.0"><channel><title>Loop</title>{entries}</channel></rss>'


@contextlib.asynccontextmanager
async def feed_site() -> AsyncIterator[FeedSite]:
    site = FeedSite("")

    async def feed(_request: Request) -> Response:
        site.requests.append("/feed.xml")
        return Response(site.xml(), media_type="application/rss+xml")

    async def torrent(request: Request) -> Response:
        name = request.path_params["name"]
        site.requests.append(f"/t/{name}")
        if name not in site.torrents:
            return Response(status_code=404)
        return Response(site.torrents[name], media_type="application/x-bittorrent")

    app = Starlette(routes=[Route("/feed.xml", feed), Route("/t/{name}", torrent)])
    async with serve_app(app, "rss-site") as port:
        site.base = f"http://127.0.0.1:{port}"
        yield site


class LoopbackFeeds:
    """Feeds by URL, refreshed by hand: new articles go to the auto-downloader."""

    def __init__(self, downloader: RssAutoDownloader, names: dict[str, str]) -> None:
        self.downloader = downloader
        self.names = names  # feed URL -> name
        self.articles: dict[str, list[Article]] = {url: [] for url in names}

    def feeds(self) -> dict[str, list[Article]]:
        return self.articles

    def name(self, url: str) -> str:
        return self.names[url]

    async def refresh(self, url: str) -> list[Article]:
        async with httpx.AsyncClient() as http:
            reply = await http.get(url)
        reply.raise_for_status()
        known = {a.id for a in self.articles[url]}
        fresh = [a for a in parse(reply.text) if a.id not in known]
        self.articles[url] = fresh + self.articles[url]
        if fresh:
            await self.downloader.on_articles(url, fresh)
        return fresh


def parse(text: str) -> list[Article]:
    root = ET.fromstring(text)  # noqa: S314 - our own loopback feed
    out = []
    for item in root.iter("item"):
        enclosure = item.find("enclosure")
        date = email.utils.parsedate_to_datetime(item.findtext("pubDate", ""))
        out.append(
            Article(
                id=item.findtext("guid", ""),
                title=item.findtext("title", ""),
                date=date.astimezone(UTC),
                torrent_url=enclosure.get("url", "") if enclosure is not None else "",
            )
        )
    return out
