"""What the bridge needs from a debrid service: `Provider`, and the values it answers with.

Every provider maps its service's statuses onto `RemoteStatus` and its files onto `RemoteFile`
(paths relative to the torrent's folder, `/` separators). Failures are `debrid.errors`
(`ProviderError` and its kinds), never a library's exception.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol


class RemoteStatus(StrEnum):
    QUEUED = "queued"  # accepted, waiting on the service's side (a slot, a conversion)
    SELECTING = "selecting"  # waiting for the files to be chosen (Real-Debrid)
    DOWNLOADING = "downloading"  # the service is fetching it from peers
    DOWNLOADED = "downloaded"  # the files are ready to be read
    FAILED = "failed"  # dead, virus, magnet error ...: it will not come


@dataclass(frozen=True, slots=True)
class RemoteFile:
    id: str  # the service's id of the file (its index where it has none)
    path: str  # inside the torrent, `/` separators, no leading slash
    size: int
    link: str = ""  # the service's link for it, before any unrestriction


@dataclass(frozen=True, slots=True)
class RemoteTorrent:
    id: str  # the service's id of the torrent
    info_hash: str  # lower-case hex (v1)
    name: str
    size: int
    status: RemoteStatus
    progress: float  # 0..1
    speed: int = 0  # bytes/s, while the service downloads
    seeders: int = 0
    files: tuple[RemoteFile, ...] = ()  # the selected files (all, when none were chosen)
    message: str = ""  # the service's own status text (shown with an error)


@dataclass(frozen=True, slots=True)
class Profile:
    username: str
    premium: bool
    expires: int = 0  # unix time of the end of the premium period; 0 unknown


class Provider(Protocol):
    """One configured debrid service. `name` is the configured name, `kind` the service."""

    name: str
    kind: str

    async def submit_magnet(self, magnet: str, *, uncached: bool) -> str:
        """Hand the service a magnet; its id for the torrent. `NotCached` when the service
        does not have it and `uncached` is False (only where it can tell at once)."""
        ...

    async def submit_torrent(self, data: bytes, *, uncached: bool) -> str:
        """Hand the service a .torrent file; its id for the torrent."""
        ...

    async def status(self, remote_id: str) -> RemoteTorrent:
        """Where the torrent is (`NotFoundRemote` once the service lost it)."""
        ...

    async def select_files(self, remote_id: str, file_ids: Sequence[str]) -> None:
        """Choose the files to fetch (a no-op for services that fetch everything)."""
        ...

    async def delete(self, remote_id: str) -> None:
        """Remove the torrent from the service (already gone: no error)."""
        ...

    async def torrents(self) -> list[RemoteTorrent]:
        """Every torrent the account holds."""
        ...

    async def link(self, file: RemoteFile) -> str:
        """A direct URL for the file's bytes (unrestricted), good for ranged GETs."""
        ...

    async def check(self, file: RemoteFile) -> bool:
        """Whether the file can still be read (the repair probe)."""
        ...

    def stream(
        self, file: RemoteFile, start: int = 0, end: int | None = None
    ) -> AsyncIterator[bytes]:
        """The file's bytes from `start` to `end` (inclusive; None: to the end), as they come."""
        ...

    async def profile(self) -> Profile:
        """The account behind the key."""
        ...

    async def free_slots(self) -> int:
        """How many more torrents the service takes now."""
        ...

    async def close(self) -> None:
        """Release connections."""
        ...
