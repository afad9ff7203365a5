"""The built-in `torznab` plugin: searches the configured Torznab indexers (in-process, httpx and
lxml with entities, DTDs and the network off) and gives their items as search results."""

from __future__ import annotations

import logging
from collections.abc import Callable
from email.utils import parsedate_to_datetime
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from lxml import etree  # type: ignore[import-untyped]

from torrentstack.client.search.web import FetchError, fetch
from torrentstack.log import redact
from torrentstack.qbittorrent.search import PluginInfo, SearchResult

logger = logging.getLogger(__name__)

NAME = "torznab"
MAX_ANSWER = 16 * 1024 * 1024
TORZNAB_NS = "http://torznab.com/schemas/2015/feed"
# qBittorrent's categories as Newznab category ids.
CATEGORY_IDS = {
    "movies": "2000", "tv": "5000", "music": "3000", "books": "7000", "software": "4000",
    "games": "1000,4050", "anime": "5070", "pictures": "8000",
}  # fmt: skip


def plugin_info(enabled: bool) -> PluginInfo:
    return PluginInfo(
        name=NAME, version="1.0", full_name="Torznab indexers (built in)", url="",
        categories=tuple(sorted(CATEGORY_IDS)), enabled=enabled,
    )  # fmt: skip


def search_url(indexer: str, what: str, category: str) -> str:
    """The indexer's URL (its apikey kept) with `t=search`, `q` and the category's ids."""
    parts = urlsplit(indexer)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)]
    query = [(k, v) for k, v in query if k not in ("t", "q", "cat")]
    query += [("t", "search"), ("q", what)]
    if category in CATEGORY_IDS:
        query.append(("cat", CATEGORY_IDS[category]))
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))


def _site(indexer: str) -> str:
    parts = urlsplit(indexer)
    return f"{parts.scheme}://{parts.netloc}"


def _int(text: str | None, default: int = -1) -> int:
    try:
        return int(float(text)) if text is not None else default
    except ValueError:
        return default


def parse_results(body: bytes, site: str) -> list[SearchResult]:
    """The `<item>`s of a Torznab answer; an item without a title or link is skipped."""
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )
    try:
        root = etree.fromstring(body, parser)
    except etree.XMLSyntaxError as exc:
        raise FetchError(f"not XML: {exc}") from exc
    if root.tag == "error":
        raise FetchError(f"indexer error {root.get('code')}: {root.get('description')}")
    results = []
    for item in root.iter("item"):
        attrs = {a.get("name"): a.get("value") for a in item.iter(f"{{{TORZNAB_NS}}}attr")}
        enclosure = item.find("enclosure")
        link = enclosure.get("url") if enclosure is not None else None
        link = link or item.findtext("link") or attrs.get("magneturl")
        title = item.findtext("title")
        if not link or not title:
            continue
        size = _int(attrs.get("size") or item.findtext("size"))
        if size < 0 and enclosure is not None:
            size = _int(enclosure.get("length"))
        seeders = _int(attrs.get("seeders"))
        peers = _int(attrs.get("peers"))
        leechers = _int(attrs.get("leechers"), peers - seeders if peers >= seeders >= 0 else -1)
        results.append(
            SearchResult(
                file_url=link.strip(), file_name=" ".join(title.split()), file_size=size,
                seeders=seeders, leechers=leechers, site_url=site,
                descr_link=(item.findtext("comments") or item.findtext("guid") or "").strip(),
                pub_date=_pub_date(item.findtext("pubDate")), engine_name=NAME,
            )
        )  # fmt: skip
    return results


def _pub_date(text: str | None) -> int:
    if not text:
        return -1
    try:
        return int(parsedate_to_datetime(text.strip()).timestamp())
    except (TypeError, ValueError):
        return -1


async def search(
    indexers: list[str], what: str, category: str, on_result: Callable[[SearchResult], object]
) -> bool:
    """Ask every indexer in turn; True when at least one answered (or there are none)."""
    answered = not indexers
    for indexer in indexers:
        try:
            body = await fetch(search_url(indexer, what, category), max_bytes=MAX_ANSWER)
            for result in parse_results(body, _site(indexer)):
                on_result(result)
            answered = True
        except FetchError as exc:
            logger.warning("search torznab %s: %s", redact(indexer), redact(str(exc)))
    return answered
