"""RSS state under `<data_dir>/client/rss/`: `feeds.json` (the tree, qBittorrent's format) and
`articles/<uid hex>.json` per feed. Blocking (called off the loop); writes atomic; an unreadable
file is logged and read as empty, so a bad file cannot stop a start."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from torrentstack.client.kept_files import write_atomically
from torrentstack.qbittorrent.rss_article import Article

logger = logging.getLogger(__name__)

_MAX_FILE = 64 * 1024 * 1024


@dataclass(slots=True)
class FeedData:
    """What a feed keeps between refreshes and restarts."""

    title: str = ""
    last_build_date: str = ""
    etag: str = ""
    last_modified: str = ""
    articles: list[Article] = field(default_factory=list)  # newest first


class RssStorage:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.feeds_file = directory / "feeds.json"
        self.articles_dir = directory / "articles"

    def load_tree(self) -> dict[str, Any]:
        data = _read_json(self.feeds_file)
        return data if isinstance(data, dict) else {}

    def save_tree(self, tree: dict[str, Any]) -> None:
        _write_json(self.feeds_file, tree)

    def load_feed(self, stem: str) -> FeedData:
        data = _read_json(self.articles_dir / f"{stem}.json")
        if not isinstance(data, dict):
            return FeedData()
        articles = [a for a in map(_article, data.get("articles") or []) if a is not None]
        return FeedData(
            title=_str(data.get("title")),
            last_build_date=_str(data.get("lastBuildDate")),
            etag=_str(data.get("etag")),
            last_modified=_str(data.get("lastModified")),
            articles=sorted(articles, key=lambda a: a.date, reverse=True),
        )

    def save_feed(self, stem: str, feed: FeedData) -> None:
        _write_json(
            self.articles_dir / f"{stem}.json",
            {
                "title": feed.title,
                "lastBuildDate": feed.last_build_date,
                "etag": feed.etag,
                "lastModified": feed.last_modified,
                "articles": [_article_json(a) for a in feed.articles],
            },
        )

    def remove_feed(self, stem: str) -> None:
        (self.articles_dir / f"{stem}.json").unlink(missing_ok=True)


def _article_json(article: Article) -> dict[str, Any]:
    return {
        "id": article.id,
        "title": article.title,
        "date": article.date.isoformat(),
        "torrentURL": article.torrent_url,
        "link": article.link,
        "description": article.description,
        "author": article.author,
        "isRead": article.is_read,
    }


def _article(data: object) -> Article | None:
    if not isinstance(data, dict) or not _str(data.get("id")):
        return None
    try:
        date = datetime.fromisoformat(_str(data.get("date")))
    except ValueError:
        return None
    if date.tzinfo is None:
        return None
    return Article(
        id=_str(data.get("id")),
        title=_str(data.get("title")),
        date=date,
        torrent_url=_str(data.get("torrentURL")),
        link=_str(data.get("link")),
        description=_str(data.get("description")),
        author=_str(data.get("author")),
        is_read=data.get("isRead") is True,
    )


def _str(value: object) -> str:
    return value if isinstance(value, str) else ""


def _read_json(path: Path) -> Any:
    try:
        with path.open("rb") as handle:
            raw = handle.read(_MAX_FILE + 1)
    except FileNotFoundError:
        return None
    except OSError as exc:
        logger.warning("RSS: cannot read %s (%s)", path, type(exc).__name__)
        return None
    try:
        if len(raw) > _MAX_FILE:
            raise ValueError("too large")
        return json.loads(raw)
    except ValueError:
        logger.warning("RSS: %s is not readable JSON; it is ignored", path)
        return None


def _write_json(path: Path, value: Any) -> None:
    write_atomically(path, json.dumps(value, ensure_ascii=False, indent=1))
