"""What the engine reports about torrents, copied out of libtorrent into plain frozen values.

Nothing here refers to libtorrent: the engine thread builds these from its alerts and status
queries, and everything else (backend, API) reads only them.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Phase(Enum):
    """libtorrent's `torrent_status.state`, by name."""

    CHECKING_FILES = "checking_files"
    DOWNLOADING_METADATA = "downloading_metadata"
    DOWNLOADING = "downloading"
    FINISHED = "finished"
    SEEDING = "seeding"
    CHECKING_RESUME_DATA = "checking_resume_data"


@dataclass(frozen=True, slots=True)
class FileEntry:
    index: int  # libtorrent's file index (padding files count there; not in `Metadata.files`)
    path: str  # "/"-joined, including the torrent's root folder
    size: int
    first_piece: int
    last_piece: int


@dataclass(frozen=True, slots=True)
class Metadata:
    """The info dictionary's facts, once known (at once for a .torrent, later for a magnet)."""

    name: str
    total_size: int
    piece_size: int
    num_pieces: int
    files: tuple[FileEntry, ...]
    comment: str
    created_by: str
    creation_date: int  # 0 when absent
    private: bool
    trackers: tuple[tuple[str, int], ...]  # (url, tier) from the metainfo
    web_seeds: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class TorrentStatus:
    """One copy of libtorrent's `torrent_status` (only what the API needs)."""

    hash: str  # qBittorrent's torrent id: the v1 hash, else the v2 hash cut to 40 hex digits
    info_hash_v1: str  # "" when the torrent is v2-only
    info_hash_v2: str  # "" when the torrent is v1-only
    name: str
    phase: Phase
    has_metadata: bool
    paused: bool
    auto_managed: bool
    upload_mode: bool
    sequential_download: bool
    super_seeding: bool
    error: str  # "" when none
    moving_storage: bool
    progress: float  # libtorrent's (checking progress while checking)
    total_wanted: int
    total_wanted_done: int
    total_done: int
    total: int
    all_time_download: int
    all_time_upload: int
    total_payload_download: int  # this session
    total_payload_upload: int
    total_wasted: int  # failed + redundant bytes
    download_payload_rate: int
    upload_payload_rate: int
    num_seeds: int  # connected
    num_peers: int  # connected, seeds included
    list_seeds: int  # known to the torrent
    list_peers: int
    num_complete: int  # from the tracker; -1 unknown
    num_incomplete: int
    connections_limit: int
    num_connections: int
    active_duration: int  # seconds
    seeding_duration: int
    finished_duration: int
    added_time: int  # epoch seconds
    completed_time: int  # 0: not completed
    last_seen_complete: int
    last_download: int  # epoch seconds, 0: never
    last_upload: int
    queue_position: int  # -1: not queued
    save_path: str
    current_tracker: str
    distributed_copies: float  # -1: not applicable
    num_pieces: int  # pieces we have
    next_announce: int  # seconds
    is_finished: bool
    is_seeding: bool


@dataclass(frozen=True, slots=True)
class PeerInfo:
    ip: str
    port: int
    client: str
    connection: str  # "BT" or "uTP"
    flags: str
    country_code: str
    progress: float
    dl_speed: int
    up_speed: int
    downloaded: int
    uploaded: int
    relevance: float
    files: str


@dataclass(frozen=True, slots=True)
class TrackerEntry:
    url: str
    tier: int
    status: int  # qBittorrent's: 0 disabled, 1 not contacted, 2 working, 3 updating, 4 not working
    num_peers: int
    num_seeds: int
    num_leeches: int
    num_downloaded: int
    message: str


@dataclass(frozen=True, slots=True)
class SessionTotals:
    """Session-wide counters for `transfer/info` and `server_state`."""

    dl_rate: int
    ul_rate: int
    downloaded: int  # payload bytes this session
    uploaded: int
    wasted: int
    dht_nodes: int
    connections: int
    has_incoming: bool
    listening: bool
