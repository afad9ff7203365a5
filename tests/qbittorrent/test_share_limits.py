"""Share limits as qBittorrent's `SessionImpl::processShareLimits` applies them to a seeding
torrent: ratio first, then seeding time, then inactive seeding time (limits in minutes, times in
seconds). The limits here are the effective ones (`max_*`): -1 is none, and -2 (use the global
limit) has been resolved before; a limit still below 0 is none."""

from __future__ import annotations

import pytest

from tests.qbittorrent.views import ADDED, view
from torrentstack.qbittorrent.share_limits import share_limit_reached

NOW = ADDED + 10 * 3600  # ten hours after the sample torrent was added and completed
NONE = {"max_ratio": -1, "max_seeding_time": -1, "max_inactive_seeding_time": -1}

# (view changes, limit reached or None); the sample has 300000 bytes and downloaded nothing
CASES = [
    # no limits: nothing is ever reached
    ({}, None),
    ({"uploaded": 10**12, "seeding_time": 10**6, "last_activity": 0}, None),
    ({"max_ratio": -2, "max_seeding_time": -2, "max_inactive_seeding_time": -2,
      "uploaded": 10**9, "seeding_time": 10**6}, None),
    # ratio: reached at the limit (uploaded / the 300000 bytes it holds)
    ({"max_ratio": 1.0, "uploaded": 299999}, None),
    ({"max_ratio": 1.0, "uploaded": 300000}, "ratio"),
    ({"max_ratio": 2.5, "uploaded": 750000}, "ratio"),
    ({"max_ratio": 2.5, "uploaded": 749999}, None),
    ({"max_ratio": 0, "uploaded": 0}, "ratio"),  # 0: as soon as it seeds
    ({"max_ratio": 1.5, "uploaded": 150, "downloaded": 100, "completed": 100}, "ratio"),
    ({"max_ratio": 1.6, "uploaded": 150, "downloaded": 100, "completed": 100}, None),
    # ... an infinite ratio (uploaded, nothing downloaded nor held) reaches any limit
    ({"max_ratio": 9999, "uploaded": 1, "downloaded": 0, "completed": 0}, "ratio"),
    # seeding time: limit in minutes, seeding time in seconds
    ({"max_seeding_time": 60, "seeding_time": 3599}, None),
    ({"max_seeding_time": 60, "seeding_time": 3600}, "seeding time"),
    ({"max_seeding_time": 0, "seeding_time": 0}, "seeding time"),
    ({"max_seeding_time": 1440, "seeding_time": 86400 + 30}, "seeding time"),
    # inactive seeding time: minutes since the latest of last activity, completion and adding
    # (the view's stand-in for libtorrent's time since upload/download)
    ({"max_inactive_seeding_time": 30, "last_activity": NOW - 1799}, None),
    ({"max_inactive_seeding_time": 30, "last_activity": NOW - 1800}, "inactive seeding time"),
    ({"max_inactive_seeding_time": 30, "last_activity": 0, "completion_on": NOW - 600,
      "added_on": NOW - 7200}, None),
    ({"max_inactive_seeding_time": 30, "last_activity": 0, "completion_on": 0,
      "added_on": NOW - 1800}, "inactive seeding time"),
    # the first limit in qBittorrent's order names what was reached
    ({"max_ratio": 1.0, "uploaded": 300000, "max_seeding_time": 1, "seeding_time": 60},
     "ratio"),
    ({"max_ratio": 1.0, "uploaded": 0, "max_seeding_time": 1, "seeding_time": 60,
      "max_inactive_seeding_time": 0}, "seeding time"),
    ({"max_ratio": 5.0, "uploaded": 0, "max_seeding_time": 600, "seeding_time": 60,
      "max_inactive_seeding_time": 60, "last_activity": NOW - 3600}, "inactive seeding time"),
]  # fmt: skip


@pytest.mark.parametrize(("changes", "reached"), CASES)
def test_share_limits(changes, reached):
    assert share_limit_reached(view(**{**NONE, **changes}), NOW) == reached
