"""The torrents core: the records, each one's serialised view, the `MainData` they feed, and
the engine once it runs. Reading torrents (the API's `TorrentReader`) is answered here.

Only `refresh(record)` and `forget(hash)` touch `MainData`, one torrent at a time, so a
`sync/maindata` poll costs what changed (docs/client.md). Other parts change a record's
options and call `changed(hashes)` (refresh and store) or `refresh(record)`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlsplit

from torrentstack.client import engine as eng
from torrentstack.client.preferences import Preferences
from torrentstack.client.records import TorrentRecord
from torrentstack.client.status import PeerInfo, TorrentStatus, TrackerEntry
from torrentstack.client.store import ClientStore
from torrentstack.errors import DatabaseError
from torrentstack.qbittorrent.errors import Conflict, NotFound
from torrentstack.qbittorrent.models import FileView, TorrentView
from torrentstack.qbittorrent.persona import Persona
from torrentstack.qbittorrent.serialize import torrent_object
from torrentstack.qbittorrent.sync import MainData

logger = logging.getLogger(__name__)

MAX_EARLY = 256  # torrents whose early events are kept at once

T = TypeVar("T")


async def engine_result(future: Future[T]) -> T:
    """An engine command's result; a refusal is qBittorrent's 409 Conflict."""
    try:
        return await asyncio.wrap_future(future)
    except eng.EngineError as exc:
        raise Conflict(str(exc)) from None


async def discard(job: Awaitable[None]) -> None:
    await job


class Background:
    """Jobs that outlive the call that started them (URL downloads, share-limit actions ...);
    cancelled when the client closes."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Future[None]] = set()

    def spawn(self, job: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(job)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def cancel(self) -> None:
        for task in list(self._tasks):
            task.cancel()


@dataclass(slots=True)
class _Cached:
    view: TorrentView
    obj: dict[str, Any]


class Torrents:
    """The records and what the API shows of them."""

    def __init__(self, *, persona: Persona, prefs: Preferences, store: ClientStore) -> None:
        self.persona = persona
        self.maindata = MainData()
        self._prefs = prefs
        self._store = store
        self._records: dict[str, TorrentRecord] = {}
        self._cache: dict[str, _Cached] = {}
        self._early_status: dict[str, TorrentStatus] = {}
        # metadata/finished events of a torrent whose add is still returning, handed to
        # `replay` (the events' handler) once `register` keeps it
        self._early_events: dict[str, list[eng.Event]] = {}
        self.replay: Callable[[list[eng.Event]], None] = lambda events: None
        self._engine: eng.Engine | None = None

    # -- the engine --

    def attach(self, engine: eng.Engine) -> None:
        self._engine = engine

    @property
    def running_engine(self) -> eng.Engine | None:
        return self._engine

    def engine(self) -> eng.Engine:
        """The engine; 409 before it runs."""
        if self._engine is None:
            raise Conflict("the engine is not running")
        return self._engine

    # -- records --

    def get(self, hash_: str) -> TorrentRecord | None:
        return self._records.get(hash_)

    def record(self, hash_: str) -> TorrentRecord:
        """The torrent's record; 404 for an unknown hash (as qBittorrent)."""
        record = self._records.get(hash_)
        if record is None:
            raise NotFound()
        return record

    def records(self, hashes: Iterable[str] | None = None) -> list[TorrentRecord]:
        """The records of the known torrents among `hashes` (None: all)."""
        if hashes is None:
            return list(self._records.values())
        return [r for h in hashes if (r := self._records.get(h)) is not None]

    def hashes(self, selected: list[str] | None) -> list[str]:
        """`hashes` parameter → known torrents (None is `all`); unknown ones are ignored."""
        if selected is None:
            return list(self._records)
        return [h for h in selected if h in self._records]

    def register(self, record: TorrentRecord, added: eng.Added) -> None:
        """A torrent the engine accepted: keep it and show it."""
        record.metadata = added.metadata
        record.status = self._early_status.pop(record.hash, None)
        self._records[record.hash] = record
        if record.metadata is not None:
            self.set_trackers(record, {url for url, _ in record.metadata.trackers})
        elif record.magnet:
            self.set_trackers(record, set(_magnet_trackers(record.magnet)))
        self.refresh(record)
        early = self._early_events.pop(record.hash, None)
        if early:
            self.replay(early)

    def hold(self, hash_: str, event: eng.Event) -> None:
        """An event for a torrent not registered yet (its add is returning): kept for it."""
        if hash_ not in self._early_events and len(self._early_events) >= MAX_EARLY:
            del self._early_events[next(iter(self._early_events))]  # a removed torrent's
        self._early_events.setdefault(hash_, []).append(event)

    def forget(self, hash_: str) -> TorrentRecord | None:
        """A torrent the engine removed: no longer kept, no longer shown."""
        record = self._records.pop(hash_, None)
        self._cache.pop(hash_, None)
        self._early_status.pop(hash_, None)
        self._early_events.pop(hash_, None)
        if record is not None:
            self.set_trackers(record, set())
            self.maindata.remove_torrent(hash_)
        return record

    def on_status(self, status: TorrentStatus) -> TorrentRecord | None:
        """The engine's word on a torrent; kept for `register` if its add is still returning."""
        record = self._records.get(status.hash)
        if record is None:
            self._early_status[status.hash] = status
            return None
        record.status = status
        self.refresh(record)
        return record

    def refresh(self, record: TorrentRecord) -> None:
        """Rebuild the torrent's view and hand its object to `MainData`."""
        view = record.view(self._prefs.limits(), self._prefs.queueing)
        obj = torrent_object(view, self.persona)
        self._cache[record.hash] = _Cached(view, obj)
        obj_without_hash = dict(obj)
        del obj_without_hash["hash"]
        self.maindata.put_torrent(record.hash, obj_without_hash)

    def refresh_all(self) -> None:
        """After a preference that every view depends on (limits, queueing) changed."""
        for record in self._records.values():
            self.refresh(record)

    def set_trackers(self, record: TorrentRecord, urls: set[str]) -> None:
        old = record.trackers
        record.trackers = set(urls)
        self.maindata.set_torrent_trackers(record.hash, old, record.trackers)

    async def changed(self, hashes: Sequence[str]) -> None:
        """Options of these torrents changed: show and store them."""
        records = self.records(hashes)
        if not records:
            return
        statuses = await engine_result(self.engine().status([r.hash for r in records]))
        for status in statuses:
            if (record := self._records.get(status.hash)) is not None:
                record.status = status
        for record in records:
            self.refresh(record)
        try:
            await self._store.put_options({r.hash: r.options for r in records})
        except DatabaseError:
            await self._back_to_stored(records)
            raise

    async def _back_to_stored(self, records: list[TorrentRecord]) -> None:
        """The store refused new options: show what it holds again (a restart would)."""
        try:
            stored = await self._store.options([r.hash for r in records])
        except DatabaseError:
            logger.warning("torrent options neither saved nor reloaded; shown as changed")
            return
        for record in records:
            if (options := stored.get(record.hash)) is not None:
                record.options = options
                self.refresh(record)

    async def refresh_from_engine(self, hashes: list[str]) -> None:
        """Fetch fresh statuses (not waiting for the next update) and show them."""
        statuses = await engine_result(self.engine().status(hashes))
        for status in statuses:
            if (record := self._records.get(status.hash)) is not None:
                record.status = status
                self.refresh(record)

    # -- reading (TorrentReader) --

    def views(self) -> list[tuple[TorrentView, dict[str, Any]]]:
        return [(c.view, c.obj) for c in self._cache.values()]

    def view(self, hash_: str) -> TorrentView:
        self.record(hash_)
        return self._cache[hash_].view

    async def fresh_view(self, hash_: str) -> TorrentView:
        record = self.record(hash_)
        statuses = await engine_result(self.engine().status([hash_]))
        if statuses:
            record.status = statuses[0]
            self.refresh(record)
        return self._cache[hash_].view

    async def files(self, hash_: str) -> tuple[list[FileView], bool]:
        record = self.record(hash_)
        if record.metadata is None:
            return [], False
        engine = self.engine()
        priorities = await engine_result(engine.file_priorities(hash_))
        progress = await engine_result(engine.file_progress(hash_))
        files = record.files([int(p) for p in priorities], progress)
        is_seed = bool(record.status and record.status.is_seeding)
        return files, is_seed

    async def trackers(self, hash_: str) -> list[TrackerEntry]:
        self.record(hash_)
        return await engine_result(self.engine().trackers(hash_))

    async def peers(self, hash_: str) -> list[PeerInfo]:
        self.record(hash_)
        return await engine_result(self.engine().peers(hash_))

    async def piece_states(self, hash_: str) -> list[int]:
        """0 missing, 1 downloading, 2 have (as qBittorrent)."""
        record = self.record(hash_)
        if record.metadata is None:
            return []
        have, downloading = await engine_result(self.engine().pieces(hash_))
        return [2 if got else 1 if i in downloading else 0 for i, got in enumerate(have)]

    async def piece_hashes(self, hash_: str) -> list[str]:
        self.record(hash_)
        return await engine_result(self.engine().piece_hashes(hash_))

    async def web_seeds(self, hash_: str) -> list[str]:
        self.record(hash_)
        return await engine_result(self.engine().web_seeds(hash_))

    async def export(self, hash_: str) -> bytes:
        record = self.record(hash_)
        if record.metadata is None:
            raise Conflict("Torrent's metadata has not yet downloaded")
        return await engine_result(self.engine().export(hash_))


def _magnet_trackers(uri: str) -> list[str]:
    query = urlsplit(uri).query
    return [u for u in parse_qs(query).get("tr", []) if u]
