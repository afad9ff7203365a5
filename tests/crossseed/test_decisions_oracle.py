"""Every decision kind, with the expected decision recorded from the real cross-seed 6.13.7
(its own assessCandidate run under Node; tests/crossseed/data/decisions.json)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.crossseed import oracle
from torrentstack.crossseed.decide import assess_candidate, assess_metafile
from torrentstack.crossseed.decision import Decision

CASES = oracle.cases("decisions.json")
# what the recorded loopback server answered on these download links
_SNATCH = {
    "/429": Decision.RATE_LIMITED,
    "/404": Decision.DOWNLOAD_FAILED,
    "/magnet": Decision.MAGNET_LINK,
}


def decide(case: dict[str, Any]) -> Decision:
    options = oracle.options(case["options"])
    searchee = oracle.searchee(case["searchee"])
    existing = set(case.get("existingInfoHashes") or ())
    if not case.get("candidateIsMetafile"):
        early = assess_candidate(searchee, oracle.candidate(case["candidate"]), options)
        if early is not None:
            return early
        link = case["candidate"].get("link") or ""
        for suffix, outcome in _SNATCH.items():
            if link.endswith(suffix):
                return outcome
    return assess_metafile(searchee, oracle.metafile(case["metafile"]), options, existing)


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_decision_is_the_originals(case: dict[str, Any]) -> None:
    assert decide(case) == Decision(case["decision"]), case["note"]


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_titles_are_the_originals(case: dict[str, Any]) -> None:
    assert oracle.searchee(case["searchee"]).title == case["searchee"]["title"]
    if case.get("metafile"):
        assert oracle.metafile(case["metafile"]).title == case["metafile"]["title"]


def test_every_decision_kind_the_daemon_can_reach_is_covered() -> None:
    seen = {Decision(c["decision"]) for c in CASES}
    assert set(Decision) <= seen
