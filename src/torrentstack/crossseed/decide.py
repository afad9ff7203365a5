"""Deciding whether a candidate is a cross-seed of a searchee: pure, in cross-seed v6's order.

Before the .torrent is downloaded (`assess_candidate`): release group, resolution, streaming
source, REPACK/PROPER presence, fuzzy size, a download link. Then the blocklist on the searchee.
After (`assess_metafile`): same info hash, already in the client, the blocklist on the torrent,
a season searchee against a single-episode torrent, and the file trees: every torrent file at the
same path with the same size is MATCH; the same sizes under other names MATCH_SIZE_ONLY (not in
strict mode); in partial mode enough of the torrent's pieces MATCH_PARTIAL.

`explain` gives the reason line `crossseed diff` prints. The expected decisions of the tests are
outputs of the original (tests/crossseed/data/decisions.json).
"""

from __future__ import annotations

import math
import posixpath
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from torrentstack.crossseed.blocklist import Blockable, Blocklist
from torrentstack.crossseed.decision import Decision, MatchMode
from torrentstack.crossseed.media import is_single_episode
from torrentstack.crossseed.release import _ANIME_GROUP_RE as ANIME_GROUP_RE
from torrentstack.crossseed.release import (
    SEASON_RE,
    parse_source,
    release_group,
    repack_or_proper,
    strict_resolution,
    strip_extension,
)
from torrentstack.crossseed.searchee import Candidate, File, Metafile, Searchee


@dataclass(frozen=True, slots=True)
class MatchOptions:
    """The settings a decision depends on (cross-seed's names in the docstrings)."""

    match_mode: MatchMode = MatchMode.FLEXIBLE
    fuzzy_size_threshold: float = 0.02  # fuzzySizeThreshold
    include_single_episodes: bool = False  # includeSingleEpisodes
    season_from_episodes: float | None = None  # seasonFromEpisodes (virtual searchees)
    blocklist: Blocklist = field(default_factory=Blocklist)


def is_virtual(searchee: Searchee) -> bool:
    return searchee.info_hash is None and searchee.path is None


def fuzzy_size_factor(searchee: Searchee, options: MatchOptions) -> float:
    if options.season_from_episodes and is_virtual(searchee):
        return 1 - options.season_from_episodes
    return options.fuzzy_size_threshold


def min_size_ratio(searchee: Searchee, options: MatchOptions) -> float:
    if options.season_from_episodes and is_virtual(searchee):
        return options.season_from_episodes
    return 1 - options.fuzzy_size_threshold


def size_fits(size: int, searchee: Searchee, options: MatchOptions) -> bool:
    factor = fuzzy_size_factor(searchee, options)
    length = searchee.length
    return length - factor * length <= size <= length + factor * length


def _groups_agree(searchee_title: str, candidate_name: str) -> bool:
    ours = release_group(strip_extension(searchee_title))
    theirs = release_group(strip_extension(candidate_name))
    if not ours or not theirs:
        return True
    ours, theirs = ours.lower(), theirs.lower()
    if ours.startswith(theirs) or theirs.startswith(ours):
        return True
    ours_anime = _anime_group(searchee_title)
    theirs_anime = _anime_group(candidate_name)
    if ours_anime is None and theirs_anime is None:
        return False
    return ours_anime in (theirs_anime, theirs) or theirs_anime == ours


def _anime_group(name: str) -> str | None:
    m = ANIME_GROUP_RE.match(name)
    return m.group("group").strip().lower() if m else None


def _resolutions_agree(a: str, b: str) -> bool:
    ra, rb = strict_resolution(a), strict_resolution(b)
    return ra is None or rb is None or ra[:-1] == rb[:-1]


def _sources_agree(a: str, b: str) -> bool:
    sa, sb = parse_source(a), parse_source(b)
    return sa is None or sb is None or sa == sb


def pre_download(
    searchee: Searchee, candidate: Candidate, options: MatchOptions
) -> Decision | None:
    """The checks on a candidate's name and size; None when they pass (the blocklist is next)."""
    title, name = searchee.title, candidate.name
    if not _groups_agree(title, name):
        return Decision.RELEASE_GROUP_MISMATCH
    if not _resolutions_agree(title, name):
        return Decision.RESOLUTION_MISMATCH
    if not _sources_agree(title, name):
        return Decision.SOURCE_MISMATCH
    if (repack_or_proper(title) is None) != (repack_or_proper(name) is None):
        return Decision.PROPER_REPACK_MISMATCH
    if candidate.size and not size_fits(candidate.size, searchee, options):
        return Decision.FUZZY_SIZE_MISMATCH
    if not candidate.link:
        return Decision.NO_DOWNLOAD_LINK
    return None


