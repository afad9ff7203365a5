"""A torrent as the client backend keeps it: its source, its options, the engine's last word.

`TorrentRecord.view()` turns that into the API's `TorrentView`; the options are what the store
persists (with the source) so a restart gets every torrent back as it was.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field, fields
from typing import Any
from urllib.parse import quote

from torrentstack.client.status import Metadata, Phase, TorrentStatus
from torrentstack.qbittorrent.models import FileView, StateFacts, TorrentView


@dataclass(slots=True)
class Options:
    """Per-torrent settings of qBittorrent's that libtorrent does not keep for us."""

    added_on: int = 0
    name: str = ""  # a rename; "" shows the torrent's own name
    category: str = ""
    tags: list[str] = field(default_factory=list)
    stopped: bool = False
    forced: bool = False
    auto_tmm: bool = False
    save_path: str = ""
    download_path: str = ""
    ratio_limit: float = -2.0
    seeding_time_limit: int = -2
    inactive_seeding_time_limit: int = -2
    dl_limit: int = 0
    up_limit: int = 0
    seq_dl: bool = False
    f_l_piece_prio: bool = False
    super_seeding: bool = False
    has_finished: bool = False

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Options:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


@dataclass(frozen=True, slots=True)
class Limits:
    """The global share limits (preferences) a torrent's -2 refers to."""

    ratio: float = -1.0
    seeding_time: int = -1
    inactive_seeding_time: int = -1


