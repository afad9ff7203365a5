"""Release-name parsing for cross-seed matching: title, key title, season/episode, group...

Pure and total: `parse_release` never raises; anything it cannot read is None. The behaviour
follows cross-seed v6 (`../shared/reference/cross-seed-notes.md` §1.1, §2): the release group
is the text after the last `-` of the name without its extension, junk "groups" (codecs,
resolutions, season tokens) and groups that are really part of the title count as none;
resolution is the strict `2160|1080|720` + `p|i`; source is a streaming-service tag only; the
key title is alphanumeric, lower-case, with its last year removed; the element key is `S1.5`
for an episode, `S1` for a season pack, `S2024.03.15` for a daily episode, the year for a movie
and the release number for anime.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

_SEP = r"[\s._-]"
_EXTENSIONS = frozenset(
    [
        ".mkv",
        ".mp4",
        ".avi",
        ".ts",
        ".m4v",
        ".mov",
        ".wmv",
        ".mpg",
        ".mpeg",
        ".flv",
        ".webm",
        ".m2ts",
        ".ifo",
        ".vob",
        ".bup",
        ".flac",
        ".mp3",
        ".m4a",
        ".m4b",
        ".aac",
        ".ogg",
        ".wav",
        ".epub",
        ".mobi",
        ".azw3",
        ".pdf",
        ".cbr",
        ".cbz",
        ".nfo",
        ".srt",
        ".torrent",
        ".rar",
        ".zip",
    ]
)
_EXT_RE = re.compile(r"\.[A-Za-z0-9]{2,7}$")
_EPISODE_RE = re.compile(
    rf"^(?P<title>.+?){_SEP}+(?:"
    r"(?:S(?P<season>\d{1,4})[\s._-]{0,3})?E(?P<ep>\d{1,4})"
    r"(?:[\s-]?E?(?P<ep2>\d{1,4}))?(?![\dpix])"
    r"|(?P<y>(?:19|20)\d{2})[\s._-](?P<m>\d{2})[\s._-](?P<d>\d{2})(?!\d))",
    re.IGNORECASE,
)
_SEASON_RE = re.compile(
    r"^(?P<title>.+?)[\s._\[(-]+S(?:eason[\s._]*)?(?P<season>\d{1,4})\b(?![\s._~-]*E\d)",
    re.IGNORECASE,
)
_ANIME_RE = re.compile(
    r"^(?:\[(?P<group>[^\]]+)\][\s_.]*)?(?P<title>[^\[\]]+?)[\s_]+-[\s_]+"
    r"(?:S\d{1,2}[\s_]*)?(?:EP?|#)?(?P<rel>\d{1,4})(?!\d|[pix]\b)(?:v(?P<ver>\d))?"
    r"(?=[\s_\[(.]|$)",
    re.IGNORECASE,
)
_MOVIE_RE = re.compile(
    r"^(?P<title>.+)[\s._][\[(]?(?P<year>(?:18|19|20)\d{2})[)\]]?(?=[\s._)\]-]|$)",
    re.IGNORECASE,
)
_GROUP_RE = re.compile(
    r"-\s*(?!\d{3,4}[ip])(?!\d+\b)(?P<group>[\w.][\w .]*?)\s*(?:\[.*\])?\)?$", re.IGNORECASE
)
_BAD_GROUP_RE = re.compile(
    r"^(?:[xh]\.?26[45]|hevc|avc|xvid|divx|av1|vp9|aac(?:\d\.\d)?|e?ac-?3|dts(?:hd)?|dd\+?p?"
    r"(?:\d\.\d|\d)?|flac|truehd|atmos|opus|mp3|\d{3,4}[pix]?|4k|uhd|s\d+(?:e\d+)?|e\d+|web|"
    r"webrip|dl|web-?dl|bluray|blu-ray|remux|hdr|hdr10|dv|sdr|\d+bit|hdtv|dvdrip|bdrip)$",
    re.IGNORECASE,
)
_ANIME_GROUP_RE = re.compile(r"^\s*\[(?P<group>[^\]]+)\]")
_RES_RE = re.compile(r"(?P<res>(?:2160|1080|720)[pi])", re.IGNORECASE)
_UHD_RE = re.compile(r"(?<![a-z0-9])(?:4k|uhd)(?![a-z0-9])", re.IGNORECASE)
_REPACK_RE = re.compile(r"\bREPACK\d?\b", re.IGNORECASE)
_PROPER_RE = re.compile(r"\bPROPER\d?\b", re.IGNORECASE)
_VERSION_RE = re.compile(r"\b\d+v(?P<v>\d)\b", re.IGNORECASE)
_YEAR_RE = re.compile(r"(?:19|20)\d{2}(?![pix])", re.IGNORECASE)
_SCENE_PREFIX_RE = re.compile(r"^[a-z0-9]{3,5}-")
_NON_ALNUM_RE = re.compile(r"[\W_]+")
_SOURCES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (tag, re.compile(rf"(?<![a-z0-9])(?:{alts})(?![a-z0-9])", re.IGNORECASE))
    for tag, alts in (
        ("AMZN", r"amzn|amazon"),
        ("DSNP", r"dsnp|dnsp|disney\+?"),
        ("NF", r"nf|netflix"),
        ("HULU", r"hulu"),
        ("ATVP", r"atvp|aptv"),
        ("HMAX", r"hmax|hbo"),
        ("PCOK", r"pcok|peacock"),
        ("PMTP", r"pmtp|paramount\+?"),
    )
)


@dataclass(frozen=True, slots=True)
class Release:
    """What a release name says; every part the name does not give is None."""

    name: str
    title: str | None = None
    key_title: str | None = None
    year: int | None = None
    season: int | None = None
    episode: int | None = None
    last_episode: int | None = None
    air_date: datetime.date | None = None
    is_season_pack: bool = False
    anime_release: int | None = None
    resolution: str | None = None
    source: str | None = None
    group: str | None = None
    anime_group: str | None = None
    repack: bool = False
    proper: bool = False
    version: int | None = None


def strip_extension(name: str) -> str:
    """`name` without a trailing known file extension (`.mkv`, `.torrent`, ...)."""
    m = _EXT_RE.search(name)
    if m and m.group().lower() in _EXTENSIONS:
        return name[: m.start()]
    return name


def _clean_title(title: str) -> str:
    return _SCENE_PREFIX_RE.sub("", title.strip(" ._-[]()"))


def key_title(title: str) -> str | None:
    """cross-seed's createKeyTitle: alphanumeric, lower-case, the last year removed (> 4 chars)."""
    key = _NON_ALNUM_RE.sub("", _clean_title(title)).lower()
    if len(key) > 4:
        years = list(_YEAR_RE.finditer(key))
        if years:
            last = years[-1]
            key = key[: last.start()] + key[last.end() :]
    return key or None


