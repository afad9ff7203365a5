"""Torrents as qBittorrent's JSON shows them: `torrents/info` / `sync/maindata` objects,
`torrents/properties`, `torrents/files` (see `serialize_torrent.cpp` and the 4.5.2 samples).

4.6 sends the 4.5 keys plus the inactive-seeding-time pair and 0 for unknown times; 5.x adds
`root_path`, `popularity`, `reannounce`, `comment`, `private`, `has_metadata`, spells stopped
states `stopped*`, and uses -1 for unknown times.
"""

from __future__ import annotations

from typing import Any

from torrentstack.qbittorrent.models import MAX_RATIO, FileView, TorrentView
from torrentstack.qbittorrent.persona import Persona
from torrentstack.qbittorrent.states import compute_state, state_name


def ratio(view: TorrentView) -> float:
    """qBittorrent's `realRatio`, capped at 9999; -1 when the cap is exceeded (infinite)."""
    upload = view.uploaded
    download = view.completed if view.downloaded < view.completed * 0.01 else view.downloaded
    if download == 0:
        return 0.0 if upload == 0 else -1.0
    value = upload / download
    return -1.0 if value > MAX_RATIO else value


def _time(value: int, persona: Persona) -> int:
    if value > 0:
        return value
    return -1 if persona.stop_vocabulary else 0


def torrent_object(view: TorrentView, persona: Persona) -> dict[str, Any]:
    """One torrent of `torrents/info` (with `hash`) in the persona's shape."""
    state = compute_state(view.facts)
    body: dict[str, Any] = {
        "added_on": view.added_on,
        "amount_left": max(view.size - view.completed, 0),
        "auto_tmm": view.auto_tmm,
        "availability": view.availability,
        "category": view.category,
        "completed": view.completed,
        "completion_on": _time(view.completion_on, persona),
        "content_path": view.content_path,
        "dl_limit": view.dl_limit,
        "dlspeed": view.dlspeed,
        "download_path": view.download_path,
        "downloaded": view.downloaded,
        "downloaded_session": view.downloaded_session,
        "eta": eta(view, state),
        "f_l_piece_prio": view.f_l_piece_prio,
        "force_start": view.force_start,
        "hash": view.hash,
        "inactive_seeding_time_limit": view.inactive_seeding_time_limit,
        "infohash_v1": view.infohash_v1,
        "infohash_v2": view.infohash_v2,
        "last_activity": view.last_activity,
        "magnet_uri": view.magnet_uri,
        "max_inactive_seeding_time": view.max_inactive_seeding_time,
        "max_ratio": view.max_ratio,
        "max_seeding_time": view.max_seeding_time,
        "name": view.name,
        "num_complete": view.num_complete,
        "num_incomplete": view.num_incomplete,
        "num_leechs": view.num_leechs,
        "num_seeds": view.num_seeds,
        "priority": view.queue_position,
        "progress": view.progress,
        "ratio": ratio(view),
        "ratio_limit": view.ratio_limit,
        "save_path": view.save_path,
        "seeding_time": view.seeding_time,
        "seeding_time_limit": view.seeding_time_limit,
        "seen_complete": _time(view.seen_complete, persona),
        "seq_dl": view.seq_dl,
        "size": view.size,
        "state": state_name(state, persona.stop_vocabulary),
        "super_seeding": view.super_seeding,
        "tags": ", ".join(view.tags),
        "time_active": view.time_active,
        "total_size": view.total_size,
        "tracker": view.tracker,
        "trackers_count": view.trackers_count,
        "up_limit": view.up_limit,
        "uploaded": view.uploaded,
        "uploaded_session": view.uploaded_session,
        "upspeed": view.upspeed,
    }
    if persona.stop_vocabulary:
        body["comment"] = view.comment
        body["has_metadata"] = view.has_metadata
        body["popularity"] = view.popularity
        body["private"] = view.private
        body["reannounce"] = view.reannounce
        body["root_path"] = view.root_path
    return body


def eta(view: TorrentView, state: str) -> int:
    """Seconds left downloading at the current rate; 8640000 when unknown or infinite."""
    from torrentstack.qbittorrent.models import MAX_ETA

    if view.facts.stopped or state.startswith(("queued", "checking", "paused")):
        return MAX_ETA
    left = view.size - view.completed
    if left <= 0 or view.dlspeed <= 0:
        return MAX_ETA
    return min(left // view.dlspeed, MAX_ETA)


def properties(view: TorrentView, persona: Persona) -> dict[str, Any]:
    """`torrents/properties` (39 keys on 4.x; 5.x adds popularity, private, has_metadata ...)."""
    state = compute_state(view.facts)
    known = view.has_metadata
    body: dict[str, Any] = {
        "addition_date": view.added_on,
        "comment": view.comment,
        "completion_date": view.completion_on if view.completion_on > 0 else -1,
        "created_by": view.created_by,
        "creation_date": view.creation_date
        if known and view.creation_date > 0
        else (0 if known else -1),
        "dl_limit": view.dl_limit or -1,
        "dl_speed": view.dlspeed,
        "dl_speed_avg": view.dl_speed_avg,
        "download_path": view.download_path,
        "eta": eta(view, state),
        "hash": view.hash,
        "infohash_v1": view.infohash_v1,
        "infohash_v2": view.infohash_v2,
        "is_private": bool(view.private),
        "last_seen": view.last_seen,
        "name": view.name,
        "nb_connections": view.connections,
        "nb_connections_limit": view.connections_limit,
        "peers": max(view.num_leechs, 0),
        "peers_total": view.peers_total,
        "piece_size": view.piece_size if known else -1,
        "pieces_have": view.pieces_have,
        "pieces_num": view.pieces_num if known else -1,
        "reannounce": view.reannounce,
        "save_path": view.save_path,
        "seeding_time": view.seeding_time,
        "seeds": view.num_seeds,
        "seeds_total": view.seeds_total,
        "share_ratio": ratio(view),
        "time_elapsed": view.time_active,
        "total_downloaded": view.downloaded,
        "total_downloaded_session": view.downloaded_session,
        "total_size": view.total_size,
        "total_uploaded": view.uploaded,
        "total_uploaded_session": view.uploaded_session,
        "total_wasted": view.total_wasted,
        "up_limit": view.up_limit or -1,
        "up_speed": view.upspeed,
        "up_speed_avg": view.up_speed_avg,
    }
    if persona.stop_vocabulary:
        body["has_metadata"] = view.has_metadata
        body["popularity"] = view.popularity
        body["private"] = view.private
        body["progress"] = view.progress
    return body


def file_objects(files: list[FileView], is_seed: bool) -> list[dict[str, Any]]:
    """`torrents/files`; `is_seed` rides on the first entry only, as in qBittorrent."""
    out: list[dict[str, Any]] = []
    for f in files:
        item: dict[str, Any] = {
            "availability": f.availability,
            "index": f.index,
            "name": f.name,
            "piece_range": [f.first_piece, f.last_piece],
            "priority": f.priority,
            "progress": f.progress,
            "size": f.size,
        }
        if not out:
            item["is_seed"] = is_seed
        out.append(item)
    return out
