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
import shutil
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TypeVar

from torrentstack.client import engine as eng
from torrentstack.client.log_buffer import LogBuffer, PeerLog
from torrentstack.client.preferences import Preferences
from torrentstack.client.records import Options, TorrentRecord
from torrentstack.client.status import (
    Metadata,
    PeerInfo,
    SessionTotals,
    TorrentStatus,
    TrackerEntry,
)
from torrentstack.client.store import ClientStore, SavedTorrent
from torrentstack.clock import Clock
from torrentstack.qbittorrent.adding import AddRequest, Source
from torrentstack.qbittorrent.errors import AccessDenied, BadParams, Conflict, NotFound
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
from torrentstack.webapi.auth import hash_password

logger = logging.getLogger(__name__)

T = TypeVar("T")

PASSWORD_HASH_KEY = "web_ui_password_hash"  # noqa: S105 - a key name; stored, never shown

# qBittorrent's file priorities are libtorrent's, but "normal" is 1 where libtorrent's default is 4
_TO_QBT = {0: 0, 1: 1, 2: 1, 3: 1, 4: 1, 5: 1, 6: 6, 7: 7}
_TO_LT = {0: 0, 1: 4, 6: 6, 7: 7}


@dataclass(slots=True)
class _Cached:
    view: TorrentView
    obj: dict[str, Any]