def blockable(item: Searchee | Metafile) -> Blockable:
    if isinstance(item, Metafile):
        hosts = tuple(h for h in (_host(url) for url in item.trackers) if h)
        return Blockable(item.title, item.length, item.info_hash, trackers=hosts)
    return Blockable(
        item.title,
        item.length,
        item.info_hash,
        item.path,
        item.category,
        item.tags if item.source.value in ("client", "torrentFile") else None,
        item.trackers,
    )


def _host(url: str) -> str | None:
    try:
        return urlsplit(url).hostname
    except ValueError:
        return None


def assess_candidate(
    searchee: Searchee, candidate: Candidate, options: MatchOptions
) -> Decision | None:
    """Everything decidable before the download; None means: download it and assess the file."""
    decision = pre_download(searchee, candidate, options)
    if decision is not None:
        return decision
    if options.blocklist.blocked_by(blockable(searchee)):
        return Decision.BLOCKED_RELEASE
    return None


def assess_metafile(
    searchee: Searchee,
    meta: Metafile,
    options: MatchOptions,
    existing: Collection[str] = (),
) -> Decision:
    """The decision for a downloaded (or already known) torrent."""
    blocklist = options.blocklist
    if blocklist and blocklist.blocked_by(blockable(searchee)):
        return Decision.BLOCKED_RELEASE
    if searchee.info_hash == meta.info_hash:
        return Decision.SAME_INFO_HASH
    if meta.info_hash in existing:
        return Decision.INFO_HASH_ALREADY_EXISTS
    if blocklist and blocklist.blocked_by(blockable(meta)):
        return Decision.BLOCKED_RELEASE
    if (
        not options.include_single_episodes
        and SEASON_RE.search(searchee.title)
        and is_single_episode(meta.title, meta.files)
    ):
        return Decision.FILE_TREE_MISMATCH
    return compare_files(searchee, meta, options)


def compare_files(searchee: Searchee, meta: Metafile, options: MatchOptions) -> Decision:
    """The file-tree part of the decision."""
    if same_tree(meta, searchee):
        return Decision.MATCH
    size_match = same_sizes(meta, searchee)
    if size_match and options.match_mode is not MatchMode.STRICT:
        return Decision.MATCH_SIZE_ONLY
    if options.match_mode is MatchMode.PARTIAL:
        ratio = min_size_ratio(searchee, options)
        if partial_size_ratio(meta, searchee) < ratio:
            return Decision.PARTIAL_SIZE_MISMATCH
        if partial_pieces_ratio(meta, searchee) >= ratio:
            return Decision.MATCH_PARTIAL
    elif not size_match:
        return Decision.SIZE_MISMATCH
    return Decision.FILE_TREE_MISMATCH


def same_tree(meta: Metafile, searchee: Searchee) -> bool:
    """Every torrent file exists in the searchee with the same size at the same path (virtual
    searchees, whose paths are absolute, by name). Extra searchee files do not matter."""
    if is_virtual(searchee):
        names = {(f.name, f.length) for f in searchee.files}
        return all((f.name, f.length) in names for f in meta.files)
    paths = {(f.path, f.length) for f in searchee.files}
    return all((f.path, f.length) in paths for f in meta.files)


def _pair_by_size(meta: Metafile, searchee: Searchee) -> tuple[list[File], int]:
    """Pair each torrent file with a distinct searchee file of the same size (the name breaks
    ties: among several of that size only a same-named one pairs). Unpaired torrent files and
    the paired bytes are returned."""
    available: dict[int, list[File]] = {}
    for f in searchee.files:
        available.setdefault(f.length, []).append(f)
    unpaired: list[File] = []
    paired = 0
    for f in meta.files:
        pool = available.get(f.length)
        if not pool:
            unpaired.append(f)
            continue
        if len(pool) > 1:
            same_name = [i for i, s in enumerate(pool) if s.name == f.name]
            if not same_name:
                unpaired.append(f)
                continue
            pool.pop(same_name[0])
        else:
            pool.pop()
        paired += f.length
    return unpaired, paired


def same_sizes(meta: Metafile, searchee: Searchee) -> bool:
    unpaired, _ = _pair_by_size(meta, searchee)
    return not unpaired


