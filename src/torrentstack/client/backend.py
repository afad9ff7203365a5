"""The client's side of the WebUI API: torrents, categories, tags, preferences over the engine.

State lives in three places, each with one job: the engine (libtorrent, on its thread), the
records here (what the API shows; rebuilt per torrent from engine events), and the store
(committed before a call answers). `MainData` is fed from the records so `sync/maindata`
polls cost only what changed.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from torrentstack.client import engine as eng
from torrentstack.client.classification import Classification
from torrentstack.client.host import (
    TO_QBT,
    discard,
    engine_result,
    same_path,
    working_path,
)
from torrentstack.client.log_buffer import LogBuffer, PeerLog
from torrentstack.client.preferences import Preferences
from torrentstack.client.records import Options, TorrentRecord
from torrentstack.client.status import (
    Metadata,
    TorrentStatus,
    TrackerEntry,
)
from torrentstack.client.store import ClientStore, SavedTorrent
from torrentstack.client.torrent_edits import TorrentEdits
from torrentstack.client.transfer_state import PASSWORD_HASH_KEY, TransferState
from torrentstack.clock import Clock
from torrentstack.qbittorrent.adding import AddRequest, Source
from torrentstack.qbittorrent.errors import Conflict, NotFound
from torrentstack.qbittorrent.models import FileView, TorrentView
from torrentstack.qbittorrent.persona import Persona
from torrentstack.qbittorrent.serialize import torrent_object
from torrentstack.qbittorrent.share_limits import (
    SHARE_LIMIT_DELETE_FILES,
    SHARE_LIMIT_REMOVE,
    SHARE_LIMIT_SUPER_SEEDING,
    share_limit_reached,
)
from torrentstack.qbittorrent.sync import MainData

logger = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(slots=True)
class _Cached:
    view: TorrentView
    obj: dict[str, Any]


class ClientBackend(TorrentEdits, Classification, TransferState):
    """Answers the API from this process's engine; `stop` ends the service (app/shutdown)."""

    def __init__(
        self,
        *,
        persona: Persona,
        store: ClientStore,
        data_dir: Path,
        save_path: Path,
        listen_port: int,
        listen_host: str,
        clock: Clock,
        stop: asyncio.Event,
        log: LogBuffer,
        initial_preferences: dict[str, Any] | None = None,
    ) -> None:
        self.persona = persona
        self.store = store
        self.data_dir = data_dir
        self.clock = clock
        self.log = log
        self.peer_log = PeerLog(clock)
        self._stop = stop
        self.prefs = Preferences(
            save_path=str(save_path), listen_port=listen_port, initial=initial_preferences
        )
        self.listen_host = listen_host
        self.maindata = MainData()
        self.records: dict[str, TorrentRecord] = {}
        self._cache: dict[str, _Cached] = {}
        self.categories: dict[str, tuple[str, str | None]] = {}
        self.tags: dict[str, None] = {}
        self.engine: eng.Engine | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._tasks: set[asyncio.Future[None]] = set()
        self.alt_speed = False
        self.password_hash: str | None = None  # set through app/setPreferences
        self.on_preferences: Callable[[], None] = lambda: None
        self._limit_reached: set[str] = set()
        self._early_status: dict[str, TorrentStatus] = {}

    # -- lifecycle --

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        saved = await self.store.load()
        self.prefs.load(saved.preferences)
        stored_hash = saved.preferences.get(PASSWORD_HASH_KEY)
        self.password_hash = stored_hash if isinstance(stored_hash, str) else None
        for name, (path, download) in saved.categories.items():
            self._set_category(name, path, download)
        for tag in saved.tags:
            self._add_tag(tag)
        self.engine = eng.Engine(
            self.data_dir / "client" / "resume",
            self._from_engine_thread,
            config=self.prefs.session_config(self.listen_host, self.persona),
        )
        restored = await self._restore(saved.torrents)
        if saved.torrents:
            self.log.add("info", f"Restored {restored} torrents")
        self.log.add("info", f"qBittorrent {self.persona.app_version} (torrentstack) started")

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        if self.engine is not None:
            await asyncio.to_thread(self.engine.close)

    def shutdown(self) -> None:
        self._stop.set()

    async def _restore(self, saved: list[SavedTorrent]) -> int:
        """Add the stored torrents back, from resume data where there is some."""
        resume_dir = self.data_dir / "client" / "resume"

        def sources() -> list[eng.Source]:
            out = []
            for item in saved:
                resume = resume_dir / f"{item.hash}.fastresume"
                if resume.exists():
                    out.append(eng.Source(resume=resume.read_bytes()))
                else:
                    out.append(eng.Source(torrent=item.torrent, magnet=item.magnet))
            return out

        chosen = await asyncio.to_thread(sources)
        items = [
            (src, self._engine_options(i.options)) for src, i in zip(chosen, saved, strict=True)
        ]
        results = await engine_result(self._engine().add_many(items))
        retry = [
            (eng.Source(torrent=i.torrent, magnet=i.magnet), self._engine_options(i.options))
            for i, src, r in zip(saved, chosen, results, strict=True)
            if isinstance(r, eng.EngineError) and src.resume
        ]
        if retry:
            logger.warning("%d resume files unreadable; adding those torrents afresh", len(retry))
            second = await engine_result(self._engine().add_many(retry))
            again = iter(second)
            results = [
                next(again) if isinstance(r, eng.EngineError) and src.resume else r
                for src, r in zip(chosen, results, strict=True)
            ]
        restored = 0
        for item, result in zip(saved, results, strict=True):
            if isinstance(result, eng.EngineError):
                logger.warning("cannot restore torrent %s: %s", item.hash, result)
                continue
            record = TorrentRecord(result.hash, item.torrent, item.magnet, item.options)
            self._register(record, result)
            restored += 1
        return restored

    def _engine_options(self, o: Options) -> eng.AddOptions:
        return eng.AddOptions(
            save_path=working_path(o),
            stopped=o.stopped,
            forced=o.forced,
            sequential=o.seq_dl,
            upload_limit=o.up_limit,
            download_limit=o.dl_limit,
            name=o.name,
        )

    # -- engine events (on the event loop) --

    def _from_engine_thread(self, events: Sequence[eng.Event]) -> None:
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._on_events, list(events))

    def _on_events(self, events: list[eng.Event]) -> None:
        for event in events:
            if isinstance(event, eng.StatusChanged):
                for status in event.statuses:
                    self._status(status)
            elif isinstance(event, eng.MetadataReceived):
                record = self.records.get(event.hash)
                if record is not None:
                    self._metadata(record, event.metadata)
            elif isinstance(event, eng.Finished):
                self._finished(event.hash)
            elif isinstance(event, eng.Moved):
                record = self.records.get(event.hash)
                if record is not None:
                    self._refresh(record)
            elif isinstance(event, eng.LogLine):
                self.log.add(event.level, event.message)

    def _status(self, status: TorrentStatus) -> None:
        record = self.records.get(status.hash)
        if record is None:  # its add is still returning: keep it for _register
            self._early_status[status.hash] = status
            return
        record.status = status
        self._refresh(record)
        self._check_share_limits(record)

    def _check_share_limits(self, record: TorrentRecord) -> None:
        """qBittorrent's share limits: once a seeding torrent reaches one, act (once)."""
        view = self._cache[record.hash].view
        if not view.facts.finished or view.facts.stopped or record.hash in self._limit_reached:
            return
        reached = share_limit_reached(view, self.clock())
        if reached is None:
            return
        self._limit_reached.add(record.hash)
        action = int(self.prefs.get("max_ratio_act") or 0)
        self.log.add("info", f"Torrent reached its {reached} limit: {record.display_name}")
        hashes = [record.hash]
        if action == SHARE_LIMIT_REMOVE:
            self._background(self.delete(hashes, False))
        elif action == SHARE_LIMIT_DELETE_FILES:
            self._background(self.delete(hashes, True))
        elif action == SHARE_LIMIT_SUPER_SEEDING:
            self._background(self.set_super_seeding(hashes, True))
        else:
            self._background(self.set_stopped(hashes, True))

    def _metadata(self, record: TorrentRecord, metadata: Metadata) -> None:
        record.metadata = metadata
        if record.options.f_l_piece_prio:
            self._background(discard(engine_result(self._engine().first_last([record.hash], True))))
        self._set_trackers(record, {url for url, _ in metadata.trackers} | record.trackers)
        self._refresh(record)
        self.log.add("info", f"Metadata received: {record.display_name}")

    def _finished(self, hash_: str) -> None:
        record = self.records.get(hash_)
        if record is None:
            return
        if not record.options.has_finished:
            record.options.has_finished = True
            self._save_options([record])
            self.log.add("info", f"Torrent download finished: {record.display_name}")
        # downloaded in the download path: the data goes to the save path now
        status = record.status
        if (
            record.options.download_path
            and status
            and not same_path(status.save_path, record.options.save_path)
        ):
            self._background(
                discard(engine_result(self._engine().move([hash_], record.options.save_path)))
            )

    def _save_options(self, records: Iterable[TorrentRecord]) -> None:
        options = {r.hash: r.options for r in records}
        self._background(self.store.put_options(options))

    def _refresh(self, record: TorrentRecord) -> None:
        view = record.view(self.prefs.limits(), self.prefs.queueing)
        obj = torrent_object(view, self.persona)
        self._cache[record.hash] = _Cached(view, obj)
        obj_without_hash = dict(obj)
        del obj_without_hash["hash"]
        self.maindata.put_torrent(record.hash, obj_without_hash)

    def _refresh_all(self) -> None:
        for record in self.records.values():
            self._refresh(record)

    def _set_trackers(self, record: TorrentRecord, urls: set[str]) -> None:
        old = record.trackers
        record.trackers = set(urls)
        self.maindata.set_torrent_trackers(record.hash, old, record.trackers)

    def _register(self, record: TorrentRecord, added: eng.Added) -> None:
        """A torrent the engine accepted: keep it and show it."""
        record.metadata = added.metadata
        record.status = self._early_status.pop(record.hash, None)
        self.records[record.hash] = record
        if record.metadata is not None:
            self._set_trackers(record, {url for url, _ in record.metadata.trackers})
        elif record.magnet:
            self._set_trackers(record, set(_magnet_trackers(record.magnet)))
        self._refresh(record)

    def _engine(self) -> eng.Engine:
        if self.engine is None:
            raise Conflict("the engine is not running")
        return self.engine

    # -- reading --

    def build_info(self) -> dict[str, str | int]:
        return eng.library_versions()

    def default_save_path(self) -> str:
        return self.prefs.save_path

    def views(self) -> list[tuple[TorrentView, dict[str, Any]]]:
        return [(c.view, c.obj) for c in self._cache.values()]

    def record(self, hash_: str) -> TorrentRecord:
        record = self.records.get(hash_)
        if record is None:
            raise NotFound()
        return record

    def view(self, hash_: str) -> TorrentView:
        self.record(hash_)
        return self._cache[hash_].view

    async def fresh_view(self, hash_: str) -> TorrentView:
        record = self.record(hash_)
        statuses = await engine_result(self._engine().status([hash_]))
        if statuses:
            record.status = statuses[0]
            self._refresh(record)
        return self._cache[hash_].view

    async def files(self, hash_: str) -> tuple[list[FileView], bool]:
        record = self.record(hash_)
        if record.metadata is None:
            return [], False
        engine = self._engine()
        priorities = await engine_result(engine.file_priorities(hash_))
        progress = await engine_result(engine.file_progress(hash_))
        files = record.files([TO_QBT.get(p, 1) for p in priorities], progress)
        is_seed = bool(record.status and record.status.is_seeding)
        return files, is_seed

    async def trackers(self, hash_: str) -> list[TrackerEntry]:
        self.record(hash_)
        return await engine_result(self._engine().trackers(hash_))

    def hashes(self, selected: list[str] | None) -> list[str]:
        """`hashes` parameter → known torrents (None is `all`); unknown ones are ignored."""
        if selected is None:
            return list(self.records)
        return [h for h in selected if h in self.records]

    # -- adding --

    def is_torrent(self, data: bytes) -> bool:
        try:
            eng.parse_torrent(data)
        except eng.EngineError:
            return False
        return True

    def add_later(self, download: Awaitable[Source | None], request: AddRequest) -> None:
        """Add what a URL download brings, when it arrives (`torrents/add` answered already)."""

        async def run() -> None:
            source = await download
            if source is None or (source.torrent and not self.is_torrent(source.torrent)):
                self.log.add("warning", "Failed to download a torrent from its URL")
                return
            await self.add([source], request)

        self._background(run())

    def _background(self, job: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(job)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def add(self, sources: list[Source], request: AddRequest) -> int:
        """Add what can be added; the number of torrents added (duplicates and errors: 0)."""
        engine = self._engine()
        if request.category and request.category not in self.categories:
            await self.create_category(request.category, "", None)
        new_tags = [t for t in request.tags if t not in self.tags]
        if new_tags:
            await self.create_tags(new_tags)
        options = [self._new_options(request) for _ in sources]
        top = bool(
            self.prefs.get("add_to_top_of_queue")
            if request.top_of_queue is None
            else request.top_of_queue
        )
        items = [
            (
                eng.Source(torrent=source.torrent, magnet=source.magnet),
                eng.AddOptions(
                    save_path=working_path(o),
                    stopped=o.stopped,
                    forced=o.forced,
                    skip_checking=request.skip_checking,
                    sequential=request.sequential,
                    first_last=request.first_last,
                    upload_limit=request.up_limit,
                    download_limit=request.dl_limit,
                    name=request.rename,
                    content_root=self._content_root(request, source),
                    top_of_queue=top,
                ),
            )
            for source, o in zip(sources, options, strict=True)
        ]
        results = await engine_result(engine.add_many(items))
        added: list[TorrentRecord] = []
        for source, opts, result in zip(sources, options, results, strict=True):
            if isinstance(result, eng.DuplicateTorrent):
                self.log.add("warning", f"Torrent is already present: {result}")
                continue
            if isinstance(result, eng.EngineError):
                self.log.add("warning", f"Failed to load torrent: {result}")
                continue
            record = TorrentRecord(result.hash, source.torrent, source.magnet, opts)
            self._register(record, result)
            added.append(record)
            self.log.add("info", f"Added new torrent: {record.display_name}")
        if added:
            await self.store.put_torrents(
                SavedTorrent(r.hash, r.torrent, r.magnet, r.options) for r in added
            )
        return len(added)

    def _new_options(self, request: AddRequest) -> Options:
        auto_tmm = (
            bool(self.prefs.get("auto_tmm_enabled"))
            if request.auto_tmm is None
            else request.auto_tmm
        )
        save_path = request.save_path
        if auto_tmm or not save_path:
            save_path = self.category_save_path(request.category) if auto_tmm else ""
        stopped = (
            bool(self.prefs.get("start_paused_enabled") or self.prefs.get("add_stopped_enabled"))
            if request.stopped is None
            else request.stopped
        )
        return Options(
            added_on=int(self.clock()),
            name=request.rename,
            category=request.category,
            tags=list(request.tags),
            stopped=stopped,
            forced=request.forced and not stopped,
            auto_tmm=auto_tmm,
            save_path=save_path or self.prefs.save_path,
            download_path=request.download_path,
            ratio_limit=request.ratio_limit,
            seeding_time_limit=request.seeding_time_limit,
            inactive_seeding_time_limit=request.inactive_seeding_time_limit,
            dl_limit=max(request.dl_limit, 0),
            up_limit=max(request.up_limit, 0),
            seq_dl=request.sequential,
            f_l_piece_prio=request.first_last,
        )

    def _content_root(self, request: AddRequest, source: Source) -> str | None:
        layout = request.content_layout or str(self.prefs.get("torrent_content_layout"))
        if layout == "NoSubfolder":
            return ""
        if layout == "Subfolder" and source.torrent:
            try:
                metadata = eng.parse_torrent(source.torrent)
            except eng.EngineError:
                return None
            if len(metadata.files) == 1:
                return os.path.splitext(metadata.name)[0] or metadata.name
            return None
        return None

    # -- actions on torrents --

    async def _changed(self, hashes: Sequence[str]) -> None:
        """Options of these torrents changed: show and store them."""
        records = [self.records[h] for h in hashes if h in self.records]
        if not records:
            return
        statuses = await engine_result(self._engine().status([r.hash for r in records]))
        for status in statuses:
            self.records[status.hash].status = status
        for record in records:
            self._refresh(record)
        await self.store.put_options({r.hash: r.options for r in records})

    async def _refresh_from_engine(self, hashes: list[str]) -> None:
        statuses = await engine_result(self._engine().status(hashes))
        for status in statuses:
            record = self.records.get(status.hash)
            if record is not None:
                record.status = status
                self._refresh(record)


def _magnet_trackers(uri: str) -> list[str]:
    from urllib.parse import parse_qs, urlsplit

    query = urlsplit(uri).query
    return [u for u in parse_qs(query).get("tr", []) if u]
