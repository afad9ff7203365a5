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

from torrentstack.crossseed.extensions import ALL_EXTENSIONS

_YEAR = r"(?:19|20)\d{2}"
# `Title.S01E02`, `Title S01 - 02`, `Title.E05`, `Title.S01E01E02`, or a daily `Title.2024.03.15`
EPISODE_RE = re.compile(
    r"^(?P<title>.+?)[_.\s-]+(?:"
    r"(?P<season>S\d+)?(?:[_.\s-]{0,3}E|(?(season)[_\s-]{1,3}|(?!)))"
    rf"(?!{_YEAR})(?P<ep>\d+)(?:[\s-]?(?!{_YEAR})E?(?P<ep2>\d+))?(?![pix])(?!\d+[pix])"
    rf"|(?P<y>{_YEAR})[_.\s-](?P<m>\d{{2}})[_.\s-](?P<d>\d{{2}}))",
    re.IGNORECASE,
)
SEASON_RE = re.compile(
    r"^(?P<title>.+?)[\[(_.\s-]+(?P<season>S(?:eason)?\s*(?P<n>\d+))(?=\b(?![_.\s~-]*E\d+))",
    re.IGNORECASE,
)
MOVIE_RE = re.compile(
    r"^(?P<title>.+?)-?[_.\s][\[(]?(?P<year>(?:18|19|20)\d{2})[)\]]?(?![pix])", re.IGNORECASE
)
_ANIME_RE = re.compile(
    r"^(?:\[(?P<group>[^\]]*)\][_\s-]?)?(?P<title>.+?)"
    r"(?:[(\[~/|-]\s?(?!\d{1,4})(?P<alt>.+?)[)\]~-]?\s?)?[_\s-]+(?:-[_\s-]*)?"
    r"(?:S\d{1,2}[_\s-]{0,3})?(?:#|EP?|SP)?[_\s-]{0,3}"
    r"(?P<rel>\d{1,4})(?![\da-uw-z])(?!\.[0-46-9])(?:v(?P<ver>\d))?",
    re.IGNORECASE,
)
# the text after the last `-`, before an optional `[tag]`, `)` or ` [tag]` at the end
_GROUP_RE = re.compile(
    r"(?<=-)(?:\W|\b)(?!\d{3,4}[ip])(?!\d+\b)(?:\W|\b)(?P<group>[\w .]+?)(?:\[.+\])?\)?(?:\s\[.+\])?$",
    re.IGNORECASE,
)
# a "group" made only of codec, audio, resolution, season and punctuation tokens is junk
_JUNK_PART = (
    r"(?:dl|DDP?|aac|eac3|atmos|dts|ma|hd|[xh.]{1,2}[2456]|[0-9]+[ip]?|dxva|full"
    r"|blu|ray|s(?:eason)?\W\d+|\W)"
)
_JUNK_GROUP_RE = re.compile(rf"^{_JUNK_PART}{{3,}}$", re.IGNORECASE)
_ANIME_GROUP_RE = re.compile(r"^\s*\[(?P<group>.+?)\]")
_RES_RE = re.compile(r"(?P<res>(?:2160|1080|720)[pi])")  # case-sensitive, as the original
_REPACK_RE = re.compile(r"\b(?P<type>(?:REPACK|PROPER|\dv\d)\d?)\b", re.IGNORECASE)
_YEAR_RE = re.compile(rf"{_YEAR}(?![pix])", re.IGNORECASE)
_SCENE_PREFIX_RE = re.compile(r"^[a-z0-9]{3,5}-")
_NON_ALNUM_RE = re.compile(r"[\W_]+")
_SOURCES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (tag, re.compile(pattern, re.IGNORECASE))
    for tag, pattern in (
        ("AMZN", r"\b(?:amzn|amazon(?:hd)?)\b[ ._-]web[ ._-]?(?:dl|rip)?\b"),
        ("DSNP", r"\b(?:dsnp|dsny|disney)\b"),
        ("NF", r"\b(?:nf|netflix(?:u?hd)?)\b"),
        ("HULU", r"\bhulu\b"),
        ("ATVP", r"\b(?:atvp|aptv)\b"),
        ("HBO", r"\bhbo(?![ ._-]max)\b|\b(?:hmax|hbom|hbo[ ._-]max)\b"),
        ("PCOK", r"\bpcok\b"),
        ("PMTP", r"\b(?:pmtp|Paramount Plus)\b"),
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
    """The base name without a known media extension (case-sensitive, as the original)."""
    base = name.rsplit("/", 1)[-1]
    for ext in ALL_EXTENSIONS:
        if base.endswith(ext):
            return base[: -len(ext)]
    return name


_BRACKETED = re.compile(r"\[.*?\]|「.*?」|｢.*?｣|【.*?】")
_DELIMITERS = re.compile(r"[._()\[\]]")
_SPACES = re.compile(r"\s+")
_EDGE_HYPHENS = re.compile(r"^\s*-+|-+\s*$")
_AKA = re.compile(r"(?:[_.\s-]+|\b)a[_.\s-]?k[_.\s-]?a(?:[_.\s-]+|\b)", re.IGNORECASE)


def clean_title(title: str) -> str:
    """A title without bracketed text, delimiters as spaces, and no scene prefix (`abc-`)."""
    text = _BRACKETED.sub("", title)
    text = _SPACES.sub(" ", _DELIMITERS.sub(" ", text))
    text = _EDGE_HYPHENS.sub("", text).strip()
    return _SCENE_PREFIX_RE.sub("", text, count=1)


def all_titles(titles: list[str]) -> list[str]:
    """The titles plus the parts of any `X aka Y` title."""
    result = list(titles)
    for title in titles:
        if _AKA.search(title) and title.strip().lower() != "aka":
            result.extend(_AKA.split(title))
    return result


def key_title(title: str) -> str | None:
    """cross-seed's createKeyTitle: alphanumeric, lower-case, the last year removed (> 4 chars)."""
    key = _NON_ALNUM_RE.sub("", clean_title(title)).lower()
    if len(key) > 4:
        years = list(_YEAR_RE.finditer(key))
        if years:
            last = years[-1]
            key = key[: last.start()] + key[last.end() :]
    return key or None


def _last_year(text: str) -> int | None:
    years = _YEAR_RE.findall(text)
    return int(years[-1]) if years else None


def release_group(stem: str) -> str | None:
    """cross-seed's getReleaseGroup: the text after the last `-`, unless junk or title."""
    m = _GROUP_RE.search(stem)
    if m is None:
        return None
    group = m.group("group").strip()
    if not group or _JUNK_GROUP_RE.match(group):
        return None
    media = EPISODE_RE.match(stem) or SEASON_RE.match(stem) or MOVIE_RE.match(stem)
    titles = [media.group("title")] if media else []
    if not titles:
        anime = _ANIME_RE.match(stem)
        if anime:
            titles = [anime.group("title")]
    for title in titles:
        in_title = _GROUP_RE.search(title)
        if in_title and in_title.group("group").strip() in group:
            return None
    return group


def strict_resolution(stem: str) -> str | None:
    """`2160p`, `1080i`, `720p`...: only those three heights, lower-case."""
    m = _RES_RE.search(stem)
    return m.group("res").lower() if m else None


def repack_or_proper(stem: str) -> str | None:
    """`REPACK`, `PROPER`, `REPACK2` or an anime `01v2` version tag, if the name has one."""
    m = _REPACK_RE.search(stem)
    return m.group("type") if m else None


def parse_anime(name: str) -> str | None:
    """The title of an anime-style name (`[Group] Title - 12`), or None."""
    m = _ANIME_RE.match(name)
    return m.group("title") if m else None


def parse_source(stem: str) -> str | None:
    """The streaming-service tag (AMZN, DSNP, NF, HULU, ATVP, HMAX, PCOK, PMTP) or None."""
    for tag, pattern in _SOURCES:
        if pattern.search(stem):
            return tag
    return None


def _parse_media(stem: str) -> dict[str, object]:
    m = EPISODE_RE.match(stem)
    if m:
        title = m.group("title")
        if m.group("ep") is not None:
            ep2 = m.group("ep2")
            return {
                "title": title,
                "year": _last_year(title),
                "season": int(m.group("season")[1:]) if m.group("season") else None,
                "episode": int(m.group("ep")),
                "last_episode": int(ep2) if ep2 else None,
            }
        try:
            date = datetime.date(int(m.group("y")), int(m.group("m")), int(m.group("d")))
        except ValueError:
            date = None
        if date is not None:
            return {"title": title, "year": date.year, "air_date": date}
    m = SEASON_RE.match(stem)
    if m:
        title = m.group("title")
        return {
            "title": title,
            "year": _last_year(title),
            "season": int(m.group("n")),
            "is_season_pack": True,
        }
    m = MOVIE_RE.match(stem)
    if m:
        return {"title": m.group("title"), "year": int(m.group("year"))}
    m = _ANIME_RE.match(stem)
    if m:
        return {
            "title": m.group("title"),
            "year": _last_year(m.group("title")),
            "anime_release": int(m.group("rel")),
        }
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
    title = clean_title(raw_title) if isinstance(raw_title, str) else None
    anime = _ANIME_GROUP_RE.match(stem)
    version = _ANIME_RE.match(stem)
    tag = (repack_or_proper(stem) or "").upper()
    return Release(
        name=name,
        title=title or None,
        key_title=key_title(title) if title else None,
        resolution=strict_resolution(stem),
        source=parse_source(stem),
        group=release_group(stem),
        anime_group=anime.group("group").strip() if anime else None,
        repack=tag.startswith("REPACK"),
        proper=tag.startswith("PROPER"),
        version=int(version.group("ver")) if version and version.group("ver") else None,
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
