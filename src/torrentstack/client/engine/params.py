"""Going into libtorrent: parsed torrents and magnets, add parameters, layouts, piece
priorities, the settings pack, the IP filter; out to files: resume data, .torrent export."""

from __future__ import annotations

import logging
import os
import urllib.parse
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import libtorrent as lt

from torrentstack.client.engine.messages import (
    AddOptions,
    ContentLayout,
    EngineError,
    FilePriority,
    ProxyType,
    QueueMove,
    SessionConfig,
    Source,
    TorrentFlag,
)
from torrentstack.client.engine.reading import metadata_of
from torrentstack.client.status import Metadata

logger = logging.getLogger(__name__)

TORRENT_FLAGS = {
    TorrentFlag.SEQUENTIAL_DOWNLOAD: lt.torrent_flags.sequential_download,
    TorrentFlag.SUPER_SEEDING: lt.torrent_flags.super_seeding,
}
QUEUE_MOVES = {  # the torrent_handle method for each
    QueueMove.TOP: "queue_position_top",
    QueueMove.BOTTOM: "queue_position_bottom",
    QueueMove.UP: "queue_position_up",
    QueueMove.DOWN: "queue_position_down",
}
_PROXY_TYPES = {
    ProxyType.NONE: lt.proxy_type_t.none,
    ProxyType.SOCKS4: lt.proxy_type_t.socks4,
    ProxyType.SOCKS5: lt.proxy_type_t.socks5,
    ProxyType.SOCKS5_PW: lt.proxy_type_t.socks5_pw,
    ProxyType.HTTP: lt.proxy_type_t.http,
    ProxyType.HTTP_PW: lt.proxy_type_t.http_pw,
}

_ALERTS = (
    lt.alert_category.error
    | lt.alert_category.status
    | lt.alert_category.storage
    | lt.alert_category.file_progress
)


def parse_torrent(data: bytes) -> Metadata:
    """Parse a .torrent file as libtorrent does; EngineError when it is not one."""
    params = load_torrent(data)
    trackers = list(zip(params.trackers, params.tracker_tiers, strict=False))
    return metadata_of(params.ti, trackers, params.url_seeds, params=params)


def load_torrent(data: bytes) -> Any:
    """libtorrent's add_torrent_params of a .torrent file (ti, trackers, web seeds)."""
    try:
        params = lt.load_torrent_buffer(data)
    except RuntimeError as exc:
        raise EngineError(str(exc)) from None
    if params.ti is None:
        raise EngineError("not a torrent file")
    return params


def add_params(source: Source, options: AddOptions) -> Any:
    if source.resume:
        try:
            params = lt.read_resume_data(source.resume)
        except RuntimeError as exc:
            raise EngineError(f"unreadable resume data: {exc}") from None
    elif source.torrent:
        params = load_torrent(source.torrent)
        params.save_path = options.save_path
    else:
        try:
            params = lt.parse_magnet_uri(source.magnet)
        except RuntimeError as exc:
            raise EngineError(f"invalid magnet URI: {exc}") from None
        params.save_path = options.save_path
        if options.name:
            params.name = options.name
        else:
            _text_name(params, source.magnet)
    if not source.resume:
        if options.file_priorities:
            params.file_priorities = [lt_priority(p) for p in options.file_priorities]
        if params.ti is not None:
            _apply_layout(params, options.layout)
        params.upload_limit = options.upload_limit or -1
        params.download_limit = options.download_limit or -1
    flags = params.flags
    flags &= ~(lt.torrent_flags.paused | lt.torrent_flags.auto_managed)
    flags &= ~(lt.torrent_flags.seed_mode | lt.torrent_flags.duplicate_is_error)
    if options.stopped:
        flags |= lt.torrent_flags.paused
    elif not options.forced:
        flags |= lt.torrent_flags.auto_managed
    if options.skip_checking and not source.resume:
        flags |= lt.torrent_flags.seed_mode
    if options.sequential:
        flags |= lt.torrent_flags.sequential_download
    params.flags = flags
    return params


def _apply_layout(params: Any, layout: ContentLayout) -> None:
    if layout is ContentLayout.NO_SUBFOLDER:
        _relayout(params, "")
    elif layout is ContentLayout.SUBFOLDER and params.ti.num_files() == 1:
        name = params.ti.name()
        _relayout(params, os.path.splitext(name)[0] or name)
    # a torrent of several files has its root folder already


def _relayout(params: Any, root: str) -> None:
    """No root folder (""), or the files under the folder `root`."""
    files = params.ti.layout()
    paths = [files.file_path(i).replace("\\", "/") for i in range(files.num_files())]
    has_root = all("/" in p for p in paths) and len({p.split("/", 1)[0] for p in paths}) == 1
    inner = [p.split("/", 1)[1] if has_root else p for p in paths]
    params.renamed_files = {i: "/".join([root, p]) if root else p for i, p in enumerate(inner)}


