"""Torznab search and RSS answers (RSS 2.0 with torznab attributes) read into `Candidate`s.

As cross-seed v6's `parseTorznabResults`, extended where Jackett and Prowlarr differ: the link
is the enclosure's url, else `<link>`; the size is the `torznab:attr` size, else `<size>`, else
the enclosure's length; the tracker is `<prowlarrindexer>`, `<jackettindexer>` or `<indexer>`,
else the name the caller gives. An item without a guid or title is skipped, never fatal.
"""

from __future__ import annotations

import logging
import math
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from torrentstack.crossseed.searchee import Candidate
from torrentstack.crossseed.torznab.document import (
    child_text,
    children,
    local_name,
    parse_document,
)
from torrentstack.crossseed.torznab.errors import TorznabXmlError

logger = logging.getLogger(__name__)

UNKNOWN_TRACKER = "UnknownTracker"  # cross-seed's name for a tracker nothing names
_TRACKER_ELEMENTS = ("prowlarrindexer", "jackettindexer", "indexer")


def parse_feed(
    data: bytes | str,
    *,
    tracker: str = UNKNOWN_TRACKER,
    indexer_id: int | None = None,
    indexer: str | None = None,
) -> list[Candidate]:
    """The items of a results document as candidates, in document order.

    `tracker` names the source when an item does not; `indexer` names the indexer in errors.
    Raises TorznabXmlError for a document that is no RSS, TorznabApiError for `<error>`.
    """
    root = parse_document(data, indexer=indexer)
    if local_name(root) != "rss":
        raise TorznabXmlError(f"expected <rss>, got <{local_name(root)}>", indexer=indexer)
    candidates: list[Candidate] = []
    skipped = 0
    for channel in children(root, "channel")[:1]:
        for item in children(channel, "item"):
            candidate = _candidate(item, tracker, indexer_id)
            if candidate is None:
                skipped += 1
            else:
                candidates.append(candidate)
    if skipped:
        logger.debug("%s: skipped %d items without a guid or title", indexer or tracker, skipped)
    return candidates


def _candidate(item: Any, tracker: str, indexer_id: int | None) -> Candidate | None:
    guid = child_text(item, "guid")
    title = child_text(item, "title")
    if guid is None or title is None:
        return None
    enclosure = next(iter(children(item, "enclosure")), None)
    link = (enclosure.get("url") or "").strip() if enclosure is not None else ""
    return Candidate(
        name=title,
        guid=guid,
        link=link or child_text(item, "link"),
        tracker=_tracker(item) or tracker,
        size=_size(item, enclosure),
        pub_date=parse_pub_date(child_text(item, "pubDate")),
        indexer_id=indexer_id,
    )


def _tracker(item: Any) -> str | None:
    for name in _TRACKER_ELEMENTS:
        text = child_text(item, name)
        if text:
            return text
    return None


def _size(item: Any, enclosure: Any) -> int | None:
    for element in item:
        if local_name(element) == "attr" and element.get("name") == "size":
            size = _count(element.get("value"))
            if size is not None:
                return size
    size = _count(child_text(item, "size"))
    if size is None and enclosure is not None:
        size = _count(enclosure.get("length"))
    return size


def _count(text: str | None) -> int | None:
    text = (text or "").strip()
    if text.isdecimal() and len(text) <= 20:  # isdecimal: ASCII and other scripts' digits
        return int(text)
    return None


def parse_pub_date(text: str | None) -> float | None:
    """An RFC 822 date (or ISO 8601, as some indexers send) as epoch seconds; None if unreadable."""
    if not text:
        return None
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        try:
            when = datetime.fromisoformat(text.strip())
        except ValueError:
            return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    try:
        stamp = when.timestamp()
    except (OverflowError, ValueError, OSError):
        return None
    return stamp if math.isfinite(stamp) else None