@dataclass(slots=True)
class TorrentRecord:
    hash: str
    torrent: bytes  # the .torrent file, b"" for a magnet
    magnet: str
    options: Options
    metadata: Metadata | None = None
    status: TorrentStatus | None = None
    trackers: set[str] = field(default_factory=set)
    file_progress: list[float] = field(default_factory=list)

    @property
    def display_name(self) -> str:
        if self.options.name:
            return self.options.name
        if self.metadata is not None:
            return self.metadata.name
        if self.status is not None and self.status.name:
            return self.status.name
        return self.hash

    def view(self, limits: Limits, queueing: bool) -> TorrentView:
        st = self.status
        md = self.metadata
        o = self.options
        has_metadata = md is not None
        stopped = o.stopped
        # before the engine's first word: a stopped torrent shows stopped, others load
        phase = st.phase if st else Phase.DOWNLOADING if stopped else Phase.CHECKING_RESUME_DATA
        queued = bool(queueing and st is not None and not stopped and st.auto_managed and st.paused)
        finished = phase in (Phase.FINISHED, Phase.SEEDING) or bool(st and st.is_finished)
        facts = StateFacts(
            checking_resume_data=phase is Phase.CHECKING_RESUME_DATA,
            moving=bool(st and st.moving_storage),
            error=bool(st and st.error),
            upload_mode=bool(st and st.upload_mode),
            has_metadata=has_metadata,
            stopped=stopped,
            queued=queued,
            forced=o.forced and not stopped,
            checking=phase is Phase.CHECKING_FILES,
            finished=finished,
            has_finished_before=o.has_finished,
            upload_rate=st.upload_payload_rate if st else 0,
            download_rate=st.download_payload_rate if st else 0,
        )
        wanted = st.total_wanted if st else (md.total_size if md else 0)
        done = st.total_wanted_done if st else 0
        if st and phase is Phase.CHECKING_FILES:
            progress = st.progress
        else:
            progress = done / wanted if wanted else (1.0 if finished and has_metadata else 0.0)
        save_path = o.save_path
        content_path, root_path = self._paths(st.save_path if st and st.save_path else save_path)
        ratio_limit = o.ratio_limit
        seeding_limit = o.seeding_time_limit
        inactive_limit = o.inactive_seeding_time_limit
        last_activity = max(st.last_download, st.last_upload) if st else 0
        return TorrentView(
            hash=self.hash,
            infohash_v1=st.info_hash_v1 if st else (self.hash if len(self.hash) == 40 else ""),
            infohash_v2=st.info_hash_v2 if st else "",
            name=self.display_name,
            magnet_uri=self.magnet_uri(),
            facts=facts,
            has_metadata=has_metadata,
            size=wanted,
            total_size=md.total_size if md else -1,
            progress=progress,
            completed=done,
            downloaded=st.all_time_download if st else 0,
            uploaded=st.all_time_upload if st else 0,
            downloaded_session=st.total_payload_download if st else 0,
            uploaded_session=st.total_payload_upload if st else 0,
            dlspeed=st.download_payload_rate if st else 0,
            upspeed=st.upload_payload_rate if st else 0,
            dl_limit=o.dl_limit,
            up_limit=o.up_limit,
            queue_position=(
                st.queue_position + 1 if st and queueing and st.queue_position >= 0 else 0
            ),
            num_seeds=st.num_seeds if st else 0,
            num_complete=_count(st.num_complete, st.list_seeds) if st else 0,
            num_leechs=(st.num_peers - st.num_seeds) if st else 0,
            num_incomplete=_count(st.num_incomplete, st.list_peers - st.list_seeds) if st else 0,
            ratio_limit=ratio_limit,
            seeding_time_limit=seeding_limit,
            inactive_seeding_time_limit=inactive_limit,
            max_ratio=limits.ratio if ratio_limit == -2 else ratio_limit,
            max_seeding_time=limits.seeding_time if seeding_limit == -2 else seeding_limit,
            max_inactive_seeding_time=(
                limits.inactive_seeding_time if inactive_limit == -2 else inactive_limit
            ),
            seq_dl=o.seq_dl,
            f_l_piece_prio=o.f_l_piece_prio,
            super_seeding=o.super_seeding,
            force_start=o.forced,
            auto_tmm=o.auto_tmm,
            category=o.category,
            tags=tuple(sorted(o.tags)),
            save_path=save_path,
            download_path=o.download_path,
            content_path=content_path,
            root_path=root_path,
            added_on=o.added_on or (st.added_time if st else 0),
            completion_on=st.completed_time if st else 0,
            seen_complete=st.last_seen_complete if st else 0,
            last_activity=last_activity or o.added_on,
            time_active=st.active_duration if st else 0,
            seeding_time=st.seeding_duration if st else 0,
            tracker=st.current_tracker if st else "",
            trackers_count=len(self.trackers),
            availability=(-1.0 if not st or finished else max(st.distributed_copies, 0.0)),
            comment=md.comment if md else "",
            private=md.private if md else None,
            popularity=0.0,
            reannounce=st.next_announce if st else 0,
            total_wasted=st.total_wasted if st else 0,
            connections=st.num_connections if st else 0,
            connections_limit=st.connections_limit if st and st.connections_limit > 0 else 100,
            seeds_total=_count(st.num_complete, st.list_seeds) if st else 0,
            peers_total=_count(st.num_incomplete, st.list_peers - st.list_seeds) if st else 0,
            pieces_have=st.num_pieces if st else 0,
            pieces_num=md.num_pieces if md else -1,
            piece_size=md.piece_size if md else -1,
            created_by=md.created_by if md else "",
            creation_date=md.creation_date if md else -1,
            dl_speed_avg=(st.all_time_download // st.active_duration)
            if st and st.active_duration
            else 0,
            up_speed_avg=(st.all_time_upload // st.active_duration)
            if st and st.active_duration
            else 0,
            last_seen=st.last_seen_complete if st and st.last_seen_complete > 0 else -1,
        )

    def _paths(self, save_path: str) -> tuple[str, str]:
        """(content_path, root_path): "" until the files are known."""
        md = self.metadata
        if md is None or not md.files:
            return "", ""
        first = md.files[0].path
        if len(md.files) == 1:
            return os.path.join(save_path, first), ""
        root = first.split("/", 1)[0]
        if all(f.path.startswith(root + "/") for f in md.files):
            path = os.path.join(save_path, root)
            return path, path
        return save_path, ""

    def magnet_uri(self) -> str:
        st = self.status
        v1 = st.info_hash_v1 if st else (self.hash if not self.torrent and not self.magnet else "")
        parts = []
        if self.magnet and not st:
            return self.magnet
        if v1:
            parts.append(f"xt=urn:btih:{v1}")
        if st and st.info_hash_v2:
            parts.append(f"xt=urn:btmh:1220{st.info_hash_v2}")
        if not parts:
            parts.append(f"xt=urn:btih:{self.hash}")
        parts.append(f"dn={quote(self.display_name, safe='')}")
        for url in sorted(self.trackers):
            parts.append(f"tr={quote(url, safe='')}")
        return "magnet:?" + "&".join(parts)

    def files(self, priorities: list[int], progress: list[int]) -> list[FileView]:
        md = self.metadata
        if md is None:
            return []
        out = []
        for position, entry in enumerate(md.files):  # the API's index: padding files skipped
            done = progress[entry.index] if entry.index < len(progress) else 0
            out.append(
                FileView(
                    index=position,
                    name=entry.path,
                    size=entry.size,
                    progress=(done / entry.size) if entry.size else 1.0,
                    priority=priorities[entry.index] if entry.index < len(priorities) else 1,
                    first_piece=entry.first_piece,
                    last_piece=entry.last_piece,
                    availability=0.0,
                )
            )
        return out


def _count(reported: int, known: int) -> int:
    """qBittorrent's totals: the tracker's scrape figure when it has one, else what we know."""
    return reported if reported >= 0 else max(known, 0)


def working_path(o: Options) -> str:
    """Where the data is written: the download path until the torrent first finished."""
    return o.download_path if o.download_path and not o.has_finished else o.save_path


def same_path(a: str, b: str) -> bool:
    return os.path.normpath(a) == os.path.normpath(b)