def lt_priority(priority: FilePriority) -> int:
    """libtorrent's number for a priority: qBittorrent's "normal" is 1, libtorrent's 4."""
    return 4 if priority is FilePriority.NORMAL else int(priority)


def file_priority(value: int) -> FilePriority:
    """A libtorrent priority (0-7) as qBittorrent shows it: 1-5 are all "normal"."""
    return FilePriority(value) if value in (0, 6, 7) else FilePriority.NORMAL


def first_last_priority(handle: Any, on: bool) -> None:
    info = handle.torrent_file()
    if info is None:
        return
    files = info.layout()
    piece = info.piece_length()
    priorities = list(handle.get_piece_priorities())
    wanted = list(handle.get_file_priorities())
    for index in range(files.num_files()):
        size = files.file_size(index)
        if size == 0 or wanted[index] == 0:
            continue
        offset = files.file_offset(index)
        for p in {offset // piece, (offset + size - 1) // piece}:
            priorities[p] = 7 if on else max(wanted[index], 1)
    handle.prioritize_pieces(priorities)


def settings_pack(config: SessionConfig) -> dict[str, Any]:
    encryption = {0: lt.enc_policy.enabled, 1: lt.enc_policy.forced, 2: lt.enc_policy.disabled}
    policy = encryption.get(config.encryption, lt.enc_policy.enabled)
    active = -1 if not config.queueing else None
    return {
        "listen_interfaces": config.listen_interfaces,
        "outgoing_interfaces": config.outgoing_interfaces,
        "enable_dht": config.dht,
        "enable_lsd": config.lsd,
        "enable_upnp": config.upnp,
        "enable_natpmp": config.upnp,
        "out_enc_policy": policy,
        "in_enc_policy": policy,
        "anonymous_mode": config.anonymous_mode,
        "download_rate_limit": config.download_rate_limit,
        "upload_rate_limit": config.upload_rate_limit,
        "active_downloads": active if active is not None else config.max_active_downloads,
        "active_seeds": active if active is not None else config.max_active_uploads,
        "active_limit": active if active is not None else config.max_active_torrents,
        "dont_count_slow_torrents": config.dont_count_slow_torrents,
        "connections_limit": config.max_connections,
        "unchoke_slots_limit": config.max_uploads,
        "proxy_type": int(_PROXY_TYPES[config.proxy_type]),
        "proxy_hostname": config.proxy_hostname,
        "proxy_port": config.proxy_port,
        "proxy_username": config.proxy_username,
        "proxy_password": config.proxy_password,
        "proxy_peer_connections": config.proxy_peer_connections,
        "proxy_hostnames": config.proxy_hostnames,
        "announce_to_all_trackers": config.announce_to_all_trackers,
        "announce_to_all_tiers": config.announce_to_all_tiers,
        "user_agent": config.user_agent,
        "peer_fingerprint": config.peer_fingerprint,
        "allow_multiple_connections_per_ip": config.allow_multiple_connections_per_ip,
        "alert_mask": _ALERTS,
        "alert_queue_size": 100000,
    }


def torrent_file(handle: Any) -> bytes:
    """The .torrent file of a torrent as it is now (its current trackers and web seeds)."""
    info = handle.torrent_file()
    if info is None:
        raise EngineError("no metadata yet")
    params = lt.add_torrent_params()
    params.ti = info
    trackers = handle.trackers()
    params.trackers = [t["url"] for t in trackers]
    params.tracker_tiers = [t["tier"] for t in trackers]
    params.url_seeds = list(handle.url_seeds())
    return bytes(lt.bencode(lt.write_torrent_file(params, 0)))  # type: ignore[arg-type]


def ip_filter(banned: Sequence[str]) -> Any:
    """The session's IP filter: these addresses blocked, everything else allowed."""
    rules = lt.ip_filter()
    for ip in banned:
        try:
            rules.add_rule(ip, ip, 1)
        except (RuntimeError, ValueError):
            logger.warning("banned IP %r is not an address", ip)
    return rules


def write_resume(target: Path, params: Any) -> None:
    """Replace `target` atomically with the resume data in `params` (a kill keeps the old)."""
    partial = target.with_suffix(".tmp")
    partial.write_bytes(bytes(lt.write_resume_data_buf(params)))
    os.replace(partial, target)


def _text_name(params: Any, magnet: str) -> None:
    """A magnet's `dn` that is not UTF-8 would make every read of the name fail (the binding
    decodes strictly): give libtorrent the name decoded with replacement characters instead."""
    try:
        params.name  # noqa: B018 - reading it is the check
    except UnicodeDecodeError:
        query = urllib.parse.urlsplit(magnet).query
        raw = next(
            (
                value
                for key, value in urllib.parse.parse_qsl(query, encoding="latin-1")
                if key == "dn"
            ),
            "",
        )
        params.name = raw.encode("latin-1").decode("utf-8", "replace")