class ClientBackend:
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
        self.alltime_base = (0, 0)

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
        results = await _done(self._engine().add_many(items))
        retry = [
            (eng.Source(torrent=i.torrent, magnet=i.magnet), self._engine_options(i.options))
            for i, src, r in zip(saved, chosen, results, strict=True)
            if isinstance(r, eng.EngineError) and src.resume
        ]
        if retry:
            logger.warning("%d resume files unreadable; adding those torrents afresh", len(retry))
            second = await _done(self._engine().add_many(retry))
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
            save_path=_working_path(o),
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
            self._background(_discard(_done(self._engine().first_last([record.hash], True))))
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
            and not _same_path(status.save_path, record.options.save_path)
        ):
            self._background(
                _discard(_done(self._engine().move([hash_], record.options.save_path)))
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
        statuses = await _done(self._engine().status([hash_]))
        if statuses:
            record.status = statuses[0]
            self._refresh(record)
        return self._cache[hash_].view

    async def files(self, hash_: str) -> tuple[list[FileView], bool]:
        record = self.record(hash_)
        if record.metadata is None:
            return [], False
        engine = self._engine()
        priorities = await _done(engine.file_priorities(hash_))
        progress = await _done(engine.file_progress(hash_))
        files = record.files([_TO_QBT.get(p, 1) for p in priorities], progress)
        is_seed = bool(record.status and record.status.is_seeding)
        return files, is_seed

    async def trackers(self, hash_: str) -> list[TrackerEntry]:
        self.record(hash_)
        return await _done(self._engine().trackers(hash_))

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
                    save_path=_working_path(o),
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
        results = await _done(engine.add_many(items))
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

    async def delete(self, hashes: list[str], delete_files: bool) -> None:
        chosen = [h for h in hashes if h in self.records]
        if not chosen:
            return
        await _done(self._engine().remove(chosen, delete_files))
        for hash_ in chosen:
            record = self.records.pop(hash_)
            self._cache.pop(hash_, None)
            self._early_status.pop(hash_, None)
            self._set_trackers(record, set())
            self.maindata.remove_torrent(hash_)
            self.log.add("info", f"Removed torrent: {record.display_name}")
        await self.store.remove_torrents(chosen)

    async def add_peers(
        self, hashes: list[str], peers: list[tuple[str, int]]
    ) -> dict[str, dict[str, int]]:
        """`torrents/addPeers`: per torrent, how many peers were taken and how many failed."""
        added = await _done(self._engine().connect_peers(self.hashes(hashes), peers))
        return {h: {"added": n, "failed": len(peers) - n} for h, n in added.items()}

    async def set_stopped(self, hashes: list[str], stopped: bool) -> None:
        chosen = [h for h in hashes if h in self.records]
        if not stopped:
            self._limit_reached.difference_update(chosen)
        engine = self._engine()
        await _done(engine.stop(chosen) if stopped else engine.start(chosen))
        for hash_ in chosen:
            options = self.records[hash_].options
            options.stopped = stopped
            if not stopped:
                options.forced = False
        await self._changed(chosen)

    async def set_forced(self, hashes: list[str], forced: bool) -> None:
        chosen = [h for h in hashes if h in self.records]
        engine = self._engine()
        if forced:
            await _done(engine.start(chosen, forced=True))
        else:
            await _done(engine.start(chosen))
        for hash_ in chosen:
            options = self.records[hash_].options
            options.forced = forced
            options.stopped = False
        await self._changed(chosen)

    async def _changed(self, hashes: Sequence[str]) -> None:
        """Options of these torrents changed: show and store them."""
        records = [self.records[h] for h in hashes if h in self.records]
        if not records:
            return
        statuses = await _done(self._engine().status([r.hash for r in records]))
        for status in statuses:
            self.records[status.hash].status = status
        for record in records:
            self._refresh(record)
        await self.store.put_options({r.hash: r.options for r in records})

    async def recheck(self, hashes: list[str]) -> None:
        await _done(self._engine().recheck(self.hashes(hashes)))

    async def reannounce(self, hashes: list[str]) -> None:
        await _done(self._engine().reannounce(self.hashes(hashes)))

    async def queue(self, hashes: list[str], where: str) -> None:
        if not self.prefs.queueing:
            raise Conflict("Torrent queueing must be enabled")
        chosen = self.hashes(hashes)
        await _done(self._engine().queue(chosen, where))
        await self._refresh_from_engine(list(self.records))

    async def _refresh_from_engine(self, hashes: list[str]) -> None:
        statuses = await _done(self._engine().status(hashes))
        for status in statuses:
            record = self.records.get(status.hash)
            if record is not None:
                record.status = status
                self._refresh(record)

    async def set_share_limits(
        self, hashes: list[str], ratio: float, seeding_time: int, inactive: int
    ) -> None:
        chosen = self.hashes(hashes)
        for hash_ in chosen:
            options = self.records[hash_].options
            options.ratio_limit = ratio
            options.seeding_time_limit = seeding_time
            options.inactive_seeding_time_limit = inactive
        await self._changed(chosen)

    async def set_limit(
        self, hashes: list[str], *, download: int | None, upload: int | None
    ) -> None:
        chosen = self.hashes(hashes)
        await _done(self._engine().set_limits(chosen, download=download, upload=upload))
        for hash_ in chosen:
            options = self.records[hash_].options
            if download is not None:
                options.dl_limit = max(download, 0)
            if upload is not None:
                options.up_limit = max(upload, 0)
        await self._changed(chosen)

    async def toggle(self, hashes: list[str], what: str) -> None:
        """toggleSequentialDownload / toggleFirstLastPiecePrio."""
        chosen = self.hashes(hashes)
        engine = self._engine()
        for hash_ in chosen:
            options = self.records[hash_].options
            if what == "seq_dl":
                options.seq_dl = not options.seq_dl
                await _done(engine.set_flag([hash_], "sequential_download", options.seq_dl))
            else:
                options.f_l_piece_prio = not options.f_l_piece_prio
                await _done(engine.first_last([hash_], options.f_l_piece_prio))
        await self._changed(chosen)

    async def set_super_seeding(self, hashes: list[str], on: bool) -> None:
        chosen = self.hashes(hashes)
        await _done(self._engine().set_flag(chosen, "super_seeding", on))
        for hash_ in chosen:
            self.records[hash_].options.super_seeding = on
        await self._changed(chosen)

    # -- pieces, files, trackers, web seeds, names --

    async def piece_states(self, hash_: str) -> list[int]:
        """0 missing, 1 downloading, 2 have (as qBittorrent)."""
        record = self.record(hash_)
        if record.metadata is None:
            return []
        have, downloading = await _done(self._engine().pieces(hash_))
        return [2 if got else 1 if i in downloading else 0 for i, got in enumerate(have)]

    async def piece_hashes(self, hash_: str) -> list[str]:
        self.record(hash_)
        return await _done(self._engine().piece_hashes(hash_))

    async def web_seeds(
        self, hash_: str, add: Sequence[str] = (), remove: Sequence[str] = ()
    ) -> list[str]:
        self.record(hash_)
        return await _done(self._engine().web_seeds(hash_, add, remove))

    async def edit_trackers(
        self, hash_: str, *, add: Sequence[str] = (), remove: Sequence[str] = (),
        replace: tuple[str, str] | None = None,
    ) -> None:  # fmt: skip
        """addTrackers / removeTrackers / editTracker (409 as qBittorrent for bad edits)."""
        record = self.record(hash_)
        engine = self._engine()
        current = [(t.url, t.tier) for t in await _done(engine.trackers(hash_))]
        urls = [url for url, _ in current]
        if replace is not None:
            old, new = replace
            if old not in urls:
                raise Conflict("Tracker not found")
            if new in urls:
                raise Conflict("New tracker URL already exists")
            current = [(new if url == old else url, tier) for url, tier in current]
        if remove and not set(remove) & set(urls):
            raise Conflict("No trackers were removed")
        current = [(url, tier) for url, tier in current if url not in remove]
        top = max((tier for _, tier in current), default=-1)
        for url in add:
            if url not in {u for u, _ in current}:
                top += 1
                current.append((url, top))
        await _done(engine.replace_trackers(hash_, current))
        self._set_trackers(record, {url for url, _ in current})
        self._refresh(record)

    async def set_file_priority(self, hash_: str, indexes: list[int], priority: int) -> None:
        record = self.record(hash_)
        if priority not in _TO_LT:
            raise BadParams("Priority is invalid")
        if record.metadata is None:
            raise Conflict("Torrent's metadata has not yet downloaded")
        count = len(record.metadata.files)
        if any(not 0 <= i < count for i in indexes):
            raise Conflict("File IDs must be integers between 0 and the number of files")
        await _done(self._engine().file_priorities(hash_, {i: _TO_LT[priority] for i in indexes}))
        await self._refresh_from_engine([hash_])

    async def rename(self, hash_: str, name: str) -> None:
        record = self.record(hash_)
        if not name.strip():
            raise Conflict("Incorrect torrent name")
        record.options.name = name.strip()
        await self._changed([hash_])

    async def rename_path(self, hash_: str, old: str, new: str, folder: bool) -> None:
        """renameFile (one file) or renameFolder (every file under a folder)."""
        record = self.record(hash_)
        md = record.metadata
        old, new = old.strip("/"), new.strip("/")
        if md is None or not old or not new or "\\" in new or ".." in new.split("/"):
            raise Conflict("Invalid path")
        moves: dict[int, str] = {}
        for entry in md.files:
            if folder and entry.path.startswith(old + "/"):
                moves[entry.index] = new + entry.path[len(old) :]
            elif not folder and entry.path == old:
                moves[entry.index] = new
        existing = {f.path for f in md.files}
        if not moves or any(p in existing and p not in moves.values() for p in moves.values()):
            raise Conflict("Invalid path" if not moves else "Path already exists")
        if any(p in existing for p in moves.values()):
            raise Conflict("Path already exists")
        engine = self._engine()
        for index, path in moves.items():
            await _done(engine.rename_file(hash_, index, path))
        files = tuple(replace(f, path=moves.get(f.index, f.path)) for f in md.files)
        record.metadata = replace(md, files=files)
        self._refresh(record)

    # -- categories --

    def category_save_path(self, name: str) -> str:
        path = self.categories.get(name, ("", None))[0]
        if not name:
            return self.prefs.save_path
        return path or os.path.join(self.prefs.save_path, name)

    def _set_category(self, name: str, save_path: str, download_path: str | None) -> None:
        self.categories[name] = (save_path, download_path)
        obj: dict[str, Any] = {"name": name, "savePath": save_path}
        if download_path is not None:
            obj["download_path"] = download_path
        self.maindata.put_category(name, obj)

    def category_objects(self) -> dict[str, dict[str, Any]]:
        return dict(self.maindata.categories)

    async def create_category(self, name: str, save_path: str, download_path: str | None) -> None:
        if not name:
            raise BadParams("Category cannot be empty")
        if not valid_category_name(name):
            raise Conflict("Incorrect category name")
        if name in self.categories:
            raise Conflict("Unable to create category")
        self._set_category(name, save_path, download_path)
        await self.store.put_category(name, save_path, download_path)

    async def edit_category(self, name: str, save_path: str, download_path: str | None) -> None:
        if not name:
            raise BadParams("Category cannot be empty")
        if name not in self.categories:
            raise Conflict("Category editing failed")
        self._set_category(name, save_path, download_path)
        await self.store.put_category(name, save_path, download_path)
        moved = [
            r for r in self.records.values() if r.options.category == name and r.options.auto_tmm
        ]
        await self._apply_auto_tmm(moved)

    async def remove_categories(self, names: list[str]) -> None:
        gone = [n for n in names if n in self.categories]
        for name in gone:
            del self.categories[name]
            self.maindata.remove_category(name)
        affected = [r for r in self.records.values() if r.options.category in gone]
        for record in affected:
            record.options.category = ""
        await self.store.remove_categories(gone)
        await self._changed([r.hash for r in affected])

    async def set_category(self, hashes: list[str], name: str) -> None:
        if name and name not in self.categories:
            raise Conflict("Incorrect category name")
        chosen = self.hashes(hashes)
        records = [self.records[h] for h in chosen]
        for record in records:
            record.options.category = name
        await self._apply_auto_tmm([r for r in records if r.options.auto_tmm])
        await self._changed(chosen)

    async def set_auto_tmm(self, hashes: list[str], on: bool) -> None:
        chosen = self.hashes(hashes)
        for hash_ in chosen:
            self.records[hash_].options.auto_tmm = on
        if on:
            await self._apply_auto_tmm([self.records[h] for h in chosen])
        await self._changed(chosen)

    async def _apply_auto_tmm(self, records: list[TorrentRecord]) -> None:
        """Automatic torrent management: each torrent's data goes to its category's path."""
        engine = self._engine()
        for record in records:
            target = self.category_save_path(record.options.category)
            if _same_path(target, record.options.save_path):
                continue
            await self._move(engine, record, target)

    async def _move(self, engine: eng.Engine, record: TorrentRecord, target: str) -> None:
        try:
            await asyncio.to_thread(os.makedirs, target, exist_ok=True)
        except OSError:
            raise Conflict(f"Cannot make save path: {target}") from None
        await _done(engine.move([record.hash], target))
        record.options.save_path = target

    async def set_location(self, hashes: list[str], location: str) -> None:
        if not location.strip():
            raise BadParams("Save path cannot be empty")
        try:
            await asyncio.to_thread(os.makedirs, location, exist_ok=True)
        except OSError:
            raise Conflict(f"Cannot make save path: {location}") from None
        if not os.access(location, os.W_OK):
            raise AccessDenied(f"Cannot write to directory: {location}")
        chosen = self.hashes(hashes)
        engine = self._engine()
        for hash_ in chosen:
            record = self.records[hash_]
            record.options.auto_tmm = False
            await self._move(engine, record, location)
        await self._changed(chosen)

    async def set_path(self, hashes: list[str], path: str, kind: str) -> None:
        """setSavePath (moves the data) / setDownloadPath: 409 if the directory cannot be
        made, 403 if it is not writable (as qBittorrent)."""
        if not path.strip():
            raise BadParams("Save path cannot be empty")
        try:
            await asyncio.to_thread(os.makedirs, path, exist_ok=True)
        except OSError:
            raise Conflict(f"Cannot create directory: {path}") from None
        if not await asyncio.to_thread(os.access, path, os.W_OK):
            raise AccessDenied(f"Cannot write to directory: {path}")
        if kind == "download":
            for hash_ in hashes:
                self.records[hash_].options.download_path = path
            await self._changed(hashes)
            return
        await self.set_location(hashes, path)

    async def export(self, hash_: str) -> bytes:
        record = self.record(hash_)
        if record.metadata is None:
            raise Conflict("Torrent's metadata has not yet downloaded")
        return await _done(self._engine().export(hash_))

    # -- tags --

    def _add_tag(self, tag: str) -> None:
        self.tags[tag] = None
        self.maindata.add_tag(tag)

    async def create_tags(self, tags: list[str]) -> None:
        new = [t for t in tags if valid_tag(t) and t not in self.tags]
        for tag in new:
            self._add_tag(tag)
        await self.store.put_tags(new)

    async def delete_tags(self, tags: list[str]) -> None:
        gone = [t for t in tags if t in self.tags]
        for tag in gone:
            del self.tags[tag]
            self.maindata.remove_tag(tag)
        affected = [r for r in self.records.values() if set(r.options.tags) & set(gone)]
        for record in affected:
            record.options.tags = [t for t in record.options.tags if t not in gone]
        await self.store.remove_tags(gone)
        await self._changed([r.hash for r in affected])

    async def add_tags(self, hashes: list[str], tags: list[str]) -> None:
        valid = [t for t in tags if valid_tag(t)]
        await self.create_tags(valid)
        chosen = self.hashes(hashes)
        for hash_ in chosen:
            options = self.records[hash_].options
            options.tags = list(dict.fromkeys([*options.tags, *valid]))
        await self._changed(chosen)

    async def remove_tags(self, hashes: list[str], tags: list[str]) -> None:
        chosen = self.hashes(hashes)
        for hash_ in chosen:
            options = self.records[hash_].options
            options.tags = [t for t in options.tags if tags and t not in tags]
        await self._changed(chosen)

    async def set_tags(self, hashes: list[str], tags: list[str]) -> None:
        valid = [t for t in tags if valid_tag(t)]
        await self.create_tags(valid)
        chosen = self.hashes(hashes)
        for hash_ in chosen:
            self.records[hash_].options.tags = list(valid)
        await self._changed(chosen)

    # -- preferences --

    async def set_preferences(self, values: dict[str, Any]) -> None:
        values = dict(values)
        password = values.pop("web_ui_password", None)
        changed = self.prefs.update(values)
        if isinstance(password, str) and password:
            self.password_hash = await asyncio.to_thread(hash_password, password)
            await self.store.put_preferences({PASSWORD_HASH_KEY: self.password_hash})
        if password or changed:
            self.on_preferences()
        if not changed:
            return
        await self.store.put_preferences(changed)
        await _done(
            self._engine().configure(
                self.prefs.session_config(self.listen_host, self.persona, self.alt_speed)
            )
        )
        self._refresh_all()

    async def peers(self, hash_: str) -> list[PeerInfo]:
        self.record(hash_)
        return await _done(self._engine().peers(hash_))

    async def transfer_info(self) -> dict[str, Any]:
        totals = self._engine().totals()
        return {
            "connection_status": _connection_status(totals),
            "dht_nodes": totals.dht_nodes,
            "dl_info_data": totals.downloaded,
            "dl_info_speed": totals.dl_rate,
            "dl_rate_limit": self._rate_limit("dl"),
            "up_info_data": totals.uploaded,
            "up_info_speed": totals.ul_rate,
            "up_rate_limit": self._rate_limit("up"),
        }

    def _rate_limit(self, direction: str) -> int:
        alt = self.alt_speed
        value = int(self.prefs.get(f"alt_{direction}_limit" if alt else f"{direction}_limit"))
        return max(value, 0)

    async def server_state(self) -> dict[str, Any]:
        """`server_state` of `sync/maindata` (transfer info plus session-wide extras)."""
        totals = self._engine().totals()
        state = await self.transfer_info()
        downloaded = self.alltime_base[0] + totals.downloaded
        uploaded = self.alltime_base[1] + totals.uploaded
        state.update(
            {
                "alltime_dl": downloaded,
                "alltime_ul": uploaded,
                "average_time_queue": 0,
                "free_space_on_disk": self.free_space(),
                "global_ratio": f"{uploaded / downloaded:.2f}" if downloaded else "-",
                "last_external_address_v4": "",
                "last_external_address_v6": "",
                "queued_io_jobs": 0,
                "queueing": self.prefs.queueing,
                "read_cache_hits": "0",
                "read_cache_overload": "0",
                "refresh_interval": int(self.prefs.get("refresh_interval") or 1500),
                "total_buffers_size": 0,
                "total_peer_connections": totals.connections,
                "total_queued_size": 0,
                "total_wasted_session": totals.wasted,
                "use_alt_speed_limits": self.alt_speed,
                "write_cache_overload": "0",
            }
        )
        return state

    async def set_alt_speed(self, on: bool) -> None:
        self.alt_speed = on
        await _done(
            self._engine().configure(self.prefs.session_config(self.listen_host, self.persona, on))
        )

    async def set_global_limit(self, direction: str, limit: int) -> None:
        key = f"alt_{direction}_limit" if self.alt_speed else f"{direction}_limit"
        await self.set_preferences({key: max(limit, 0)})

    async def ban_peers(self, peers: list[tuple[str, int]]) -> None:
        """Add to the `banned_IPs` preference (the session's IP filter), as qBittorrent does."""
        banned = [ip for ip in str(self.prefs.get("banned_IPs")).split("\n") if ip.strip()]
        new = [ip for ip, _ in peers if ip not in banned]
        await self.set_preferences({"banned_IPs": "\n".join([*banned, *new])})
        for ip, _ in peers:
            self.peer_log.add(ip, True, "Manually banned")

    def free_space(self) -> int:
        try:
            return shutil.disk_usage(self.prefs.save_path).free
        except OSError:
            return 0


def _working_path(o: Options) -> str:
    """Where the data is written: the download path until the torrent first finished."""
    return o.download_path if o.download_path and not o.has_finished else o.save_path


async def _done(future: Future[T]) -> T:
    """An engine command's result; a refusal is qBittorrent's 409 Conflict."""
    try:
        return await asyncio.wrap_future(future)
    except eng.EngineError as exc:
        raise Conflict(str(exc)) from None


async def _discard(job: Awaitable[None]) -> None:
    await job


def _same_path(a: str, b: str) -> bool:
    return os.path.normpath(a) == os.path.normpath(b)


def _connection_status(totals: SessionTotals) -> str:
    if not totals.listening:
        return "disconnected"
    return "connected" if totals.has_incoming else "firewalled"


def valid_category_name(name: str) -> bool:
    """qBittorrent's `isValidCategoryName`: no backslash, no empty path component."""
    if "\\" in name or name.startswith("/") or name.endswith("/") or "//" in name:
        return False
    return bool(name.strip())


def valid_tag(tag: str) -> bool:
    return bool(tag.strip()) and "," not in tag


def _magnet_trackers(uri: str) -> list[str]:
    from urllib.parse import parse_qs, urlsplit

    query = urlsplit(uri).query
    return [u for u in parse_qs(query).get("tr", []) if u]
