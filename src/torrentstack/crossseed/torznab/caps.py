"""An indexer's `t=caps` answer as a value: search modes, their params, category flags, limits.

Follows cross-seed v6's `parseTorznabCaps`: a mode is available only when `available="yes"`;
category flags come from the names of the top-level categories (a name containing "movie" sets
`movie`, and so on; any other category below 100000 outside 8000-8999 sets `additional`); limits
default to 100/100. `supports` is cross-seed's `indexerDoesSupportMediaType`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from torrentstack.crossseed.media import MediaType
from torrentstack.crossseed.torznab.document import children, local_name, parse_document
from torrentstack.crossseed.torznab.errors import TorznabXmlError

ID_PARAMS = ("tvdbid", "tmdbid", "imdbid", "tvmazeid")
_FLAG_NAMES = ("movie", "tv", "anime", "xxx", "audio", "book")
_MODES = {
    "search": "search",
    "tv-search": "tv_search",
    "movie-search": "movie_search",
    "music-search": "music_search",
    "audio-search": "audio_search",
    "book-search": "book_search",
}


@dataclass(frozen=True, slots=True)
class Categories:
    """Which kinds of content an indexer lists, from its category names."""

    movie: bool = False
    tv: bool = False
    anime: bool = False
    xxx: bool = False
    audio: bool = False
    book: bool = False
    additional: bool = False


@dataclass(frozen=True, slots=True)
class PageLimits:
    """Items per page: what the indexer gives by default and the most it gives."""

    default: int = 100
    max: int = 100


@dataclass(frozen=True, slots=True)
class Caps:
    """What an indexer can search. `*_params` are the lower-case `supportedParams` of a mode."""

    search: bool = False
    tv_search: bool = False
    movie_search: bool = False
    music_search: bool = False
    audio_search: bool = False
    book_search: bool = False
    search_params: frozenset[str] = frozenset()
    tv_params: frozenset[str] = frozenset()
    movie_params: frozenset[str] = frozenset()
    categories: Categories = field(default_factory=Categories)
    limits: PageLimits = field(default_factory=PageLimits)

    def tv_ids(self) -> frozenset[str]:
        """The id params (tvdbid, tmdbid, imdbid, tvmazeid) tv-search takes."""
        return self.tv_params.intersection(ID_PARAMS)

    def movie_ids(self) -> frozenset[str]:
        """The id params movie-search takes."""
        return self.movie_params.intersection(ID_PARAMS)

    def supports(self, media: MediaType) -> bool:
        """Whether this indexer is worth searching for `media` (cross-seed v6's rule)."""
        c = self.categories
        match media:
            case MediaType.EPISODE | MediaType.SEASON:
                return self.tv_search or c.xxx
            case MediaType.MOVIE:
                return self.movie_search or c.xxx
            case MediaType.ANIME | MediaType.VIDEO:
                return self.movie_search or self.tv_search or c.movie or c.tv or c.anime or c.xxx
            case MediaType.AUDIO:
                return self.audio_search or self.music_search or c.audio
            case MediaType.BOOK:
                return self.book_search or c.book
            case _:
                return c.additional


ALL_CAPS = Caps(
    search=True,
    tv_search=True,
    movie_search=True,
    music_search=True,
    audio_search=True,
    book_search=True,
    search_params=frozenset({"q"}),
    tv_params=frozenset({"q", "season", "ep", *ID_PARAMS}),
    movie_params=frozenset({"q", *ID_PARAMS}),
    categories=Categories(True, True, True, True, True, True, True),
)
"""Everything supported: what cross-seed assumes to compute a searchee's search string."""


def parse_caps(data: bytes | str, *, indexer: str | None = None) -> Caps:
    """Parse a `t=caps` document; TorznabXmlError if it is not one, TorznabApiError for `<error>`."""
    root = parse_document(data, indexer=indexer)
    if local_name(root) != "caps":
        raise TorznabXmlError(f"expected <caps>, got <{local_name(root)}>", indexer=indexer)
    modes: dict[str, Any] = {}
    for searching in children(root, "searching")[:1]:
        for element in searching:
            attr = _MODES.get(local_name(element))
            if attr is None or attr in modes:
                continue
            modes[attr] = (element.get("available") or "").strip().lower() == "yes"
            modes[attr.removesuffix("search") + "params"] = _params(element.get("supportedParams"))
    return Caps(
        search=modes.get("search", False),
        tv_search=modes.get("tv_search", False),
        movie_search=modes.get("movie_search", False),
        music_search=modes.get("music_search", False),
        audio_search=modes.get("audio_search", False),
        book_search=modes.get("book_search", False),
        search_params=modes.get("params", frozenset()),
        tv_params=modes.get("tv_params", frozenset()),
        movie_params=modes.get("movie_params", frozenset()),
        categories=_categories(root),
        limits=_limits(root),
    )


def _params(text: str | None) -> frozenset[str]:
    return frozenset(p.strip().lower() for p in (text or "").split(",") if p.strip())


def _int(text: str | None) -> int | None:
    text = (text or "").strip()
    if not text.isdecimal() or len(text) > 9:
        return None
    return int(text)


def _limits(root: Any) -> PageLimits:
    for element in children(root, "limits")[:1]:
        most, default = _int(element.get("max")), _int(element.get("default"))
        most = most if most else (default or 100)
        default = min(default, most) if default else min(100, most)
        return PageLimits(default=default, max=most)
    return PageLimits()


def _categories(root: Any) -> Categories:
    flags = dict.fromkeys(_FLAG_NAMES, False)
    additional = False
    for listed in children(root, "categories")[:1]:
        for category in children(listed, "category"):
            name = (category.get("name") or "").lower()
            ident = _int(category.get("id"))
            matched = [flag for flag in _FLAG_NAMES if flag in name]
            for flag in matched:
                flags[flag] = True
            if not matched and ident is not None and ident < 100000 and not 8000 <= ident <= 8999:
                additional = True
    return Categories(**flags, additional=additional)
