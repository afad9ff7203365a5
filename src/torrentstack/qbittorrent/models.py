"""What a backend tells the API about a torrent: `TorrentView`, in qBittorrent's terms.

The client builds these from libtorrent's status and its own options; the debrid bridge will
build them from its providers. Serialising them is `serialize`'s job, choosing them `filters`'.
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_ETA = 8640000
MAX_RATIO = 9999.0


@dataclass(frozen=True, slots=True)
class StateFacts:
    """The inputs of qBittorrent's `TorrentImpl::updateState`, in its order of precedence."""

    checking_resume_data: bool = False
    moving: bool = False
    missing_files: bool = False
    error: bool = False
    upload_mode: bool = False
    has_metadata: bool = True
    stopped: bool = False
    queued: bool = False
    forced: bool = False
    checking: bool = False
    finished: bool = False  # libtorrent finished or seeding
    has_finished_before: bool = False  # for checkingUP vs checkingDL
    upload_rate: int = 0
    download_rate: int = 0


@dataclass(frozen=True, slots=True)
class FileView:
    index: int
    name: str
    size: int
    progress: float
    priority: int
    first_piece: int
    last_piece: int
    availability: float


@dataclass(frozen=True, slots=True)
class TorrentView:
    hash: str
    infohash_v1: str
    infohash_v2: str
    name: str
    magnet_uri: str
    facts: StateFacts
    has_metadata: bool
    size: int  # wanted bytes
    total_size: int  # -1 without metadata
    progress: float
    completed: int  # wanted bytes done
    downloaded: int  # all time
    uploaded: int
    downloaded_session: int
    uploaded_session: int
    dlspeed: int
    upspeed: int
    dl_limit: int  # 0: unlimited
    up_limit: int
    queue_position: int  # 1-based; 0 when not queued
    num_seeds: int
    num_complete: int
    num_leechs: int
    num_incomplete: int
    ratio_limit: float  # -2 global, -1 none
    seeding_time_limit: int  # minutes; -2 global, -1 none
    inactive_seeding_time_limit: int
    max_ratio: float  # the effective limit, -1 none
    max_seeding_time: int
    max_inactive_seeding_time: int
    seq_dl: bool
    f_l_piece_prio: bool
    super_seeding: bool
    force_start: bool
    auto_tmm: bool
    category: str
    tags: tuple[str, ...]
    save_path: str
    download_path: str
    content_path: str
    root_path: str
    added_on: int
    completion_on: int  # 0: never
    seen_complete: int
    last_activity: int
    time_active: int
    seeding_time: int
    tracker: str
    trackers_count: int
    availability: float  # -1 when not applicable
    comment: str
    private: bool | None  # None without metadata
    popularity: float
    reannounce: int
    total_wasted: int
    connections: int
    connections_limit: int
    seeds_total: int
    peers_total: int
    pieces_have: int
    pieces_num: int  # -1 without metadata
    piece_size: int
    created_by: str
    creation_date: int  # -1 unknown
    dl_speed_avg: int
    up_speed_avg: int
    last_seen: int  # -1 unknown
