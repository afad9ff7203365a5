"""RSS 2.0 and Atom documents to articles, with feedparser (the only module importing it);
a document that declares entities is refused whole (no expansion bombs, no external entities)."""

from __future__ import annotations

import calendar
import io
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import feedparser

from torrentstack.errors import TorrentstackError
from torrentstack.qbittorrent.rss_article import Article

_ENTITY_DECLARATION = re.compile(rb"<!ENTITY", re.IGNORECASE)
_INFO_HASH = re.compile(r"[0-9a-fA-F]{40}|[A-Za-z2-7]{32}")


class FeedParseError(TorrentstackError):
    """The document is no RSS or Atom feed we can read."""


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    title: str
    last_build_date: str  # as the feed wrote it (RSS lastBuildDate, Atom updated)
    articles: tuple[Article, ...]  # document order
    error: str = ""  # a malformed document read as far as it went: its articles, and this


def parse_feed(body: bytes, now: datetime) -> ParsedFeed:
    """Read `body`; FeedParseError when it is no feed. Items without a date get `now` (the
    first one) and a microsecond less for each after it, so the document's order is kept.

    What is added for an item, as qBittorrent picks it (plus the `torrent:` namespace): an
    `application/x-bittorrent` enclosure, else a magnet link, else `torrent:magnetURI`, else an
    enclosure without a type, else the link, else a magnet built from `torrent:infoHash`. The
    id is the guid, else that URL, else the title; items with none, or a repeated id, are left
    out."""
    if _ENTITY_DECLARATION.search(body):
        raise FeedParseError("entity declarations are not accepted")
    try:
        document = feedparser.parse(
            io.BytesIO(body), resolve_relative_uris=False, sanitize_html=False
        )
        return _read(document, now)
    except FeedParseError:
        raise
    except Exception as exc:  # the parser's own failures on hostile input
        raise FeedParseError(f"unreadable feed ({type(exc).__name__})") from None


def _read(document: Any, now: datetime) -> ParsedFeed:
    malformed = bool(document.get("bozo")) and _is_xml_error(document.get("bozo_exception"))
    if not document.get("version") and not document.get("entries"):
        raise FeedParseError("Invalid RSS feed.")
    feed = document.get("feed", {})
    articles: list[Article] = []
    seen: set[str] = set()
    for index, entry in enumerate(document.get("entries", [])):
        article = _article(entry, now - timedelta(microseconds=index))
        if article is not None and article.id not in seen:
            seen.add(article.id)
            articles.append(article)
    return ParsedFeed(
        title=_text(feed.get("title")),
        last_build_date=_text(feed.get("updated")),
        articles=tuple(articles),
        error="malformed XML" if malformed else "",
    )


def _article(entry: Any, fallback_date: datetime) -> Article | None:
    title = _text(entry.get("title")).strip()
    link = _text(entry.get("link")).strip()
    torrent_url = _torrent_url(entry, link)
    if link.lower().startswith("magnet:"):
        link = ""
    guid = _text(entry.get("id")).strip() or torrent_url or title
    if not guid:
        return None
    return Article(
        id=guid,
        title=title,
        date=_date(entry) or fallback_date,
        torrent_url=torrent_url,
        link=link,
        description=_description(entry),
        author=_text(entry.get("author")).strip(),
    )


def _torrent_url(entry: Any, link: str) -> str:
    untyped = ""
    for enclosure in entry.get("enclosures", []):
        href = _text(enclosure.get("href")).strip()
        kind = _text(enclosure.get("type")).strip()
        if href and kind == "application/x-bittorrent":
            return href
        if href and not kind and not untyped:
            untyped = href
    if link.lower().startswith("magnet:"):
        return link
    magnet = _namespaced(entry, "magneturi")
    if magnet.lower().startswith("magnet:"):
        return magnet
    if untyped or link:
        return untyped or link
    info_hash = _namespaced(entry, "infohash")
    return f"magnet:?xt=urn:btih:{info_hash}" if _INFO_HASH.fullmatch(info_hash) else ""


def _namespaced(entry: Any, local: str) -> str:
    """`torrent:magnetURI` whatever the prefix (feedparser keys it `<prefix>_magneturi`)."""
    for key, value in entry.items():
        if isinstance(key, str) and (key == local or key.endswith("_" + local)):
            return _text(value).strip()
    return ""


def _description(entry: Any) -> str:
    summary = _text(entry.get("summary"))
    if summary:
        return summary
    for content in entry.get("content", []):
        value = _text(content.get("value"))
        if value:
            return value
    return ""


def _date(entry: Any) -> datetime | None:
    for key in ("published_parsed", "updated_parsed"):
        parsed = entry.get(key)
        if isinstance(parsed, time.struct_time):
            try:
                return datetime.fromtimestamp(calendar.timegm(parsed), UTC)
            except (OverflowError, ValueError, OSError):
                continue
    return None


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _is_xml_error(exc: object) -> bool:
    """A malformed document (feedparser read it leniently), not a mere encoding note."""
    return exc is not None and not isinstance(
        exc, feedparser.CharacterEncodingOverride | feedparser.NonXMLContentType
    )
