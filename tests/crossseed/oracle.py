"""Reading the recorded outputs of cross-seed 6.13.7 (tests/crossseed/data) into our models."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from torrentstack.crossseed.blocklist import Blocklist
from torrentstack.crossseed.decide import MatchOptions, assess_candidate, assess_metafile
from torrentstack.crossseed.decision import Decision, MatchMode
from torrentstack.crossseed.searchee import Candidate, Metafile, Searchee, files_of

DATA = Path(__file__).parent / "data"


def cases(name: str) -> list[dict[str, Any]]:
    return list(json.loads((DATA / name).read_text())["cases"])


def options(raw: dict[str, Any]) -> MatchOptions:
    return MatchOptions(
        match_mode=MatchMode.parse(raw.get("matchMode", "flexible")),
        fuzzy_size_threshold=raw.get("fuzzySizeThreshold", 0.02),
        include_single_episodes=bool(raw.get("includeSingleEpisodes", False)),
        season_from_episodes=raw.get("seasonFromEpisodes"),
        blocklist=Blocklist.parse(raw.get("blockList") or []),
    )


def searchee(raw: dict[str, Any]) -> Searchee:
    return Searchee(
        name=raw["name"],
        files=files_of((f["path"], f["length"]) for f in raw["files"]),
        info_hash=raw.get("infoHash"),
        path=raw.get("path"),
        category=raw.get("category"),
        tags=tuple(raw.get("tags") or ()),
        trackers=tuple(raw.get("trackers") or ()),
    )


def metafile(raw: dict[str, Any]) -> Metafile:
    return Metafile(
        name=raw["name"],
        info_hash=raw["infoHash"],
        piece_length=raw["pieceLength"],
        files=files_of((f["path"], f["length"]) for f in raw["files"]),
        trackers=tuple(f"http://{h}/announce" for h in raw.get("trackers") or ()),
    )


def candidate(raw: dict[str, Any]) -> Candidate:
    return Candidate(
        name=raw["name"],
        guid=raw.get("guid") or "",
        link=raw.get("link"),
        tracker=raw.get("tracker") or "",
        size=raw.get("size"),
    )


# what the recorded loopback server answered on these download links
_SNATCH = {
    "/429": Decision.RATE_LIMITED,
    "/404": Decision.DOWNLOAD_FAILED,
    "/magnet": Decision.MAGNET_LINK,
}


def decide(case: dict[str, Any]) -> Decision:
    """Our decision for a recorded case (the download's outcome as the recording's server)."""
    opts = options(case["options"])
    have = searchee(case["searchee"])
    existing = set(case.get("existingInfoHashes") or ())
    if not case.get("candidateIsMetafile"):
        early = assess_candidate(have, candidate(case["candidate"]), opts)
        if early is not None:
            return early
        link = case["candidate"].get("link") or ""
        for suffix, outcome in _SNATCH.items():
            if link.endswith(suffix):
                return outcome
    return assess_metafile(have, metafile(case["metafile"]), opts, existing)
