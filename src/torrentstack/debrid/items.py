"""An item: one torrent added through the bridge, where it is in its life, and how the
qBittorrent API shows it (`view`).

States: `queued` (waiting to be handed to a provider: no slot there, or a retry), `downloading`
(a provider has it and is fetching it), `delivering` (the provider has the files; the action is
making them appear), `completed` (shown as `pausedUP`, progress 1, `content_path` set),
`failed` (shown as `error`, with the reason) and `archived` (removed by its arr after import,
but its files stay in the WebDAV tree, where imported symlinks point).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime
from enum import StrEnum

from torrentstack.debrid.providers.base import RemoteFile
from torrentstack.qbittorrent.models import FileView, StateFacts, TorrentView

TRACKER = ""  # a debrid item has no tracker of ours


class ItemState(StrEnum):
    QUEUED = "queued"
    DOWNLOADING = "downloading"
    DELIVERING = "delivering"
    COMPLETED = "completed"
    FAILED = "failed"
    ARCHIVED = "archived"


ACTIVE = frozenset({ItemState.QUEUED, ItemState.DOWNLOADING, ItemState.DELIVERING})
ON_MOUNT = frozenset({ItemState.DELIVERING, ItemState.COMPLETED, ItemState.ARCHIVED})


@dataclass(slots=True)
class Item:
    hash: str
    name: str
    category: str
    action: str
    save_path: str  # <download_folder>/<category>
    added_on: datetime
    state: ItemState = ItemState.QUEUED
    tags: tuple[str, ...] = ()
    provider: str = ""  # the provider that has it; while not submitted, the one asked for ("": any)
    remote_id: str = ""  # empty until a provider took it
    uncached: bool = False
    callback_url: str = ""
    magnet: str = ""
    torrent: bytes | None = None
    size: int = 0
    progress: float = 0.0
    speed: int = 0
    seeders: int = 0
    files: tuple[RemoteFile, ...] = ()
    content_path: str = ""
    error: str = ""
    completed_on: datetime | None = None
    tried: list[str] = field(default_factory=list)  # providers that failed it (not stored)

    @property
    def finished(self) -> bool:
        return self.state is ItemState.COMPLETED

    @property
    def single_file(self) -> bool:
        """A torrent of one file named as the torrent: it appears as that file, not a folder."""
        return len(self.files) == 1 and self.files[0].path == self.name

    def relative(self, file: RemoteFile) -> str:
        """The file's path under the save path, as qBittorrent names it in `torrents/files`."""
        return file.path if self.single_file else f"{self.name}/{file.path}"

    def files_json(self) -> str:
        return json.dumps([asdict(f) for f in self.files])

    @staticmethod
    def files_from_json(text: str) -> tuple[RemoteFile, ...]:
        return tuple(RemoteFile(**entry) for entry in json.loads(text or "[]"))


def _facts(item: Item) -> StateFacts:
    state = item.state
    if state is ItemState.COMPLETED:
        return StateFacts(finished=True, has_finished_before=True, stopped=True)
    if state is ItemState.FAILED:
        return StateFacts(error=True)
    if state is ItemState.QUEUED:
        return StateFacts(queued=True)
    # downloading or delivering: "downloading" even while the service reports no speed (the
    # arrs treat stalledDL as a stall to act on; a debrid fetch is not a stalled swarm)
    return StateFacts(download_rate=max(item.speed, 1))


def view(item: Item) -> TorrentView:
    """How the qBittorrent API shows the item (fields Decypharr fills, the rest neutral)."""
    done = item.state is ItemState.COMPLETED
    progress = 1.0 if done else min(max(item.progress, 0.0), 0.999 if item.size else 0.0)
    completed = item.size if done else int(item.size * progress)
    added = int(item.added_on.timestamp())
    finished_at = int(item.completed_on.timestamp()) if item.completed_on else 0
    return TorrentView(
        hash=item.hash, infohash_v1=item.hash, infohash_v2="", name=item.name,
        magnet_uri=item.magnet or f"magnet:?xt=urn:btih:{item.hash}", facts=_facts(item),
        has_metadata=True, size=item.size, total_size=item.size, progress=progress,
        completed=completed, downloaded=completed, uploaded=0, downloaded_session=completed,
        uploaded_session=0, dlspeed=0 if done else item.speed, upspeed=0, dl_limit=0,
        up_limit=0, queue_position=0, num_seeds=item.seeders, num_complete=item.seeders,
        num_leechs=0, num_incomplete=0, ratio_limit=-2, seeding_time_limit=-2,
        inactive_seeding_time_limit=-2, max_ratio=-1, max_seeding_time=-1,
        max_inactive_seeding_time=-1, seq_dl=False, f_l_piece_prio=False, super_seeding=False,
        force_start=False, auto_tmm=False, category=item.category, tags=item.tags,
        save_path=item.save_path, download_path="",
        content_path=item.content_path if done else "",
        root_path=item.content_path if done else "", added_on=added,
        completion_on=finished_at, seen_complete=finished_at, last_activity=finished_at or added,
        time_active=0, seeding_time=0, tracker=TRACKER, trackers_count=0,
        availability=-1, comment=item.error, private=False, popularity=0.0, reannounce=0,
        total_wasted=0, connections=0, connections_limit=0, seeds_total=item.seeders,
        peers_total=0, pieces_have=0, pieces_num=-1, piece_size=0,
        created_by="", creation_date=-1, dl_speed_avg=0, up_speed_avg=0, last_seen=-1,
    )  # fmt: skip


def file_views(item: Item) -> list[FileView]:
    done = 1.0 if item.state is ItemState.COMPLETED else item.progress
    return [
        FileView(index, item.relative(f), f.size, done, 1, 0, 0, -1.0)
        for index, f in enumerate(item.files)
    ]
