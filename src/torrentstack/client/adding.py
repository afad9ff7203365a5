"""The adding part (the API's `TorrentAdder`): adding .torrent files and magnets with
qBittorrent's options, downloading URLs (`torrentstack.torrent_urls`), restoring stored torrents at start."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path

from torrentstack.client import engine as eng
from torrentstack.client.categories import Categories
from torrentstack.client.log_buffer import LogBuffer
from torrentstack.client.paths import InvalidPath, resolve
from torrentstack.client.preferences import Preferences
from torrentstack.client.records import Options, TorrentRecord, working_path
from torrentstack.client.store import ClientStore, SavedTorrent
from torrentstack.client.tags import Tags
from torrentstack.client.torrents import Background, Torrents, engine_result
from torrentstack.clock import Clock
from torrentstack.errors import DatabaseError
from torrentstack.qbittorrent.adding import AddRequest, Source
from torrentstack.qbittorrent.errors import Conflict, NotATorrent

logger = logging.getLogger(__name__)

_LAYOUTS = {
    "Original": eng.ContentLayout.ORIGINAL,
    "Subfolder": eng.ContentLayout.SUBFOLDER,
    "NoSubfolder": eng.ContentLayout.NO_SUBFOLDER,
}

Fetch = Callable[[str, str], Awaitable[Source | None]]  # (url, cookie) -> what it brings


class Adder:
    def __init__(
        self,
        *,
        torrents: Torrents,
        categories: Categories,
        tags: Tags,
        prefs: Preferences,
        store: ClientStore,
        log: LogBuffer,
        clock: Clock,
        background: Background,
        fetch: Fetch,
        resume_dir: Path,
    ) -> None:
        self._resume_dir = resume_dir
        self._torrents = torrents
        self._categories = categories
        self._tags = tags
        self._prefs = prefs
        self._store = store
        self._log = log
        self._clock = clock
        self._background = background
        self._fetch = fetch

    def add_from_url(self, url: str, cookie: str, request: AddRequest) -> None:
        """Add what a URL download brings, when it arrives (`torrents/add` answered already)."""

        async def run() -> None:
            source = await self._fetch(url, cookie)
            try:
                added = source is not None and await self.add([source], request)
            except NotATorrent:
                added = False
            if source is None or (source.torrent and not added):
                self._log.add("warning", "Failed to download a torrent from its URL")

        self._background.spawn(run())

    async def add(self, sources: list[Source], request: AddRequest) -> int:
        """Add what can be added; the number of torrents added (duplicates and errors: 0)."""
        engine = self._torrents.engine()
        try:
            options = [self._new_options(request) for _ in sources]
        except InvalidPath as exc:
            self._log.add("warning", f"Failed to add torrent: {exc}")
            return 0
        top = bool(
            self._prefs.get("add_to_top_of_queue")
            if request.top_of_queue is None
            else request.top_of_queue
        )
        chosen = request.content_layout or str(self._prefs.get("torrent_content_layout"))
        layout = _LAYOUTS.get(chosen, eng.ContentLayout.ORIGINAL)
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
                    layout=layout,
                    top_of_queue=top,
                ),
            )
            for source, o in zip(sources, options, strict=True)
        ]
        try:
            results = await asyncio.wrap_future(engine.add_many(items, files_or_none=True))
        except eng.InvalidTorrentFile as exc:
            raise NotATorrent(sources[exc.index].name) from None
        except eng.EngineError as exc:  # the engine is stopped
            raise Conflict(str(exc)) from None
        added: list[tuple[TorrentRecord, eng.Added]] = []
        for source, opts, result in zip(sources, options, results, strict=True):
            if isinstance(result, eng.DuplicateTorrent):
                self._log.add("warning", f"Torrent is already present: {result}")
                continue
            if isinstance(result, eng.EngineError):
                self._log.add("warning", f"Failed to load torrent: {result}")
                continue
            added.append((TorrentRecord(result.hash, source.torrent, source.magnet, opts), result))
        if not added:
            return 0
        try:  # stored, then shown: an add the API answers is one a restart brings back
            await self._create_classes(request)
            await self._store.put_torrents(
                SavedTorrent(r.hash, r.torrent, r.magnet, r.options) for r, _ in added
            )
        except DatabaseError as exc:
            await self._undo(engine, [r.hash for r, _ in added])
            self._log.add("warning", f"Failed to add torrent: cannot save it ({exc})")
            return 0
        for record, result in added:
            self._torrents.register(record, result)
            self._log.add("info", f"Added new torrent: {record.display_name}")
        return len(added)

    async def _undo(self, engine: eng.Engine, hashes: list[str]) -> None:
        """Take back torrents the engine added but the store could not keep (their resume
        files too, if the engine wrote any already)."""
        try:
            await engine_result(engine.remove(hashes, False))
        except Conflict:
            logger.warning("could not take back %d torrents from the engine", len(hashes))
        for hash_ in hashes:
            self._torrents.forget(hash_)
            with contextlib.suppress(OSError):
                (self._resume_dir / f"{hash_}.fastresume").unlink()

    def _new_options(self, request: AddRequest) -> Options:
        prefs = self._prefs
        auto_tmm = (
            bool(prefs.get("auto_tmm_enabled")) if request.auto_tmm is None else request.auto_tmm
        )
        save_path = resolve(request.save_path, prefs.save_path)
        if auto_tmm or not save_path:
            save_path = self._categories.save_path(request.category) if auto_tmm else ""
        stopped = (
            bool(prefs.get("start_paused_enabled") or prefs.get("add_stopped_enabled"))
            if request.stopped is None
            else request.stopped
        )
        return Options(
            added_on=int(self._clock()),
            name=request.rename,
            category=request.category,
            tags=list(request.tags),
            stopped=stopped,
            forced=request.forced and not stopped,
            auto_tmm=auto_tmm,
            save_path=save_path or prefs.save_path,
            download_path=resolve(request.download_path, prefs.save_path),
            ratio_limit=request.ratio_limit,
            seeding_time_limit=request.seeding_time_limit,
            inactive_seeding_time_limit=request.inactive_seeding_time_limit,
            dl_limit=max(request.dl_limit, 0),
            up_limit=max(request.up_limit, 0),
            seq_dl=request.sequential,
            f_l_piece_prio=request.first_last,
        )

    async def _create_classes(self, request: AddRequest) -> None:
        """The category and tags an add names that do not exist yet."""
        if request.category and request.category not in self._categories:
            await self._categories.create_category(request.category, "", None)
        new_tags = [t for t in request.tags if t not in self._tags]
        if new_tags:
            await self._tags.create_tags(new_tags)

    async def restore(self, saved: list[SavedTorrent], resume_dir: Path) -> int:
        """Add the stored torrents back, from resume data where there is some; how many."""

        def sources() -> list[eng.Source]:
            known = {f"{item.hash}.fastresume" for item in saved}
            for orphan in resume_dir.glob("*.fastresume"):  # of adds that were never stored
                if orphan.name not in known:
                    logger.warning("removing resume data of an unknown torrent: %s", orphan.name)
                    with contextlib.suppress(OSError):
                        orphan.unlink()
            out = []
            for item in saved:
                resume = resume_dir / f"{item.hash}.fastresume"
                if resume.exists():
                    out.append(eng.Source(resume=resume.read_bytes()))
                else:
                    out.append(eng.Source(torrent=item.torrent, magnet=item.magnet))
            return out

        engine = self._torrents.engine()
        chosen = await asyncio.to_thread(sources)
        items = [(src, _restore_options(i.options)) for src, i in zip(chosen, saved, strict=True)]
        results = await engine_result(engine.add_many(items))
        retry = [
            (eng.Source(torrent=i.torrent, magnet=i.magnet), _restore_options(i.options))
            for i, src, r in zip(saved, chosen, results, strict=True)
            if isinstance(r, eng.EngineError) and src.resume
        ]
        if retry:
            logger.warning("%d resume files unreadable; adding those torrents afresh", len(retry))
            second = await engine_result(engine.add_many(retry))
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
            self._torrents.register(record, result)
            restored += 1
        return restored


def _restore_options(o: Options) -> eng.AddOptions:
    return eng.AddOptions(
        save_path=working_path(o),
        stopped=o.stopped,
        forced=o.forced,
        sequential=o.seq_dl,
        upload_limit=o.up_limit,
        download_limit=o.dl_limit,
        name=o.name,
    )
