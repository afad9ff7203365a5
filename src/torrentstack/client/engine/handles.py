"""What the engine does to torrents: functions over libtorrent's `torrent_handle`s, called on
the engine thread only (`session.Engine` submits them as commands)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import libtorrent as lt

from torrentstack.client.engine.messages import EngineError, FilePriority
from torrentstack.client.engine.params import file_priority, lt_priority
from torrentstack.client.engine.reading import hex_digest

SAVE_FLAGS = lt.torrent_handle.save_info_dict | lt.torrent_handle.flush_disk_cache


@dataclass(slots=True)
class Torrent:
    """A torrent in the session: its handle and what the engine remembers of it."""

    handle: Any
    metadata_sent: bool = False
    stopped: bool = False
    # the file priorities last set: libtorrent applies prioritize_files later, and reading
    # them back at once gives the old ones
    priorities: list[int] | None = None


def stop(torrents: Iterable[Torrent]) -> None:
    """qBittorrent's pause/stop: not auto-managed and paused."""
    for torrent in torrents:
        torrent.stopped = True
        torrent.handle.unset_flags(lt.torrent_flags.auto_managed)
        torrent.handle.pause()
        torrent.handle.save_resume_data(SAVE_FLAGS)


def start(torrents: Iterable[Torrent], forced: bool) -> None:
    """qBittorrent's resume/start (auto-managed) or force start (not auto-managed)."""
    for torrent in torrents:
        torrent.stopped = False
        if forced:
            torrent.handle.unset_flags(lt.torrent_flags.auto_managed)
        else:
            torrent.handle.set_flags(lt.torrent_flags.auto_managed)
        torrent.handle.resume()
        torrent.handle.save_resume_data(SAVE_FLAGS)


def recheck(torrents: Iterable[Torrent]) -> None:
    """Check the data again; a stopped torrent runs for the check and stops after it."""
    for torrent in torrents:
        torrent.handle.force_recheck()
        if torrent.stopped:
            torrent.handle.resume()


def set_limits(torrents: Iterable[Torrent], download: int | None, upload: int | None) -> None:
    for torrent in torrents:
        if download is not None:
            torrent.handle.set_download_limit(max(download, 0) or -1)
        if upload is not None:
            torrent.handle.set_upload_limit(max(upload, 0) or -1)


def connect_peers(
    torrents: dict[str, Torrent], hashes: Sequence[str], peers: Sequence[tuple[str, int]]
) -> dict[str, int]:
    """Connect each torrent to the peers; the number each one took."""
    added: dict[str, int] = {}
    for hash_ in hashes:
        if (torrent := torrents.get(hash_)) is None:
            continue
        added[hash_] = 0
        for ip, port in peers:
            try:
                torrent.handle.connect_peer((ip, port))
            except RuntimeError:
                continue
            added[hash_] += 1
    return added


def file_priorities(
    torrent: Torrent, changes: dict[int, FilePriority] | None
) -> list[FilePriority]:
    """Set priorities of some files (by index) and return all of them."""
    known = torrent.priorities
    priorities = list(known if known is not None else torrent.handle.get_file_priorities())
    for index, priority in (changes or {}).items():
        if not 0 <= index < len(priorities):
            raise EngineError(f"no file {index}")
        priorities[index] = lt_priority(priority)
    if changes:
        torrent.handle.prioritize_files(priorities)
        torrent.priorities = priorities
    return [file_priority(p) for p in priorities]


def pieces(handle: Any) -> tuple[list[bool], set[int]]:
    """Pieces we have, and pieces being downloaded."""
    have = list(handle.status(lt.status_flags_t.query_pieces).pieces)
    downloading = {d["piece_index"] for d in handle.get_download_queue()}
    return have, downloading


def piece_hashes(handle: Any) -> list[str]:
    info = handle.torrent_file()
    if info is None:
        return []  # no metadata yet
    return [hex_digest(info.hash_for_piece(i)) for i in range(info.num_pieces())]


def rename_file(handle: Any, index: int, new_path: str) -> None:
    info = handle.torrent_file()
    if info is None or not 0 <= index < info.num_files():
        raise EngineError(f"no file {index}")
    handle.rename_file(index, new_path)


def replace_trackers(handle: Any, entries: Sequence[tuple[str, int]]) -> None:
    announce = []
    for url, tier in entries:
        entry = lt.announce_entry(url)
        entry.tier = tier
        announce.append(entry)
    handle.replace_trackers(announce)
    handle.save_resume_data(SAVE_FLAGS)


def web_seeds(handle: Any, add: Sequence[str], remove: Sequence[str]) -> list[str]:
    for url in add:
        handle.add_url_seed(url)
    for url in remove:
        handle.remove_url_seed(url)
    if add or remove:
        handle.save_resume_data(SAVE_FLAGS)
    return sorted(handle.url_seeds())
