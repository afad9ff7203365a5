"""Release-name parsing against what cross-seed 6.13.7 itself parsed (releases.json): title
repair, release group, resolution, streaming source, REPACK/PROPER, media kind and the keys an
announce is paired on; plus totality under fuzzing."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.crossseed.oracle import DATA
from torrentstack.crossseed.library import name_keys
from torrentstack.crossseed.media import media_type, repair_title
from torrentstack.crossseed.release import (
    Release,
    key_title,
    parse_release,
    parse_source,
    release_group,
    repack_or_proper,
    strict_resolution,
    strip_extension,
)
from torrentstack.crossseed.searchee import files_of

RELEASES: list[dict[str, Any]] = json.loads((DATA / "releases.json").read_text())["releases"]
IDS = [r["name"][:60] for r in RELEASES]


def _similar_keys(name: str) -> list[str]:
    keys = name_keys(name)
    if keys is None:
        return []
    element = keys.element.lstrip("#") if keys.element else None
    return [f"{k}.{element}" if element else k for k in keys.key_titles]


@pytest.mark.parametrize("r", RELEASES, ids=IDS)
def test_parts_are_the_originals(r: dict[str, Any]) -> None:
    stem = strip_extension(r["name"])
    assert stem == r["stem"]
    files = files_of((f["path"], f["length"]) for f in r["filesUsed"])
    title = repair_title(r["name"], files)
    assert title == r["title"]
    assert release_group(stem) == r["releaseGroup"]
    assert strict_resolution(r["name"]) == (r["resolution"].lower() if r["resolution"] else None)
    assert parse_source(r["name"]) == r["source"]
    assert (repack_or_proper(r["name"]) is not None) is r["repackProper"]
    assert media_type(title, files).value == r["mediaType"]


@pytest.mark.parametrize("r", RELEASES, ids=IDS)
def test_announce_keys_are_the_originals(r: dict[str, Any]) -> None:
    assert _similar_keys(r["name"]) == r["similarKeys"]


def test_key_title() -> None:
    assert key_title("The.Office.US") == "theofficeus"
    assert key_title("Blade Runner 2049") == "bladerunner"
    assert key_title("1917") == "1917"  # too short to lose its year
    assert key_title("...") is None


def test_parse_release_summary() -> None:
    r = parse_release("Show.Name.S01E02E03.REPACK.1080p.AMZN.WEB-DL.DDP5.1.H.264-GRP")
    assert (r.season, r.episode, r.last_episode, r.repack, r.resolution, r.source, r.group) == (
        1,
        2,
        3,
        True,
        "1080p",
        "AMZN",
        "GRP",
    )
    assert parse_release("Show.2024.03.15.1080p-GRP").air_date is not None
    assert parse_release("Show.2024.13.45.1080p-GRP").air_date is None


@given(st.text())
def test_parse_is_total_and_stable(name: str) -> None:
    r = parse_release(name)
    assert isinstance(r, Release)
    assert r.name == name
    name_keys(name)  # never raises
