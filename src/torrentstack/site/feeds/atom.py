"""Atom 1.0 feeds of torrents (RFC 4287), written by feedgen: `atom_feed` of `FeedEntry`s.

What makes the document valid Atom whatever the data:

- the feed has its id, title, updated, a `rel="self"` and a `rel="alternate"` link, and an author
  (the site, by its title), so entries need no author of their own;
- each entry has its id, title, updated and a `rel="alternate"` link to its page; a
  `download_url` adds a `rel="enclosure"` link whose `length` is the torrent's size. feedgen 1.0
  writes an entry's links with their `href` only (it reads rel, type and length back from the
  element it has just made), so `_EntryLinks`, a feedgen entry extension, writes them;
- text loses the characters XML 1.0 cannot hold (`xml_text`), and a title left empty falls back
  to the id (feedgen refuses an empty title).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from feedgen.feed import FeedGenerator  # type: ignore[import-untyped]

from torrentstack.site.torznab.xml import TORRENT_TYPE, xml_text

__all__ = ["FeedEntry", "atom_feed"]

GENERATOR: Final = "torrentstack"
_EXTENSION: Final = "torrentstack_links"


@dataclass(frozen=True, slots=True)
class FeedEntry:
    """One torrent in a feed. `link` is its page; `updated` must be timezone-aware."""

    id: str
    title: str
    link: str
    updated: datetime
    summary: str
    category: str | None
    size: int
    author: str | None
    download_url: str | None = None


def atom_feed(
    *,
    feed_id: str,
    title: str,
    self_url: str,
    site_url: str,
    entries: Iterable[FeedEntry],
    updated: datetime,
) -> bytes:
    """The feed as UTF-8 Atom XML; entries stay in the order given."""
    feed = FeedGenerator()
    feed_id = _identifier(feed_id, "feed_id")
    feed_title = xml_text(title) or feed_id
    feed.id(feed_id)
    feed.title(feed_title)
    feed.updated(_aware(updated, "updated"))
    feed.author(name=feed_title)
    feed.link(href=xml_text(site_url), rel="alternate")
    feed.link(href=xml_text(self_url), rel="self", type="application/atom+xml")
    feed.generator(GENERATOR)
    for entry in entries:
        _add(feed, entry)
    return bytes(feed.atom_str(pretty=False))


def _add(feed: FeedGenerator, entry: FeedEntry) -> None:
    entry_id = _identifier(entry.id, "entry id")
    if entry.size < 0:
        raise ValueError(f"entry {entry_id}: size cannot be negative")
    added = feed.add_entry(order="append")
    added.id(entry_id)
    added.title(xml_text(entry.title) or entry_id)
    added.updated(_aware(entry.updated, f"entry {entry_id}: updated"))
    added.link(href=xml_text(entry.link), rel="alternate")  # feedgen checks one is there
    added.register_extension(_EXTENSION, _EntryLinks, atom=True, rss=False)
    if entry.download_url is not None:
        links: _EntryLinks = getattr(added, _EXTENSION)
        links.enclosure = {
            "rel": "enclosure",
            "href": xml_text(entry.download_url),
            "type": TORRENT_TYPE,
            "length": str(entry.size),
        }
    if summary := xml_text(entry.summary):
        added.summary(summary)
    if entry.category is not None and (term := xml_text(entry.category)):
        added.category(term=term)
    if entry.author is not None and (name := xml_text(entry.author)):
        added.author(name=name)


class _EntryLinks:
    """A feedgen entry extension (the interface of feedgen.ext.base.BaseEntryExtension).

    Called with the finished `<entry>` element: it names the one link feedgen wrote (the page)
    `rel="alternate"` and adds the enclosure link with its type and length.
    """

    def __init__(self) -> None:
        self.enclosure: dict[str, str] | None = None

    def extend_ns(self) -> dict[str, str]:
        return {}

    def extend_rss(self, item: Any) -> Any:
        return item

    def extend_atom(self, entry: Any) -> Any:
        for link in entry.findall("link"):
            link.set("rel", "alternate")
        if self.enclosure is not None:
            entry.append(entry.makeelement("link", self.enclosure))
        return entry


def _identifier(value: str, what: str) -> str:
    cleaned = xml_text(value)
    if not cleaned.strip():
        raise ValueError(f"{what} must be a non-empty IRI")
    return cleaned


def _aware(moment: datetime, what: str) -> datetime:
    if moment.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware")
    return moment
