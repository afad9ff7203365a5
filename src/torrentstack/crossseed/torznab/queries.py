"""Torznab query parameters for a searchee, as cross-seed v6's `createTorznabSearchQueries`.

- episode: `t=tvsearch&q=<title, year removed>&season=N&ep=M` (daily: `season=YYYY&ep=MM/DD`)
- season pack: `t=tvsearch&q=<title>&season=N`
- movie: `t=movie&q=<title year>`
- anime: `t=search&q=<title> <release number>`; other video: `t=search` with the title cut
  before its first release tag; anything else: `t=search` with the cleaned name.

An indexer whose caps lack tv-search or movie-search gets the `t=search` form. Ids (from
Sonarr/Radarr) the mode supports are sent instead of `q`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields

from torrentstack.crossseed.media import MediaType
from torrentstack.crossseed.release import Release, strip_extension
from torrentstack.crossseed.torznab.caps import ALL_CAPS, Caps

_BRACKETED = re.compile(r"\[.*?\]|「.*?」|｢.*?｣|【.*?】")
_SEPARATORS = re.compile(r"[._()\[\]]")
_SPACES = re.compile(r"\s+")
_TRAILING_YEAR = re.compile(r"\s+(?:19|20)\d{2}$")
# where the release tags of a video name start: resolution, source, codec, edition
_META = re.compile(
    r"[\s._\[(-](?:\d{3,4}[pi]|4k|uhd|web[\s._-]?(?:dl|rip)?|blu-?ray|bdrip|brrip|dvdrip|hdtv|"
    r"remux|[xh]\.?26[45]|hevc|avc|xvid|proper|repack|extended|unrated|remastered)(?=[\s._\])-]|$)",
    re.IGNORECASE,
)
_GROUP_SUFFIX = re.compile(r"-[A-Za-z0-9]+$")


@dataclass(frozen=True, slots=True)
class MediaIds:
    """External ids Sonarr/Radarr found for a searchee; `series` says which mode they are for."""

    series: bool
    tvdbid: str | None = None
    tmdbid: str | None = None
    imdbid: str | None = None
    tvmazeid: str | None = None

    def supported(self, names: frozenset[str]) -> dict[str, str]:
        """The ids that are set and named in `names` (an indexer's id params)."""
        found = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "series"}
        return {k: v for k, v in found.items() if v and k in names}


@dataclass(frozen=True, slots=True)
class Query:
    """One Torznab request's parameters, without the apikey."""

    t: str = "search"
    q: str | None = None
    season: int | str | None = None
    ep: int | str | None = None
    ids: tuple[tuple[str, str], ...] = ()
    limit: int | None = None
    offset: int | None = None

    def params(self) -> dict[str, str]:
        """The query string's parameters in cross-seed's order, unset ones left out."""
        out = {"t": self.t}
        if self.q is not None:
            out["q"] = self.q
        for name in ("season", "ep", "limit", "offset"):
            value = getattr(self, name)
            if value is not None:
                out[name] = str(value)
        out.update(self.ids)
        return out

    @property
    def key(self) -> str:
        """cross-seed's search string: `show name.s1.e1`, grouping searchees that search alike."""
        season = f".S{self.season}" if self.season is not None else ""
        ep = f".E{self.ep}" if self.ep is not None else ""
        return f"{self.q}{season}{ep}".lower()


def cleanse(text: str) -> str:
    """cross-seed's cleanseSeparators: bracketed tags dropped, `._()[]` to spaces, one space."""
    text = _BRACKETED.sub("", text)
    text = _SEPARATORS.sub(" ", text)
    return _SPACES.sub(" ", text).strip()


def _show_title(release: Release) -> str:
    return _TRAILING_YEAR.sub("", cleanse(release.title or ""))


def _video_title(stem: str) -> str:
    cut = _META.search(stem)
    head = stem[: cut.start()] if cut is not None else _GROUP_SUFFIX.sub("", stem)
    return cleanse(head) or cleanse(stem)


def search_queries(
    release: Release,
    media: MediaType,
    caps: Caps = ALL_CAPS,
    ids: MediaIds | None = None,
) -> list[Query]:
    """The queries to send one indexer (with `caps`) for a searchee named `release.name`."""
    stem = strip_extension(release.name)
    tv_ids = ids.supported(caps.tv_ids()) if ids is not None and ids.series else {}
    movie_ids = ids.supported(caps.movie_ids()) if ids is not None and not ids.series else {}
    daily = release.air_date
    if media is MediaType.EPISODE and caps.tv_search and release.title is not None:
        if daily is not None:
            season: int | str | None = daily.year
            ep: int | str | None = f"{daily.month:02d}/{daily.day:02d}"
        else:
            season, ep = release.season, release.episode
        return [_tv(release, tv_ids, season, ep)]
    if media is MediaType.SEASON and caps.tv_search and release.title is not None:
        return [_tv(release, tv_ids, release.season, None)]
    if media is MediaType.MOVIE and caps.movie_search and release.title is not None:
        title = cleanse(release.title)
        q = f"{title} {release.year}" if release.year is not None else title
        return [Query("movie", None if movie_ids else q, ids=tuple(sorted(movie_ids.items())))]
    if media is MediaType.ANIME and release.title is not None:
        number = "" if release.anime_release is None else f" {release.anime_release}"
        return [Query("search", cleanse(f"{release.title}{number}"))]
    if media is MediaType.VIDEO:
        return [Query("search", _video_title(stem))]
    return [Query("search", cleanse(stem))]


def _tv(
    release: Release, ids: dict[str, str], season: int | str | None, ep: int | str | None
) -> Query:
    q = None if ids else _show_title(release)
    return Query("tvsearch", q, season=season, ep=ep, ids=tuple(sorted(ids.items())))


def rss_query(limit: int, offset: int = 0) -> Query:
    """One page of an indexer's latest items: an empty `t=search`."""
    return Query("search", "", limit=limit, offset=offset)


def search_key(release: Release, media: MediaType) -> str:
    """The search string of a searchee, as if every indexer supported everything."""
    return search_queries(release, media)[0].key
