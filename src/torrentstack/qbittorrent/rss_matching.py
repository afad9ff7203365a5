"""Whether an RSS article matches an auto-downloading rule, as qBittorrent's
`AutoDownloadRule::matches`/`accepts` decide: ignoreDays after lastMatch, mustContain and
mustNotContain (wildcards or a regex), the episode filter (`1x01-;`) and the smart episode filter
with repack/proper. Pure; patterns are Python `re` standing in for Qt's PCRE2."""

from __future__ import annotations

import dataclasses
import functools
import re
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from torrentstack.qbittorrent.rss_article import Article
from torrentstack.qbittorrent.rss_rules import Rule

DEFAULT_SMART_FILTERS = (
    r"s(\d+)e(\d+)",
    r"(\d+)x(\d+)",
    r"(\d{4}[.\-]\d{1,2}[.\-]\d{1,2})",
    r"(\d{1,2}[.\-]\d{1,2}[.\-]\d{4})",
)
_FILTER = r"(^\d{1,4})x(.*;$)"
_RANGE_SXXEYY = r"\bs0?(\d{1,4})[ -_\.]?e(0?\d{1,4})(?:\D|\b)"
_RANGE_NXM = r"\b(\d{1,4})x(0?\d{1,4})(?:\D|\b)"
_WHITESPACE = re.compile(r"\s+", re.ASCII)
_QT_INT = re.compile(r"[+-]?[0-9]+", re.ASCII)
_ASCII_I = re.ASCII | re.IGNORECASE  # Qt's default: PCRE2 without Unicode properties
_PCRE_NAMED_GROUP = re.compile(r"\(\?<(?![=!])")  # PCRE's (?<name>...) is Python's (?P<name>...)


@dataclass(frozen=True, slots=True)
class MatchSettings:
    """What the auto-downloader's preferences and the release add to a rule's own terms."""

    smart_filters: tuple[str, ...] = DEFAULT_SMART_FILTERS  # rss_smart_episode_filters
    download_repacks: bool = True  # rss_download_repack_proper_episodes
    path_wildcards: bool = False  # 4.6 (Qt before 6.6.1): `*` and `?` stop at `/`
    repack_falls_through: bool = False  # 4.6.7 also records the bare episode of a repack


def settings(filters: str, repacks: bool, five: bool) -> MatchSettings:
    """From the preferences (`rss_smart_episode_filters` is one regex a line)."""
    return MatchSettings(
        smart_filters=tuple(filters.split("\n")),
        download_repacks=repacks,
        path_wildcards=not five,
        repack_falls_through=not five,
    )


