"""Which searchees are searched for, against cross-seed 6.13.7's own filterByContent
(filters.json): blocklist forms, single episodes per trigger, non-video share, cross-seeds,
season-pack episodes, arr library folders, specials and non-standard names."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from tests.crossseed import oracle
from torrentstack.crossseed.prefilter import FilterOptions, Trigger, why_excluded

CASES = oracle.cases("filters.json")


def _options(case: dict[str, Any]) -> FilterOptions:
    raw = case["options"]
    call = case.get("callOptions") or {}
    return FilterOptions(
        match=oracle.options(raw),
        include_non_videos=bool(raw.get("includeNonVideos", False)),
        ignore_cross_seeds=bool(call.get("ignoreCrossSeeds", False)),
        allow_season_pack_episodes=bool(call.get("allowSeasonPackEpisodes", False)),
        link_category=raw.get("linkCategory"),
    )


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_kept_as_the_original_keeps(case: dict[str, Any]) -> None:
    options = _options(case)
    if (case.get("callOptions") or {}).get("blockListOnly"):
        blocked = options.match.blocklist.blocked_by(
            __import__("torrentstack.crossseed.decide", fromlist=["blockable"]).blockable(
                oracle.searchee(case["searchee"])
            )
        )
        assert (blocked is None) is case["kept"]
        return
    searchee = oracle.searchee(case["searchee"])
    assert searchee.title == case["searchee"]["title"]
    reason = why_excluded(searchee, Trigger(case["label"]), options)
    assert (reason is None) is case["kept"], (case["note"], reason)


def test_the_table_keeps_and_drops() -> None:
    kept = {c["kept"] for c in CASES}
    assert kept == {True, False}
    assert replace(FilterOptions(), include_non_videos=True).include_non_videos
