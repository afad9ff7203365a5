"""What the client backend's parts share: the `Host` they are methods of, and small helpers.

`ClientBackend` is assembled from mixins (`torrent_edits`, `classification`,
`transfer_state`); each mixin method takes `self: Host`, so mypy checks it against what the
backend provides.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from concurrent.futures import Future
from typing import Any, Protocol, TypeVar

from torrentstack.client import engine as eng
from torrentstack.client.log_buffer import LogBuffer, PeerLog
from torrentstack.client.preferences import Preferences
from torrentstack.client.records import Options, TorrentRecord
from torrentstack.client.store import ClientStore
from torrentstack.clock import Clock
from torrentstack.qbittorrent.errors import Conflict
from torrentstack.qbittorrent.models import TorrentView
from torrentstack.qbittorrent.persona import Persona
from torrentstack.qbittorrent.sync import MainData

T = TypeVar("T")

# qBittorrent's file priorities are libtorrent's, but "normal" is 1 where libtorrent's default is 4
TO_QBT = {0: 0, 1: 1, 2: 1, 3: 1, 4: 1, 5: 1, 6: 6, 7: 7}
TO_LT = {0: 0, 1: 4, 6: 6, 7: 7}


class Host(Protocol):
    persona: Persona
    store: ClientStore
    prefs: Preferences
    log: LogBuffer
    peer_log: PeerLog
    clock: Clock
    listen_host: str
    maindata: MainData
    records: dict[str, TorrentRecord]
    categories: dict[str, tuple[str, str | None]]
    tags: dict[str, None]
    alt_speed: bool
    password_hash: str | None
    on_preferences: Callable[[], None]
    _cache: dict[str, Any]
    _early_status: dict[str, Any]
    _limit_reached: set[str]

    def _engine(self) -> eng.Engine: ...
    def _refresh(self, record: TorrentRecord) -> None: ...
    def _refresh_all(self) -> None: ...
    def _set_trackers(self, record: TorrentRecord, urls: set[str]) -> None: ...
    def _background(self, job: Coroutine[Any, Any, None]) -> None: ...
    async def _changed(self, hashes: Sequence[str]) -> None: ...
    async def _refresh_from_engine(self, hashes: list[str]) -> None: ...
    def hashes(self, selected: list[str] | None) -> list[str]: ...
    def record(self, hash_: str) -> TorrentRecord: ...
    def view(self, hash_: str) -> TorrentView: ...
    def category_save_path(self, name: str) -> str: ...
    async def create_category(
        self, name: str, save_path: str, download_path: str | None
    ) -> None: ...
    async def create_tags(self, tags: list[str]) -> None: ...
    async def set_location(self, hashes: list[str], location: str) -> None: ...
    async def set_preferences(self, values: dict[str, Any]) -> None: ...
    async def _apply_auto_tmm(self, records: list[TorrentRecord]) -> None: ...
    async def _move(self, engine: eng.Engine, record: TorrentRecord, target: str) -> None: ...
    def _add_tag(self, tag: str) -> None: ...
    def _set_category(self, name: str, save_path: str, download_path: str | None) -> None: ...
    def _rate_limit(self, direction: str) -> int: ...
    def free_space(self) -> int: ...
    async def transfer_info(self) -> dict[str, Any]: ...


async def engine_result(future: Future[T]) -> T:
    """An engine command's result; a refusal is qBittorrent's 409 Conflict."""
    try:
        return await asyncio.wrap_future(future)
    except eng.EngineError as exc:
        raise Conflict(str(exc)) from None


async def discard(job: Awaitable[None]) -> None:
    await job


def same_path(a: str, b: str) -> bool:
    return os.path.normpath(a) == os.path.normpath(b)


def working_path(o: Options) -> str:
    """Where the data is written: the download path until the torrent first finished."""
    return o.download_path if o.download_path and not o.has_finished else o.save_path
