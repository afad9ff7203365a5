"""An in-memory debrid provider (the `Provider` protocol, no HTTP) for the bridge's own tests:
it knows a catalogue of `Content`; cached ones are ready once their files are chosen, uncached
ones progress a step per status call; switches script refusals and outages."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from tests.support.debrid_services.catalogue import Content
from torrentstack.bittorrent import magnet as magnets
from torrentstack.bittorrent import metainfo
from torrentstack.debrid.errors import NotFoundRemote, ProviderError, TooManyActive
from torrentstack.debrid.items import Item
from torrentstack.debrid.providers.base import Profile, RemoteFile, RemoteStatus, RemoteTorrent


@dataclass
class _Remote:
    content: Content | None
    info_hash: str
    selected: bool = False
    steps: int = 0


@dataclass
class MemoryProvider:
    name: str = "memory"
    kind: str = "memory"
    catalogue: list[Content] = field(default_factory=list)
    cached: set[str] = field(default_factory=set)  # info hashes ready at once
    steps_to_finish: int = 3  # status calls an uncached torrent takes
    full: bool = False  # TooManyActive on submit
    down: bool = False  # every call fails, retryable
    remotes: dict[str, _Remote] = field(default_factory=dict)
    submitted: list[str] = field(default_factory=list)  # info hashes, in order
    deleted: list[str] = field(default_factory=list)
    broken_links: set[str] = field(default_factory=set)  # file paths whose links are gone
    accept_all: bool = False  # a hash outside the catalogue is ready at once (one empty file)

    def _guard(self) -> None:
        if self.down:
            raise ProviderError(self.name, "service unavailable", status=503, retryable=True)

    def _content(self, info_hash: str) -> Content | None:
        return next((c for c in self.catalogue if c.info_hash == info_hash), None)

    def _new(self, info_hash: str) -> str:
        self._guard()
        if self.full:
            raise TooManyActive(self.name, "too many active downloads", status=509)
        remote_id = f"R{len(self.remotes) + 1}"
        self.remotes[remote_id] = _Remote(self._content(info_hash), info_hash)
        self.submitted.append(info_hash)
        return remote_id

    async def submit_magnet(self, magnet: str, *, uncached: bool) -> str:
        parsed = magnets.parse(magnet)
        assert parsed.info_hash_v1 is not None
        return self._new(parsed.info_hash_v1.hex)

    async def submit_torrent(self, data: bytes, *, uncached: bool) -> str:
        parsed = metainfo.parse(data)
        assert parsed.info_hash_v1 is not None
        return self._new(parsed.info_hash_v1.hex)

    def _remote(self, remote_id: str) -> _Remote:
        self._guard()
        remote = self.remotes.get(remote_id)
        if remote is None:
            raise NotFoundRemote(self.name, "unknown torrent", status=404)
        return remote

    def _files(self, content: Content) -> tuple[RemoteFile, ...]:
        return tuple(
            RemoteFile(str(i), path, len(body), f"mem://{content.info_hash}/{path}")
            for i, (path, body) in enumerate(content.files.items())
        )

    async def status(self, remote_id: str) -> RemoteTorrent:
        remote = self._remote(remote_id)
        content = remote.content
        if content is None and self.accept_all:
            blank = RemoteFile("0", "data", 0, f"mem://{remote.info_hash}/data")
            return RemoteTorrent(remote_id, remote.info_hash, "", 0, RemoteStatus.DOWNLOADED,
                                 1.0, files=(blank,))  # fmt: skip
        if content is None:  # nobody has it: converting forever
            return RemoteTorrent(remote_id, remote.info_hash, remote.info_hash, 0,
                                 RemoteStatus.QUEUED, 0.0)  # fmt: skip
        files = self._files(content)
        if not remote.selected:
            return RemoteTorrent(remote_id, content.info_hash, content.name, content.size,
                                 RemoteStatus.SELECTING, 0.0, files=files)  # fmt: skip
        if content.info_hash in self.cached or remote.steps >= self.steps_to_finish:
            return RemoteTorrent(remote_id, content.info_hash, content.name, content.size,
                                 RemoteStatus.DOWNLOADED, 1.0, files=files)  # fmt: skip
        remote.steps += 1
        return RemoteTorrent(
            remote_id, content.info_hash, content.name, content.size, RemoteStatus.DOWNLOADING,
            remote.steps / (self.steps_to_finish + 1), speed=1_000_000, seeders=7, files=files,
        )  # fmt: skip

    async def select_files(self, remote_id: str, file_ids: Sequence[str]) -> None:
        self._remote(remote_id).selected = True

    async def delete(self, remote_id: str) -> None:
        self._guard()
        if self.remotes.pop(remote_id, None) is not None:
            self.deleted.append(remote_id)

    async def torrents(self) -> list[RemoteTorrent]:
        return [await self.status(remote_id) for remote_id in list(self.remotes)]

    async def link(self, file: RemoteFile) -> str:
        return file.link

    async def check(self, file: RemoteFile) -> bool:
        return file.path not in self.broken_links

    async def stream(
        self, file: RemoteFile, start: int = 0, end: int | None = None
    ) -> AsyncIterator[bytes]:
        self._guard()
        info_hash, _, path = file.link.removeprefix("mem://").partition("/")
        content = self._content(info_hash)
        if content is None or path in self.broken_links:
            raise NotFoundRemote(self.name, "link gone", status=404)
        body = content.files[path]
        stop = len(body) if end is None else end + 1
        for offset in range(start, stop, 65_536):
            yield body[offset : min(offset + 65_536, stop)]

    async def profile(self) -> Profile:
        return Profile(self.name, True)

    async def free_slots(self) -> int:
        return 0 if self.full else 10

    async def close(self) -> None:
        return


class MemoryItemStore:
    """The bridge's `DebridStore` for items, in memory (for API tests without a database)."""

    def __init__(self, clock: Callable[[], float] = lambda: 1_800_000_000.0) -> None:
        self.rows: dict[str, Item] = {}
        self.clock = clock

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), UTC)

    async def items(self) -> list[Item]:
        return list(self.rows.values())

    async def put_item(self, item: Item) -> None:
        self.rows[item.hash] = item

    async def delete_items(self, hashes: Sequence[str]) -> None:
        for hash_ in hashes:
            self.rows.pop(hash_, None)
