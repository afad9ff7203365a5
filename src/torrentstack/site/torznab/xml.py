"""Torznab documents: the `caps` answer, search results (RSS 2.0) and the Newznab `error`.

The shapes are the ones Prowlarr, Sonarr and Radarr read:

- caps: `<caps>` with `<limits default= max=/>`, `<searching>` holding one element per search
  mode with `available="yes|no"` and a comma-separated `supportedParams`, and `<categories>` of
  `<category id= name=>` with `<subcat id= name=/>` children (one level, as Prowlarr parses it).
- results: `<rss version="2.0">` declaring the `atom`, `torznab` and `newznab` namespaces; the
  channel has `<atom:link rel="self">` and Newznab's `<newznab:response offset= total=/>`; every
  item has title, guid, link (the download), comments (the details page), an RFC 822 pubDate,
  size, description, an `application/x-bittorrent` enclosure whose length is the size, and
  `<torznab:attr name= value=/>` for each category, size, files, grabs, seeders, leechers, peers
  (seeders + leechers, as the Torznab draft defines it), infohash, the volume factors, and the
  seeding rules and ids when known. The IMDb id is given both ways the clients look for it:
  `imdb` (digits, Radarr and Prowlarr parse it as an int) and `imdbid` (with `tt`).
- error: `<error code= description=/>`.

Text is cut down to what XML 1.0 allows (`xml_text`), so any title gives a well-formed document.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime
from typing import Any, Final

from lxml import etree  # type: ignore[import-untyped]

from torrentstack.site.torznab.query import NEWZNAB_ERRORS

__all__ = [
    "ATOM_NS",
    "NEWZNAB_NS",
    "TORRENT_TYPE",
    "TORZNAB_NS",
    "CapsCategory",
    "TorznabItem",
    "caps_xml",
    "error_xml",
    "results_xml",
    "xml_text",
]

ATOM_NS: Final = "http://www.w3.org/2005/Atom"
TORZNAB_NS: Final = "http://torznab.com/schemas/2015/feed"
NEWZNAB_NS: Final = "http://www.newznab.com/DTD/2010/feeds/attributes/"
_TORZNAB_ATTR: Final = f"{{{TORZNAB_NS}}}attr"
TORRENT_TYPE: Final = "application/x-bittorrent"

# (element, available, supportedParams): what the site answers for each function (the ids
# query.parse_query also reads are not advertised: torrents carry no external ids yet)
_SEARCHING: Final = (
    ("search", True, "q"),
    ("tv-search", True, "q,season,ep"),
    ("movie-search", True, "q"),
    ("music-search", False, "q"),
    ("audio-search", False, "q"),  # the name Prowlarr reads for music
    ("book-search", False, "q"),
)
# XML 1.0's Char production, negated: C0 controls but tab/LF/CR, surrogates, U+FFFE and U+FFFF
_NOT_XML_CHAR: Final = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_INFO_HASH: Final = re.compile(r"[0-9a-fA-F]{40}|[0-9a-fA-F]{64}")


def xml_text(text: str) -> str:
    """`text` without the characters XML 1.0 cannot hold (which lxml would refuse)."""
    return _NOT_XML_CHAR.sub("", text)


@dataclass(frozen=True, slots=True)
class CapsCategory:
    """A category of the caps document; its `subcats` have none of their own."""

    id: int
    name: str
    subcats: tuple[CapsCategory, ...] = ()

    def __post_init__(self) -> None:
        if any(sub.subcats for sub in self.subcats):
            raise ValueError(f"category {self.id}: Torznab caps nest subcategories one level deep")


@dataclass(frozen=True, slots=True)
class TorznabItem:
    """One search result. Counts are >= 0, `pub_date` is aware, `info_hash` is v1 or v2 hex."""

    title: str
    guid: str
    details_url: str
    download_url: str
    pub_date: datetime
    size: int
    categories: tuple[int, ...]
    seeders: int
    leechers: int
    grabs: int
    info_hash: str
    files: int
    description: str = ""
    download_volume_factor: float = 1.0
    upload_volume_factor: float = 1.0
    minimum_ratio: float | None = None
    minimum_seed_time: int | None = None  # seconds
    imdbid: int | None = None  # the IMDb number: tt0944947 is 944947
    tvdbid: int | None = None
    tmdbid: int | None = None

    def __post_init__(self) -> None:
        if self.pub_date.utcoffset() is None:
            raise ValueError("pub_date must be timezone-aware")
        if not self.categories:
            raise ValueError("Torznab requires at least one category per item")
        counts = (self.size, self.seeders, self.leechers, self.grabs, self.files)
        if min(counts) < 0 or min(self.categories) < 0:
            raise ValueError("size, counts and categories cannot be negative")
        if _INFO_HASH.fullmatch(self.info_hash) is None:
            raise ValueError("info_hash must be 40 (v1) or 64 (v2) hex digits")
        factors = (self.download_volume_factor, self.upload_volume_factor, self.minimum_ratio)
        if any(f is not None and not (math.isfinite(f) and f >= 0) for f in factors):
            raise ValueError("volume factors and minimum_ratio must be finite and >= 0")
        ids = (self.minimum_seed_time, self.imdbid, self.tvdbid, self.tmdbid)
        if any(i is not None and i < 0 for i in ids):
            raise ValueError("minimum_seed_time and ids cannot be negative")


def caps_xml(
    *,
    server_title: str,
    categories: Sequence[CapsCategory],
    limit_default: int,
    limit_max: int,
) -> bytes:
    """The `t=caps` answer."""
    if not 0 < limit_default <= limit_max:
        raise ValueError("need 0 < limit_default <= limit_max")
    caps = etree.Element("caps")
    etree.SubElement(caps, "server", {"title": xml_text(server_title)})
    etree.SubElement(caps, "limits", {"default": str(limit_default), "max": str(limit_max)})
    searching = etree.SubElement(caps, "searching")
    for tag, available, params in _SEARCHING:
        attributes = {"available": "yes" if available else "no", "supportedParams": params}
        etree.SubElement(searching, tag, attributes)
    listed = etree.SubElement(caps, "categories")
    for category in categories:
        element = etree.SubElement(listed, "category", _category(category))
        for subcat in category.subcats:
            etree.SubElement(element, "subcat", _category(subcat))
    return _document(caps)


def results_xml(
    items: Iterable[TorznabItem],
    *,
    title: str,
    link: str,
    offset: int,
    total: int,
    self_url: str | None = None,
) -> bytes:
    """A search answer: `items` are the page at `offset` of `total` matches.

    `link` is the channel's link (the site); `self_url`, the request's own URL, goes into
    `<atom:link rel="self">` and defaults to `link`.
    """
    nsmap = {"atom": ATOM_NS, "torznab": TORZNAB_NS, "newznab": NEWZNAB_NS}
    rss = etree.Element("rss", {"version": "2.0"}, nsmap=nsmap)
    channel = etree.SubElement(rss, "channel")
    self_link = {"href": xml_text(self_url or link), "rel": "self", "type": "application/rss+xml"}
    etree.SubElement(channel, f"{{{ATOM_NS}}}link", self_link)
    _text(channel, "title", title)
    _text(channel, "description", title)
    _text(channel, "link", link)
    response = {"offset": str(offset), "total": str(total)}
    etree.SubElement(channel, f"{{{NEWZNAB_NS}}}response", response)
    for item in items:
        _item(channel, item)
    return _document(rss)


def error_xml(code: int, description: str | None = None) -> bytes:
    """Newznab's `<error code= description=/>`; the description defaults to the standard text."""
    if description is None:
        if code not in NEWZNAB_ERRORS:
            raise ValueError(f"Newznab error {code} has no standard description; give one")
        description = NEWZNAB_ERRORS[code]
    return _document(
        etree.Element("error", {"code": str(code), "description": xml_text(description)})
    )


