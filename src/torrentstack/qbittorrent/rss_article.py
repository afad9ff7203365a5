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
        """As `rss/items?withData=true` lists it (qBittorrent's `Article::data()` keys): the
        date as Qt's RFC 2822 text, `isRead` only once read (qBittorrent adds the key then)."""
        out: dict[str, Any] = {
            "id": self.id,
            "title": self.title,
            "date": rfc2822(self.date),
            "torrentURL": self.torrent_url,
        }
        if self.is_read:
            out["isRead"] = True
        if self.link:
            out["link"] = self.link
        if self.description:
            out["description"] = self.description
        if self.author:
            out["author"] = self.author
        return out


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def rfc2822(moment: datetime) -> str:
    """Qt's `toString(Qt::RFC2822Date)`: "04 Dec 2026 19:53:39 +0000" (English month names
    whatever the locale, no weekday)."""
    offset = moment.strftime("%z") or "+0000"
    return (
        f"{moment.day:02d} {_MONTHS[moment.month - 1]} {moment.year:04d} "
        f"{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d} {offset}"
    )
