"""Every decision kind, with the expected decision recorded from the real cross-seed 6.13.7
(its own assessCandidate run under Node; tests/crossseed/data/decisions.json)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.crossseed import oracle
from tests.crossseed.oracle import decide
from torrentstack.crossseed.decision import Decision

CASES = oracle.cases("decisions.json")


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
