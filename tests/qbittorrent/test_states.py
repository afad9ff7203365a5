"""Torrent states by qBittorrent's `TorrentImpl::updateState` rules, in their order, and the
`torrents/info` filters (reference notes §3 and §4; the expected names are written out)."""

from __future__ import annotations

import pytest

from tests.qbittorrent.views import view
from torrentstack.qbittorrent.models import StateFacts
from torrentstack.qbittorrent.states import compute_state, filter_predicate, state_name

# (facts that hold, 4.x state): one row per branch of updateState, then rows where an earlier
# rule wins over a later one.
STATES = [
    # 1-4: checking resume data, moving, missing files, error (or upload mode) come first
    ({"checking_resume_data": True}, "checkingResumeData"),
    ({"moving": True}, "moving"),
    ({"missing_files": True}, "missingFiles"),
    ({"error": True}, "error"),
    ({"upload_mode": True}, "error"),
    ({"checking_resume_data": True, "moving": True, "error": True}, "checkingResumeData"),
    ({"moving": True, "missing_files": True, "stopped": True}, "moving"),
    ({"missing_files": True, "error": True}, "missingFiles"),
    ({"error": True, "stopped": True, "finished": True}, "error"),
    ({"error": True, "has_metadata": False}, "error"),
    # 5: no metadata
    ({"has_metadata": False}, "metaDL"),
    ({"has_metadata": False, "stopped": True}, "pausedDL"),
    ({"has_metadata": False, "queued": True}, "queuedDL"),
    ({"has_metadata": False, "forced": True}, "forcedMetaDL"),
    ({"has_metadata": False, "stopped": True, "queued": True}, "pausedDL"),
    ({"has_metadata": False, "download_rate": 500}, "metaDL"),
    # 6: checking files, unless stopped: checkingUP once it had finished, else checkingDL
    ({"checking": True}, "checkingDL"),
    ({"checking": True, "has_finished_before": True}, "checkingUP"),
    ({"checking": True, "stopped": True}, "pausedDL"),
    ({"checking": True, "stopped": True, "finished": True}, "pausedUP"),
    ({"checking": True, "queued": True}, "checkingDL"),
    # 7: finished or seeding
    ({"finished": True, "stopped": True}, "pausedUP"),
    ({"finished": True, "queued": True}, "queuedUP"),
    ({"finished": True, "forced": True}, "forcedUP"),
    ({"finished": True, "upload_rate": 1}, "uploading"),
    ({"finished": True}, "stalledUP"),
    ({"finished": True, "forced": True, "upload_rate": 1}, "forcedUP"),
    ({"finished": True, "download_rate": 1}, "stalledUP"),
    # 8: downloading
    ({"stopped": True}, "pausedDL"),
    ({"queued": True}, "queuedDL"),
    ({"forced": True}, "forcedDL"),
    ({"download_rate": 1}, "downloading"),
    ({}, "stalledDL"),
    ({"upload_rate": 1}, "stalledDL"),
    ({"forced": True, "download_rate": 1}, "forcedDL"),
]


@pytest.mark.parametrize(("facts", "state"), STATES)
def test_update_state_rules(facts, state):
    assert compute_state(StateFacts(**facts)) == state


# 5.x renames the two stopped states only (serialize_torrent.cpp::torrentStateToString)
@pytest.mark.parametrize(
    ("state", "spelled_4x", "spelled_5x"),
    [
        ("pausedUP", "pausedUP", "stoppedUP"),
        ("pausedDL", "pausedDL", "stoppedDL"),
        ("stalledUP", "stalledUP", "stalledUP"),
        ("checkingResumeData", "checkingResumeData", "checkingResumeData"),
        ("metaDL", "metaDL", "metaDL"),
        ("queuedUP", "queuedUP", "queuedUP"),
        ("error", "error", "error"),
        ("missingFiles", "missingFiles", "missingFiles"),
    ],
)
def test_state_names_per_persona(state, spelled_4x, spelled_5x):
    assert state_name(state, stop_vocabulary=False) == spelled_4x
    assert state_name(state, stop_vocabulary=True) == spelled_5x


ALL_STATES = [
    "error", "missingFiles", "uploading", "pausedUP", "queuedUP", "stalledUP", "checkingUP",
    "forcedUP", "downloading", "metaDL", "forcedMetaDL", "pausedDL", "queuedDL", "stalledDL",
    "checkingDL", "forcedDL", "checkingResumeData", "moving",
]  # fmt: skip

# filter -> the states it matches (notes §4's table); a torrent with no upload in progress
MATCHES = {
    "all": set(ALL_STATES),
    "downloading": {
        "downloading", "metaDL", "forcedMetaDL", "stalledDL", "checkingDL", "pausedDL",
        "queuedDL", "forcedDL",
    },
    "seeding": {"uploading", "stalledUP", "checkingUP", "queuedUP", "forcedUP"},
    "completed": {"uploading", "stalledUP", "checkingUP", "queuedUP", "forcedUP", "pausedUP"},
    "active": {"downloading", "metaDL", "forcedMetaDL", "forcedDL", "uploading", "forcedUP", "moving"},
    "stalled": {"stalledUP", "stalledDL"},
    "stalled_uploading": {"stalledUP"},
    "stalled_downloading": {"stalledDL"},
    "checking": {"checkingUP", "checkingDL", "checkingResumeData"},
    "moving": {"moving"},
    "errored": {"error", "missingFiles"},
}  # fmt: skip
MATCHES["inactive"] = set(ALL_STATES) - MATCHES["active"]


@pytest.mark.parametrize("stop_vocabulary", [False, True], ids=["4.6", "5.1"])
@pytest.mark.parametrize("name", sorted(MATCHES))
def test_filters_match_the_states_of_the_table(name, stop_vocabulary):
    accepts = filter_predicate(name, stop_vocabulary)
    quiet = view(upspeed=0)
    assert {state for state in ALL_STATES if accepts(quiet, state)} == MATCHES[name]


@pytest.mark.parametrize(
    ("name", "upspeed", "active"),
    [("active", 1, True), ("active", 0, False), ("inactive", 1, False), ("inactive", 0, True)],
)
def test_a_stalled_download_that_uploads_is_active(name, upspeed, active):
    assert filter_predicate(name, False)(view(upspeed=upspeed), "stalledDL") is active


@pytest.mark.parametrize(
    ("name", "stop_vocabulary", "stopped", "matches"),
    [
        # the stopped flag decides, whatever the state
        ("paused", False, True, True),
        ("paused", False, False, False),
        ("resumed", False, True, False),
        ("resumed", False, False, True),
        ("stopped", True, True, True),
        ("stopped", True, False, False),
        ("running", True, True, False),
        ("running", True, False, True),
        # the other persona's names are unknown filters: `all`
        ("paused", True, False, True),
        ("resumed", True, True, True),
        ("stopped", False, False, True),
        ("running", False, True, True),
        # unknown or absent: all
        ("no-such-filter", False, True, True),
        (None, True, False, True),
        ("", False, True, True),
    ],
)
def test_stopped_and_running_filters_per_persona(name, stop_vocabulary, stopped, matches):
    torrent = view(facts={"stopped": stopped, "finished": True})
    assert filter_predicate(name, stop_vocabulary)(torrent, "stalledUP") is matches