@functools.lru_cache(maxsize=2048)
def _compile(pattern: str, flags: int) -> re.Pattern[str] | None:
    """A pattern that does not compile matches nothing (an invalid QRegularExpression)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return re.compile(pattern, flags)
    except (re.error, RecursionError, OverflowError, ValueError, MemoryError):
        return None


def _search(pattern: str, title: str, flags: int = re.IGNORECASE) -> re.Match[str] | None:
    compiled = _compile(pattern, flags)
    try:
        return compiled.search(title) if compiled is not None else None
    except RecursionError:  # pragma: no cover - the re engine is not recursive
        return None


def wildcard_pattern(wildcard: str, path_wildcards: bool = False) -> str:
    """`QRegularExpression::wildcardToRegularExpression` (unanchored): `*`, `?`, `[...]`."""
    star, one = (r"[^/]*", r"[^/]") if path_wildcards else (r"[\d\D]*", r"[\d\D]")
    out: list[str] = []
    i, size = 0, len(wildcard)
    while i < size:
        c = wildcard[i]
        i += 1
        if c == "*":
            out.append(star)
        elif c == "?":
            out.append(one)
        elif c in "\\$()+.^{|}":
            out.append("\\" + c)
        elif c == "[":
            out.append(c)
            if i < size and wildcard[i] == "!":
                out.append("^")
                i += 1
            if i < size and wildcard[i] == "]":
                out.append(wildcard[i])
                i += 1
            while i < size and wildcard[i] != "]":
                if path_wildcards and wildcard[i] == "/":
                    return "".join(out)
                out.append("\\\\" if wildcard[i] == "\\" else wildcard[i])
                i += 1
        else:
            out.append(c)
    return "".join(out)


def _matches_expression(rule: Rule, title: str, expression: str, path_wildcards: bool) -> bool:
    if not expression:  # "expr|": the empty alternative matches everything
        return True
    if rule.use_regex:
        return _search(_PCRE_NAMED_GROUP.sub("(?P<", expression), title) is not None
    # every whitespace-separated wildcard must be there, in any order
    return all(
        _search(wildcard_pattern(token, path_wildcards), title) is not None
        for token in _WHITESPACE.split(expression)
        if token
    )


def _qt_int(text: str) -> int | None:
    """`QString::toInt(&ok)`: None when it does not convert."""
    stripped = text.strip(" \t\n\r\v\f")
    if not _QT_INT.fullmatch(stripped):
        return None
    value = int(stripped)
    return value if -(2**31) <= value < 2**31 else None


def matches_episode_filter(episode_filter: str, title: str) -> bool:
    """`matchesEpisodeFilterExpression`: "SxE;" items, "SxA-B;" ranges, "SxA-;" onwards."""
    if not episode_filter:
        return True
    parsed = _search(_FILTER, episode_filter, _ASCII_I)
    if parsed is None:
        return False
    season = parsed.group(1)
    season_ours = int(season)
    for episode in parsed.group(2).split(";"):
        if not episode:
            continue
        while len(episode) > 1 and episode.startswith("0"):
            episode = episode[1:]
        if "-" not in episode:
            single = rf"\b(?:s0?{season}[ -_\.]?e0?{episode}|{season}x0?{episode})(?:\D|\b)"
            if _search(single, title, _ASCII_I) is not None:
                return True
            continue
        found = _search(_RANGE_SXXEYY, title, _ASCII_I) or _search(_RANGE_NXM, title, _ASCII_I)
        if found is None:
            continue
        season_theirs, episode_theirs = int(found.group(1)), int(found.group(2))
        if episode.endswith("-"):
            first = _qt_int(episode[:-1]) or 0
            if (season_theirs == season_ours and episode_theirs >= first) or (
                season_theirs > season_ours
            ):
                return True
            continue
        bounds = episode.split("-")
        low, high = _qt_int(bounds[0]) or 0, _qt_int(bounds[-1]) or 0
        if low > high:
            continue
        if season_theirs == season_ours and low <= episode_theirs <= high:
            return True
    return False


def _smart_regex(filters: tuple[str, ...]) -> str:
    return r"(?:_|\b)(?:" + ")|(?:".join(filters) + r")(?:_|\b)"


def episode_name(title: str, filters: tuple[str, ...] = DEFAULT_SMART_FILTERS) -> str:
    """`computeEpisodeName`: the captured season/episode (numbers without leading zeros) or
    date joined with "x"; "" when the title has none."""
    found = _search(_smart_regex(filters), title, re.IGNORECASE | re.VERBOSE)
    if found is None:
        return ""
    parts: list[str] = []
    for captured in found.groups():
        if not captured:
            continue
        number = _qt_int(captured)
        parts.append(str(number) if number is not None else captured)
    return "x".join(parts)


def _smart_episodes(rule: Rule, title: str, options: MatchSettings) -> tuple[str, ...] | None:
    """`matchesSmartEpisodeFilter`: None rejects; else the episode ids the match records."""
    if not rule.smart_filter:
        return ()
    episode = episode_name(title, options.smart_filters)
    if not episode:
        return ()
    if episode not in rule.previously_matched:
        return (episode,)
    if not options.download_repacks:
        return None
    upper = title.upper()
    repack, proper = "REPACK" in upper, "PROPER" in upper
    if not repack and not proper:
        return None
    full = episode + ("-REPACK" if repack else "") + ("-PROPER" if proper else "")
    if full in rule.previously_matched:
        return None
    found = [full]
    if repack and proper:
        found += [episode + "-REPACK", episode + "-PROPER"]
    if options.repack_falls_through:
        found.append(episode)
    return tuple(found)


def _utc(when: datetime) -> datetime:
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def match(rule: Rule, article: Article, options: MatchSettings) -> tuple[str, ...] | None:
    """`AutoDownloadRule::matches`: None when the article does not match, else the episode ids
    accepting it adds to `previouslyMatchedEpisodes`. Enabled and feeds are not looked at."""
    last, days = rule.last_match, rule.ignore_days
    if days > 0 and last is not None and _utc(article.date) < last + timedelta(days=days):
        return None
    title = article.title
    paths = options.path_wildcards
    if rule.must_contain and not any(
        _matches_expression(rule, title, e, paths) for e in rule.must_contain
    ):
        return None
    if any(_matches_expression(rule, title, e, paths) for e in rule.must_not_contain):
        return None
    if not matches_episode_filter(rule.episode_filter, title):
        return None
    return _smart_episodes(rule, title, options)


def accept(rule: Rule, article: Article, options: MatchSettings) -> Rule | None:
    """`AutoDownloadRule::accepts`: the rule after it took the article (lastMatch is the
    article's date, its episode remembered), or None when it does not match."""
    episodes = match(rule, article, options)
    if episodes is None:
        return None
    return dataclasses.replace(
        rule,
        last_match=_utc(article.date),
        previously_matched=rule.previously_matched + episodes,
    )