def _last_year(text: str) -> int | None:
    years = _YEAR_RE.findall(text)
    return int(years[-1]) if years else None


def _release_group(stem: str, title: str | None) -> str | None:
    m = _GROUP_RE.search(stem)
    if m is None:
        return None
    group = m.group("group").strip()
    if not group or _BAD_GROUP_RE.match(group):
        return None
    if title is not None:
        in_title = _GROUP_RE.search(title)
        if in_title and in_title.group("group").strip() in group:
            return None
    return group


def _resolution(stem: str) -> str | None:
    m = _RES_RE.search(stem)
    if m:
        return m.group("res").lower()
    return "2160p" if _UHD_RE.search(stem) else None


def parse_source(stem: str) -> str | None:
    """The streaming-service tag (AMZN, DSNP, NF, HULU, ATVP, HMAX, PCOK, PMTP) or None."""
    for tag, pattern in _SOURCES:
        if pattern.search(stem):
            return tag
    return None


def _parse_media(stem: str) -> dict[str, object]:
    m = _EPISODE_RE.match(stem)
    if m:
        title = m.group("title")
        if m.group("ep") is not None:
            ep2 = m.group("ep2")
            return {
                "title": title,
                "year": _last_year(title),
                "season": int(m.group("season")) if m.group("season") else None,
                "episode": int(m.group("ep")),
                "last_episode": int(ep2) if ep2 else None,
            }
        try:
            date = datetime.date(int(m.group("y")), int(m.group("m")), int(m.group("d")))
        except ValueError:
            date = None
        if date is not None:
            return {"title": title, "year": date.year, "air_date": date}
    m = _SEASON_RE.match(stem)
    if m:
        title = m.group("title")
        return {
            "title": title,
            "year": _last_year(title),
            "season": int(m.group("season")),
            "is_season_pack": True,
        }
    m = _ANIME_RE.match(stem)
    if m and m.group("title").strip(" ._-").lower() not in ("", "season", "ep"):
        return {
            "title": m.group("title"),
            "year": _last_year(m.group("title")),
            "anime_release": int(m.group("rel")),
        }
    m = _MOVIE_RE.match(stem)
    if m:
        return {"title": m.group("title"), "year": int(m.group("year"))}
    return {}