def _item(channel: Any, item: TorznabItem) -> None:
    element = etree.SubElement(channel, "item")
    _text(element, "title", item.title)
    _text(element, "guid", item.guid).set("isPermaLink", "false")
    _text(element, "link", item.download_url)
    _text(element, "comments", item.details_url)
    _text(element, "pubDate", format_datetime(item.pub_date))
    _text(element, "size", str(item.size))
    _text(element, "description", item.description)
    enclosure = {"url": xml_text(item.download_url), "length": str(item.size), "type": TORRENT_TYPE}
    etree.SubElement(element, "enclosure", enclosure)
    for name, value in _attributes(item):
        etree.SubElement(element, _TORZNAB_ATTR, {"name": name, "value": value})


def _attributes(item: TorznabItem) -> list[tuple[str, str]]:
    """The item's torznab:attr pairs; every name but `category` appears at most once."""
    pairs = [("category", str(category)) for category in item.categories]
    pairs += [
        ("size", str(item.size)),
        ("files", str(item.files)),
        ("grabs", str(item.grabs)),
        ("seeders", str(item.seeders)),
        ("leechers", str(item.leechers)),
        ("peers", str(item.seeders + item.leechers)),
        ("infohash", item.info_hash.lower()),
        ("downloadvolumefactor", _decimal(item.download_volume_factor)),
        ("uploadvolumefactor", _decimal(item.upload_volume_factor)),
    ]
    if item.minimum_ratio is not None:
        pairs.append(("minimumratio", _decimal(item.minimum_ratio)))
    if item.minimum_seed_time is not None:
        pairs.append(("minimumseedtime", str(item.minimum_seed_time)))
    if item.imdbid is not None:
        pairs += [("imdb", f"{item.imdbid:07d}"), ("imdbid", f"tt{item.imdbid:07d}")]
    if item.tvdbid is not None:
        pairs.append(("tvdbid", str(item.tvdbid)))
    if item.tmdbid is not None:
        pairs.append(("tmdbid", str(item.tmdbid)))
    return pairs


def _decimal(value: float) -> str:
    """`1`, `0`, `0.5`: whole numbers without a decimal point, which no client locale misreads."""
    number = float(value)  # an int is a float to the type checker, without is_integer() in 3.11
    return str(int(number)) if number.is_integer() else repr(number)


def _category(category: CapsCategory) -> dict[str, str]:
    return {"id": str(category.id), "name": xml_text(category.name)}


def _text(parent: Any, tag: str, text: str) -> Any:
    element = etree.SubElement(parent, tag)
    element.text = xml_text(text)
    return element


def _document(root: Any) -> bytes:
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))
