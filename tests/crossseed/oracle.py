"""Reading the recorded outputs of cross-seed 6.13.7 (tests/crossseed/data) into our models."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from torrentstack.crossseed.blocklist import Blocklist
from torrentstack.crossseed.decide import MatchOptions
from torrentstack.crossseed.decision import MatchMode
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
