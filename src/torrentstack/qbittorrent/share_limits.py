"""Share limits as qBittorrent applies them to a seeding torrent: ratio, seeding time and
inactive seeding time (minutes); the action comes from the `max_ratio_act` preference."""

from __future__ import annotations

from torrentstack.qbittorrent.models import TorrentView
from torrentstack.qbittorrent.serialize import ratio

# qBittorrent's MaxRatioAction
SHARE_LIMIT_PAUSE = 0
SHARE_LIMIT_REMOVE = 1
SHARE_LIMIT_SUPER_SEEDING = 2
SHARE_LIMIT_DELETE_FILES = 3


def share_limit_reached(view: TorrentView, now: float) -> str | None:
    """Which limit a seeding torrent has reached ("ratio", "seeding time" ...), or None.

    A limit below 0 is none (-1) or was resolved to the global one already (`max_*`).
    """
    if view.max_ratio >= 0:
        current = ratio(view)
        if current < 0 or current >= view.max_ratio:  # -1: infinite
            return "ratio"
    if view.max_seeding_time >= 0 and view.seeding_time >= view.max_seeding_time * 60:
        return "seeding time"
    if view.max_inactive_seeding_time >= 0:
        idle = now - max(view.last_activity, view.completion_on, view.added_on)
        if idle >= view.max_inactive_seeding_time * 60:
            return "inactive seeding time"
    return None
