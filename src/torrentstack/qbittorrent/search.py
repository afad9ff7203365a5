"""Search vocabulary: a plugin's description, one result line of a nova3 plugin, plugin versions
and category names, as qBittorrent's `SearchHandler` and `SearchPluginManager` read them."""

from __future__ import annotations

import re
from dataclasses import dataclass

# SearchPluginManager::categoryFullName (the `all` row comes first, the rest sorted).
CATEGORY_NAMES = {
    "all": "All categories",
    "anime": "Anime",
    "books": "Books",
    "games": "Games",
    "movies": "Movies",
    "music": "Music",
    "pictures": "Pictures",
    "software": "Software",
    "tv": "TV shows",
}
MAX_CONCURRENT_SEARCHES = 5
_VERSION = re.compile(r"^(\d+)(?:\.(\d+))?$")


@dataclass(frozen=True, slots=True)
class PluginInfo:
    """An installed plugin as `search/plugins` shows it."""

    name: str
    version: str
    full_name: str
    url: str
    categories: tuple[str, ...]  # without `all`
    enabled: bool
    source: str = ""  # where it was installed from (URL or path): `updatePlugins` reads it again


@dataclass(frozen=True, slots=True)
class SearchResult:
    """One result (`SearchResult` of qBittorrent); `pub_date` is seconds since the epoch or -1."""

    file_url: str
    file_name: str
    file_size: int
    seeders: int
    leechers: int
    site_url: str
    descr_link: str = ""
    pub_date: int = -1
    engine_name: str = ""


def parse_version(text: str) -> tuple[int, int] | None:
    """`PluginVersion::fromString` (Version<2>): one or two integer components."""
    match = _VERSION.match(text.strip())
    if match is None:
        return None
    return int(match.group(1)), int(match.group(2) or 0)


def format_version(version: tuple[int, int]) -> str:
    return f"{version[0]}.{version[1]}"


def version_of(source: str) -> tuple[int, int]:
    """The `# VERSION: x.y` comment of a plugin's text (0.0 when absent or invalid)."""
    for line in source.splitlines():
        compact = line.replace(" ", "")
        if compact[:9].upper() == "#VERSION:":
            return parse_version(compact[9:]) or (0, 0)
    return (0, 0)


def plugin_categories(categories: tuple[str, ...]) -> list[dict[str, str]]:
    """`supportedCategories` of `search/plugins`: `all` first, then the rest sorted."""
    rows = [{"id": "all", "name": CATEGORY_NAMES["all"]}]
    for category in sorted(categories, key=str.lower):
        rows.append({"id": category, "name": CATEGORY_NAMES.get(category, "")})
    return rows


def _qt_int(text: str) -> tuple[int, bool]:
    try:
        return int(text.strip()), True
    except ValueError:
        return 0, False


def parse_result_line(line: str) -> SearchResult | None:
    """`link|name|size|seeds|leech|engine_url[|desc_link[|pub_date]]`; fewer fields: no result."""
    parts = line.split("|")
    if len(parts) < 6:
        return None
    seeds, ok = _qt_int(parts[3])
    seeds = seeds if ok and seeds >= 0 else -1
    leech, ok = _qt_int(parts[4])
    leech = leech if ok and leech >= 0 else -1
    pub_date = -1
    if len(parts) > 7:
        secs, ok = _qt_int(parts[7])
        pub_date = secs if ok and secs > 0 else -1
    return SearchResult(
        file_url=parts[0].strip(),
        file_name=parts[1].strip(),
        file_size=_qt_int(parts[2])[0],
        seeders=seeds,
        leechers=leech,
        site_url=parts[5].strip(),
        descr_link=parts[6].strip() if len(parts) > 6 else "",
        pub_date=pub_date,
    )


def serialize_result(result: SearchResult, *, with_engine: bool) -> dict[str, object]:
    """A result of `search/results`; 5.x adds `engineName` and `pubDate`."""
    row: dict[str, object] = {
        "fileName": result.file_name,
        "fileUrl": result.file_url,
        "fileSize": result.file_size,
        "nbSeeders": result.seeders,
        "nbLeechers": result.leechers,
    }
    if with_engine:
        row["engineName"] = result.engine_name
    row["siteUrl"] = result.site_url
    row["descrLink"] = result.descr_link
    if with_engine:
        row["pubDate"] = result.pub_date
    return dict(sorted(row.items()))  # Qt's QJsonObject keeps its keys sorted


def serialize_plugin(plugin: PluginInfo) -> dict[str, object]:
    return {  # sorted, as Qt writes a QJsonObject
        "enabled": plugin.enabled,
        "fullName": plugin.full_name,
        "name": plugin.name,
        "supportedCategories": plugin_categories(plugin.categories),
        "url": plugin.url,
        "version": plugin.version,
    }
