"""Copying out of libtorrent: statuses, metadata, trackers, peers, ids, versions."""

from __future__ import annotations

import functools
import ssl
import struct
import zlib
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import libtorrent as lt

from torrentstack.client.status import (
    FileEntry,
    Metadata,
    PeerInfo,
    Phase,
    SessionTotals,
    TorrentStatus,
    TrackerEntry,
)

_PHASES = {
    lt.torrent_status.states.checking_files: Phase.CHECKING_FILES,
    lt.torrent_status.states.downloading_metadata: Phase.DOWNLOADING_METADATA,
    lt.torrent_status.states.downloading: Phase.DOWNLOADING,
    lt.torrent_status.states.finished: Phase.FINISHED,
    lt.torrent_status.states.seeding: Phase.SEEDING,
    lt.torrent_status.states.checking_resume_data: Phase.CHECKING_RESUME_DATA,
}


def library_versions() -> dict[str, str | int]:
    """What `app/buildInfo` reports: real versions of what we run on (no Qt, no Boost headers)."""
    openssl = ssl.OPENSSL_VERSION.split()[1] if ssl.OPENSSL_VERSION.startswith("OpenSSL ") else ""
    return {
        "bitness": struct.calcsize("P") * 8,
        "boost": "",
        "libtorrent": str(lt.__version__),
        "openssl": openssl,
        "qt": "",
        "zlib": zlib.ZLIB_VERSION,
    }


def hex_digest(digest: Any) -> str:
    return digest.hex() if isinstance(digest, bytes) else str(digest)


def torrent_id(hashes: Any) -> str:
    if hashes.has_v1():
        return str(hashes.v1)
    return str(hashes.v2)[:40]


def _hex_pair(hashes: Any) -> tuple[str, str]:
    v1 = str(hashes.v1) if hashes.has_v1() else ""
    v2 = str(hashes.v2) if hashes.has_v2() else ""
    return v1, v2


def handle_metadata(handle: Any) -> Metadata | None:
    info = handle.torrent_file()
    if info is None:
        return None
    trackers = [(t["url"], t["tier"]) for t in handle.trackers()]
    return metadata_of(info, trackers, handle.url_seeds())


def text(read: Callable[[], str]) -> str:
    """A string libtorrent hands over, or "" when it is not UTF-8 (the binding decodes strictly
    and raises): a name, comment or message from a torrent, a magnet or a peer."""
    try:
        return read()
    except UnicodeDecodeError:
        return ""


def metadata_of(
    info: Any,
    trackers: Sequence[tuple[str, int]],
    web_seeds: Iterable[str],
    renamed: dict[int, str] | None = None,
    params: Any = None,
) -> Metadata:
    """The facts of `info`; `params` (the add_torrent_params it came with) supplies the comment,
    creator and date, which libtorrent 2.1's loaders keep there and no longer in `info`."""
    files = info.layout()
    piece = info.piece_length()
    entries = []
    for index in range(files.num_files()):
        if files.file_flags(index) & lt.file_storage.flag_pad_file:
            continue  # BEP 47 padding: not a file to qBittorrent (its API indexes skip them)
        size = files.file_size(index)
        offset = files.file_offset(index)
        first = offset // piece if piece else 0
        last = (offset + max(size, 1) - 1) // piece if piece else 0
        path = (renamed or {}).get(index) or text(functools.partial(files.file_path, index))
        entries.append(FileEntry(index, path.replace("\\", "/"), size, first, last))
    return Metadata(
        name=text(info.name),
        total_size=info.total_size(),
        piece_size=piece,
        num_pieces=info.num_pieces(),
        files=tuple(entries),
        comment=text(info.comment) or (text(lambda: params.comment) if params else ""),
        created_by=text(info.creator) or (text(lambda: params.created_by) if params else ""),
        creation_date=int(info.creation_date() or (params.creation_date if params else 0) or 0),
        private=bool(info.priv()),
        trackers=tuple(trackers),
        web_seeds=tuple(web_seeds),
    )


