"""Which searchees are worth searching for (cross-seed's filterByContent), pure.

A searchee is left out when the blocklist blocks it; when it is one episode file of a data
season folder (search and webhook); when it is a single episode and single episodes are not
included (announces are exempt); when more of its bytes than the fuzzy threshold are not video
and non-videos are not included; when it is itself a cross-seed and those are ignored; when it
is a data season 0 (specials) folder; and, for search and webhook, when its name uses a
non-standard episode or season form.
"""

from __future__ import annotations

import enum
import posixpath
import re
from dataclasses import dataclass, field

from torrentstack.crossseed.decide import MatchOptions, blockable
from torrentstack.crossseed.media import MediaType, is_single_episode, is_video, media_type
from torrentstack.crossseed.release import SEASON_RE
from torrentstack.crossseed.searchee import Searchee

CROSS_SEED_TAG = "cross-seed"
CATEGORY_SUFFIX = ".cross-seed"
_SONARR_SEASON_FOLDER = re.compile(r"^S(?:eason )?\d{1,4}$", re.IGNORECASE)
_BAD_EPISODE = re.compile(
    r"^[_.\s-]*[^_.\s-]*?(?:(?:S\d+)?[_.\s-]{0,3}(?!(?:19|20)\d{2})E\d+(?![pix])"
    r"|(?:19|20)\d{2}[_.\s-]\d{2}[_.\s-]\d{2})",
    re.IGNORECASE,
)
_QUALITY = re.compile(
    r"\d{3,4}[ipx]|[xh.]+26[4-6]|dvd|mpeg|xvid|(?:he|a)vc|uhd|blu[_.\s-]?ray", re.IGNORECASE
)
_ARR_DIR = re.compile(
    r"^[\w\s:'\u2019!();.,&\u2013+-]+(?:\(\d{4}\))?(?:\s[{\[](?:tm|tv|im)db(?:id)?-\w+?[}\]])?$",
    re.IGNORECASE,
)
_BAD_SEASON = re.compile(
    r"^[\[_.\s-]*[^\[_.\s-]*?(?:S\d+|season\s*\d+)(?=\b(?![_.\s~-]*E\d+))", re.IGNORECASE
)


class Trigger(enum.Enum):
    """What asked for the search; some filters apply only to some triggers."""

    SEARCH = "search"
    WEBHOOK = "webhook"
    RSS = "rss"
    ANNOUNCE = "announce"


@dataclass(frozen=True, slots=True)
class FilterOptions:
    match: MatchOptions = field(default_factory=MatchOptions)
    include_non_videos: bool = False
    ignore_cross_seeds: bool = True
    allow_season_pack_episodes: bool = False
    link_category: str | None = "cross-seed-link"


def is_cross_seed(searchee: Searchee, link_category: str | None) -> bool:
    category = searchee.category or ""
    if link_category and category == link_category:
        return True
    if category == CROSS_SEED_TAG or category.endswith(CATEGORY_SUFFIX):
        return True
    return any(t == CROSS_SEED_TAG or t.endswith(CATEGORY_SUFFIX) for t in searchee.tags)


def non_video_ratio(searchee: Searchee) -> float:
    if not searchee.length:
        return 0.0
    return sum(f.length for f in searchee.files if not is_video(f.name)) / searchee.length


def why_excluded(searchee: Searchee, trigger: Trigger, options: FilterOptions) -> str | None:
    """The reason the searchee is not searched for, or None when it is."""
    match = options.match
    blocked = match.blocklist.blocked_by(blockable(searchee)) if match.blocklist else None
    if blocked:
        return f"it matches the blocklist: {blocked}"
    title = searchee.title
    kind = media_type(title, searchee.files)
    searching = trigger in (Trigger.SEARCH, Trigger.WEBHOOK)
    parent = posixpath.basename(posixpath.dirname(searchee.path)) if searchee.path else ""
    if (
        (not options.allow_season_pack_episodes or not match.include_single_episodes)
        and searchee.path
        and len(searchee.files) == 1
        and searching
        and (SEASON_RE.search(parent) or _SONARR_SEASON_FOLDER.match(parent))
    ):
        return "it is a season pack episode"
    if (
        not match.include_single_episodes
        and trigger is not Trigger.ANNOUNCE
        and is_single_episode(title, searchee.files)
    ):
        return "it is a single episode"
    ratio = non_video_ratio(searchee)
    if not options.include_non_videos and ratio > match.fuzzy_size_threshold:
        return f"nonVideoSizeRatio {ratio:.3f} > {match.fuzzy_size_threshold} fuzzySizeThreshold"
    if options.ignore_cross_seeds and is_cross_seed(searchee, options.link_category):
        return "it is a cross seed"
    if searchee.path and _looks_like_arr_dir(searchee, kind, ratio):
        return "it looks like an arr movie/series directory"
    if searchee.path and kind is MediaType.SEASON:
        season = SEASON_RE.search(title)
        if season is not None and int(season.group("n")) == 0:
            return "it is a Specials folder"
    if searching and (_BAD_EPISODE.search(title) or _BAD_SEASON.search(title)):
        return "it has a non-standard episode/season naming format"
    return None


def _looks_like_arr_dir(searchee: Searchee, kind: MediaType, non_video: float) -> bool:
    """A Radarr/Sonarr library folder (`Title (2020) {tmdb-1}`): not a release, never listed."""
    name = posixpath.basename(searchee.path or "")
    is_dir = any("/" in f.path for f in searchee.files)
    return (
        is_dir
        and _QUALITY.search(name) is None
        and _ARR_DIR.match(name) is not None
        and non_video < 0.02
        and kind not in (MediaType.EPISODE, MediaType.SEASON)
        and not (len(searchee.files) > 1 and _SONARR_SEASON_FOLDER.match(name))
    )
