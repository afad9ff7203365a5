"""An RSS article as qBittorrent keeps and shows it (`rss/items?withData=true`), and what the
auto-downloader reads of it. Pure: the feeds build these, the rules match them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class Article:
    id: str  # the item's guid (or its link/title when it has none), unique within its feed
    title: str
    date: datetime  # UTC; the feed's pubDate/updated, else when it was first seen
    torrent_url: str  # enclosure (a .torrent URL or magnet), else the link: what is added
    link: str = ""
    description: str = ""
    author: str = ""
    is_read: bool = False

    def to_json(self) -> dict[str, Any]:
        """As `rss/items?withData=true` lists it (qBittorrent's `Article::data()` keys)."""
        out: dict[str, Any] = {
            "id": self.id,
            "title": self.title,
            "date": self.date.strftime("%d %b %Y %H:%M:%S %z"),
            "torrentURL": self.torrent_url,
            "isRead": self.is_read,
        }
        if self.link:
            out["link"] = self.link
        if self.description:
            out["description"] = self.description
        if self.author:
            out["author"] = self.author
        return out