def copy_status(st: Any) -> TorrentStatus:
    v1, v2 = _hex_pair(st.info_hashes)
    flags = st.flags
    return TorrentStatus(
        hash=v1 or v2[:40],
        info_hash_v1=v1,
        info_hash_v2=v2,
        name=text(lambda: st.name),
        phase=_PHASES.get(st.state, Phase.DOWNLOADING),
        has_metadata=st.has_metadata,
        paused=bool(flags & lt.torrent_flags.paused),
        auto_managed=bool(flags & lt.torrent_flags.auto_managed),
        upload_mode=bool(flags & lt.torrent_flags.upload_mode),
        sequential_download=bool(flags & lt.torrent_flags.sequential_download),
        super_seeding=bool(flags & lt.torrent_flags.super_seeding),
        error=text(st.errc.message) if st.errc.value() else "",
        moving_storage=st.moving_storage,
        progress=st.progress,
        total_wanted=st.total_wanted,
        total_wanted_done=st.total_wanted_done,
        total_done=st.total_done,
        total=st.total,
        all_time_download=st.all_time_download,
        all_time_upload=st.all_time_upload,
        total_payload_download=st.total_payload_download,
        total_payload_upload=st.total_payload_upload,
        total_wasted=st.total_failed_bytes + st.total_redundant_bytes,
        download_payload_rate=st.download_payload_rate,
        upload_payload_rate=st.upload_payload_rate,
        num_seeds=st.num_seeds,
        num_peers=st.num_peers,
        list_seeds=st.list_seeds,
        list_peers=st.list_peers,
        num_complete=st.num_complete,
        num_incomplete=st.num_incomplete,
        connections_limit=st.connections_limit,
        num_connections=st.num_connections,
        active_duration=int(st.active_duration.total_seconds()),
        seeding_duration=int(st.seeding_duration.total_seconds()),
        finished_duration=int(st.finished_duration.total_seconds()),
        added_time=int(st.added_time),
        completed_time=int(st.completed_time),
        last_seen_complete=int(st.last_seen_complete),
        last_download=_epoch(st.last_download),
        last_upload=_epoch(st.last_upload),
        queue_position=int(st.queue_position),
        save_path=text(lambda: st.save_path),
        current_tracker=text(lambda: st.current_tracker),
        distributed_copies=st.distributed_copies,
        num_pieces=st.num_pieces,
        next_announce=int(st.next_announce.total_seconds()),
        is_finished=st.is_finished,
        is_seeding=st.is_seeding,
    )


def _epoch(value: Any) -> int:
    """libtorrent time points come as datetime (or None when never)."""
    if value is None:
        return 0
    timestamp = getattr(value, "timestamp", None)
    return int(timestamp()) if timestamp else int(value)


_TRACKER_STATUS_WORKING = 2


def tracker_entry(entry: Any) -> TrackerEntry:
    endpoints = entry.get("endpoints", []) if isinstance(entry, dict) else []
    updating = any(
        h.get("updating")
        for e in endpoints
        for h in e.get("info_hashes", [])
        if isinstance(h, dict)
    )
    working = any(
        h.get("last_error", {}).get("value", 0) == 0 and h.get("start_sent")
        for e in endpoints
        for h in e.get("info_hashes", [])
        if isinstance(h, dict)
    )
    failed = any(
        h.get("fails", 0) > 0
        for e in endpoints
        for h in e.get("info_hashes", [])
        if isinstance(h, dict)
    )
    message = ""
    for e in endpoints:
        for h in e.get("info_hashes", []):
            if isinstance(h, dict) and h.get("message"):
                message = h["message"]
    status = 3 if updating else _TRACKER_STATUS_WORKING if working else 4 if failed else 1
    seeds = peers = downloaded = -1
    for e in endpoints:
        for h in e.get("info_hashes", []):
            if isinstance(h, dict):
                seeds = max(seeds, h.get("scrape_complete", -1))
                peers = max(peers, h.get("scrape_incomplete", -1))
                downloaded = max(downloaded, h.get("scrape_downloaded", -1))
    return TrackerEntry(
        url=entry["url"],
        tier=entry.get("tier", 0),
        status=status,
        num_peers=peers,
        num_seeds=seeds,
        num_leeches=peers,
        num_downloaded=downloaded,
        message=message,
    )


def peer_info(p: Any) -> PeerInfo:
    ip, port = p.ip
    utp = bool(p.flags & lt.peer_info.utp_socket) if hasattr(lt.peer_info, "utp_socket") else False
    return PeerInfo(
        ip=ip,
        port=port,
        client=p.client.decode("utf-8", "replace") if isinstance(p.client, bytes) else p.client,
        connection="μTP" if utp else "BT",
        flags="",
        country_code="",
        progress=p.progress,
        dl_speed=p.payload_down_speed,
        up_speed=p.payload_up_speed,
        downloaded=p.total_download,
        uploaded=p.total_upload,
        relevance=0.0,
        files="",
    )


def session_totals(
    counters: Any, previous: SessionTotals, elapsed: float, *, listening: bool
) -> SessionTotals:
    """Session-wide counters out of a `session_stats_alert`, rates since the previous one."""
    received = counters["net.recv_payload_bytes"]
    sent = counters["net.sent_payload_bytes"]
    return SessionTotals(
        dl_rate=int((received - previous.downloaded) / elapsed) if elapsed > 0 else 0,
        ul_rate=int((sent - previous.uploaded) / elapsed) if elapsed > 0 else 0,
        downloaded=received,
        uploaded=sent,
        wasted=counters["net.recv_redundant_bytes"] + counters["net.recv_failed_bytes"],
        dht_nodes=counters["dht.dht_nodes"],
        connections=counters["peer.num_peers_connected"],
        has_incoming=bool(counters["net.has_incoming_connections"]),
        listening=listening,
    )