def parse_release(name: str) -> Release:
    """Parse a torrent or file name; never raises, unknown parts are None."""
    try:
        return _parse(name)
    except Exception:  # total by contract: a regex surprise must not escape
        return Release(name=name)


def _parse(name: str) -> Release:
    stem = strip_extension(name.strip())
    media = _parse_media(stem)
    raw_title = media.pop("title", None)
    title = _clean_title(raw_title) if isinstance(raw_title, str) else None
    anime = _ANIME_GROUP_RE.match(stem)
    version = _VERSION_RE.search(stem)
    return Release(
        name=name,
        title=title or None,
        key_title=key_title(title) if title else None,
        resolution=_resolution(stem),
        source=parse_source(stem),
        group=_release_group(stem, raw_title if isinstance(raw_title, str) else None),
        anime_group=anime.group("group").strip() if anime else None,
        repack=_REPACK_RE.search(stem) is not None,
        proper=_PROPER_RE.search(stem) is not None,
        version=int(version.group("v")) if version else None,
        **media,  # type: ignore[arg-type]
    )


def element_key(release: Release) -> str | None:
    """The element cross-seed pairs names on: `S1.5`, `S1`, `S2024.03.15`, year, anime number."""
    if release.air_date is not None:
        d = release.air_date
        return f"S{d.year}.{d.month:02d}.{d.day:02d}"
    if release.episode is not None:
        if release.season is None:
            return str(release.episode)
        return f"S{release.season}.{release.episode}"
    if release.is_season_pack and release.season is not None:
        return f"S{release.season}"
    if release.anime_release is not None:
        return str(release.anime_release)
    if release.year is not None and release.title is not None:
        return str(release.year)
    return None


def _as_release(value: Release | str) -> Release:
    return value if isinstance(value, Release) else parse_release(value)


def same_group(a: Release | str, b: Release | str) -> bool:
    """cross-seed's release-group check: a missing group passes, else prefix or anime group."""
    ra, rb = _as_release(a), _as_release(b)
    if ra.group is None or rb.group is None:
        return True
    ga, gb = ra.group.lower(), rb.group.lower()
    if ga.startswith(gb) or gb.startswith(ga):
        return True
    if ra.anime_group is not None and rb.anime_group is not None:
        return ra.anime_group.lower() == rb.anime_group.lower()
    return False


def same_resolution(a: Release | str, b: Release | str) -> bool:
    """Resolutions compare by number (1080i equals 1080p); a missing one passes."""
    ra, rb = _as_release(a), _as_release(b)
    if ra.resolution is None or rb.resolution is None:
        return True
    return ra.resolution[:-1] == rb.resolution[:-1]