def partial_size_ratio(meta: Metafile, searchee: Searchee) -> float:
    """The share of the torrent's bytes in files whose size the searchee has at all."""
    sizes = {f.length for f in searchee.files}
    matched = sum(f.length for f in meta.files if f.length in sizes)
    return matched / meta.length if meta.length else 0.0


def partial_pieces_ratio(meta: Metafile, searchee: Searchee) -> float:
    """The share of the torrent's pieces whole in paired files (a lower bound)."""
    _, paired = _pair_by_size(meta, searchee)
    total = math.ceil(meta.length / meta.piece_length) if meta.piece_length else 0
    return math.floor(paired / meta.piece_length) / total if total else 0.0


REASONS: dict[Decision, str] = {
    Decision.MATCH: "every file of the torrent is in the searchee at the same path and size",
    Decision.MATCH_SIZE_ONLY: "every file of the torrent pairs with a searchee file of that size",
    Decision.MATCH_PARTIAL: "enough of the torrent's pieces lie in files the searchee has",
    Decision.FUZZY_SIZE_MISMATCH: "the listed size is outside the fuzzy size threshold",
    Decision.SIZE_MISMATCH: "some file of the torrent has no searchee file of its size",
    Decision.PARTIAL_SIZE_MISMATCH: "too few of the torrent's bytes are in files of known size",
    Decision.NO_DOWNLOAD_LINK: "the candidate has no download link",
    Decision.DOWNLOAD_FAILED: "the .torrent could not be downloaded",
    Decision.MAGNET_LINK: "the download link is a magnet link",
    Decision.RATE_LIMITED: "the indexer rate-limited the download",
    Decision.SAME_INFO_HASH: "it is the same torrent (same info hash)",
    Decision.INFO_HASH_ALREADY_EXISTS: "the torrent is already in the client",
    Decision.FILE_TREE_MISMATCH: "the file trees differ",
    Decision.RELEASE_GROUP_MISMATCH: "the release groups differ",
    Decision.BLOCKED_RELEASE: "the blocklist blocks it",
    Decision.PROPER_REPACK_MISMATCH: "one is a REPACK/PROPER and the other is not",
    Decision.RESOLUTION_MISMATCH: "the resolutions differ",
    Decision.SOURCE_MISMATCH: "the streaming sources differ",
}


def explain(
    decision: Decision, searchee: Searchee, meta: Metafile | None, options: MatchOptions
) -> str:
    """A one-line reason for `decision`, with the values that decided it."""
    reason = REASONS[decision]
    if decision is Decision.BLOCKED_RELEASE:
        items: list[Searchee | Metafile] = [searchee] if meta is None else [searchee, meta]
        entries = [options.blocklist.blocked_by(blockable(i)) for i in items]
        return f"{reason}: {next((e for e in entries if e), '?')}"
    if meta is None:
        return reason
    if decision is Decision.RELEASE_GROUP_MISMATCH:
        ours, theirs = release_group(strip_extension(searchee.title)), release_group(meta.name)
        return f"{reason}: {ours} vs {theirs}"
    if decision is Decision.RESOLUTION_MISMATCH:
        return f"{reason}: {strict_resolution(searchee.title)} vs {strict_resolution(meta.name)}"
    if decision is Decision.SOURCE_MISMATCH:
        return f"{reason}: {parse_source(searchee.title)} vs {parse_source(meta.name)}"
    if decision in (Decision.SIZE_MISMATCH, Decision.FILE_TREE_MISMATCH):
        missing = _missing(meta, searchee.files)
        if missing:
            return f"{reason}: {len(missing)} torrent file(s) unmatched, first {missing[0]}"
    if decision is Decision.FUZZY_SIZE_MISMATCH:
        return f"{reason}: {meta.length} vs {searchee.length} bytes"
    return reason


def _missing(meta: Metafile, files: Sequence[File]) -> list[str]:
    have = {(f.path, f.length) for f in files}
    return [
        f"{f.path} ({f.length} bytes)"
        for f in meta.files
        if (f.path, f.length) not in have and posixpath.basename(f.path)
    ]


def decide_pair(
    searchee: Searchee, meta: Metafile, options: MatchOptions, existing: Collection[str] = ()
) -> Decision:
    """The decision a search makes when it finds `meta` listed under its own name and size:
    the name and size checks first, then the downloaded file (`crossseed diff`)."""
    listing = Candidate(meta.name, meta.info_hash, meta.info_hash, "", size=meta.length)
    early = assess_candidate(searchee, listing, options)
    return early if early is not None else assess_metafile(searchee, meta, options, existing)
