"""Actions on torrents: delete, stop/start, force, queue, limits, flags, pieces, trackers,
web seeds, file priorities, names, export (a mixin of `ClientBackend`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from torrentstack.client import engine as eng
from torrentstack.client.host import TO_LT, Host, engine_result
from torrentstack.qbittorrent.errors import BadParams, Conflict

_QUEUE_MOVES = {
    "top": eng.QueueMove.TOP,
    "bottom": eng.QueueMove.BOTTOM,
    "up": eng.QueueMove.UP,
    "down": eng.QueueMove.DOWN,
}


class TorrentEdits:
    async def delete(self: Host, hashes: list[str], delete_files: bool) -> None:
        chosen = [h for h in hashes if h in self.records]
        if not chosen:
            return
        await engine_result(self._engine().remove(chosen, delete_files))
        for hash_ in chosen:
            record = self.records.pop(hash_)
            self._cache.pop(hash_, None)
            self._early_status.pop(hash_, None)
            self._set_trackers(record, set())
            self.maindata.remove_torrent(hash_)
            self.log.add("info", f"Removed torrent: {record.display_name}")
        await self.store.remove_torrents(chosen)

    async def add_peers(
        self: Host, hashes: list[str], peers: list[tuple[str, int]]
    ) -> dict[str, dict[str, int]]:
        """`torrents/addPeers`: per torrent, how many peers were taken and how many failed."""
        added = await engine_result(self._engine().connect_peers(self.hashes(hashes), peers))
        return {h: {"added": n, "failed": len(peers) - n} for h, n in added.items()}

    async def set_stopped(self: Host, hashes: list[str], stopped: bool) -> None:
        chosen = [h for h in hashes if h in self.records]
        if not stopped:
            self._limit_reached.difference_update(chosen)
        engine = self._engine()
        await engine_result(engine.stop(chosen) if stopped else engine.start(chosen))
        for hash_ in chosen:
            options = self.records[hash_].options
            options.stopped = stopped
            if not stopped:
                options.forced = False
        await self._changed(chosen)

    async def set_forced(self: Host, hashes: list[str], forced: bool) -> None:
        chosen = [h for h in hashes if h in self.records]
        engine = self._engine()
        if forced:
            await engine_result(engine.start(chosen, forced=True))
        else:
            await engine_result(engine.start(chosen))
        for hash_ in chosen:
            options = self.records[hash_].options
            options.forced = forced
            options.stopped = False
        await self._changed(chosen)

    async def recheck(self: Host, hashes: list[str]) -> None:
        await engine_result(self._engine().recheck(self.hashes(hashes)))

    async def reannounce(self: Host, hashes: list[str]) -> None:
        await engine_result(self._engine().reannounce(self.hashes(hashes)))

    async def queue(self: Host, hashes: list[str], where: str) -> None:
        if not self.prefs.queueing:
            raise Conflict("Torrent queueing must be enabled")
        chosen = self.hashes(hashes)
        await engine_result(self._engine().queue(chosen, _QUEUE_MOVES[where]))
        await self._refresh_from_engine(list(self.records))

    async def set_share_limits(
        self: Host, hashes: list[str], ratio: float, seeding_time: int, inactive: int
    ) -> None:
        chosen = self.hashes(hashes)
        for hash_ in chosen:
            options = self.records[hash_].options
            options.ratio_limit = ratio
            options.seeding_time_limit = seeding_time
            options.inactive_seeding_time_limit = inactive
        await self._changed(chosen)

    async def set_limit(
        self: Host, hashes: list[str], *, download: int | None, upload: int | None
    ) -> None:
        chosen = self.hashes(hashes)
        await engine_result(self._engine().set_limits(chosen, download=download, upload=upload))
        for hash_ in chosen:
            options = self.records[hash_].options
            if download is not None:
                options.dl_limit = max(download, 0)
            if upload is not None:
                options.up_limit = max(upload, 0)
        await self._changed(chosen)

    async def toggle(self: Host, hashes: list[str], what: str) -> None:
        """toggleSequentialDownload / toggleFirstLastPiecePrio."""
        chosen = self.hashes(hashes)
        engine = self._engine()
        for hash_ in chosen:
            options = self.records[hash_].options
            if what == "seq_dl":
                options.seq_dl = not options.seq_dl
                await engine_result(
                    engine.set_flag([hash_], eng.TorrentFlag.SEQUENTIAL_DOWNLOAD, options.seq_dl)
                )
            else:
                options.f_l_piece_prio = not options.f_l_piece_prio
                await engine_result(engine.first_last([hash_], options.f_l_piece_prio))
        await self._changed(chosen)

    async def set_super_seeding(self: Host, hashes: list[str], on: bool) -> None:
        chosen = self.hashes(hashes)
        await engine_result(self._engine().set_flag(chosen, eng.TorrentFlag.SUPER_SEEDING, on))
        for hash_ in chosen:
            self.records[hash_].options.super_seeding = on
        await self._changed(chosen)

    async def piece_states(self: Host, hash_: str) -> list[int]:
        """0 missing, 1 downloading, 2 have (as qBittorrent)."""
        record = self.record(hash_)
        if record.metadata is None:
            return []
        have, downloading = await engine_result(self._engine().pieces(hash_))
        return [2 if got else 1 if i in downloading else 0 for i, got in enumerate(have)]

    async def piece_hashes(self: Host, hash_: str) -> list[str]:
        self.record(hash_)
        return await engine_result(self._engine().piece_hashes(hash_))

    async def web_seeds(
        self: Host, hash_: str, add: Sequence[str] = (), remove: Sequence[str] = ()
    ) -> list[str]:
        self.record(hash_)
        return await engine_result(self._engine().web_seeds(hash_, add, remove))

    async def edit_trackers(
        self: Host, hash_: str, *, add: Sequence[str] = (), remove: Sequence[str] = (),
        replace: tuple[str, str] | None = None,
    ) -> None:  # fmt: skip
        """addTrackers / removeTrackers / editTracker (409 as qBittorrent for bad edits)."""
        record = self.record(hash_)
        engine = self._engine()
        current = [(t.url, t.tier) for t in await engine_result(engine.trackers(hash_))]
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
        await engine_result(engine.replace_trackers(hash_, current))
        self._set_trackers(record, {url for url, _ in current})
        self._refresh(record)

    async def set_file_priority(self: Host, hash_: str, indexes: list[int], priority: int) -> None:
        record = self.record(hash_)
        if priority not in TO_LT:
            raise BadParams("Priority is invalid")
        if record.metadata is None:
            raise Conflict("Torrent's metadata has not yet downloaded")
        count = len(record.metadata.files)
        if any(not 0 <= i < count for i in indexes):
            raise Conflict("File IDs must be integers between 0 and the number of files")
        await engine_result(
            self._engine().file_priorities(hash_, {i: TO_LT[priority] for i in indexes})
        )
        await self._refresh_from_engine([hash_])

    async def rename(self: Host, hash_: str, name: str) -> None:
        record = self.record(hash_)
        if not name.strip():
            raise Conflict("Incorrect torrent name")
        record.options.name = name.strip()
        await self._changed([hash_])

    async def rename_path(self: Host, hash_: str, old: str, new: str, folder: bool) -> None:
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
            await engine_result(engine.rename_file(hash_, index, path))
        files = tuple(replace(f, path=moves.get(f.index, f.path)) for f in md.files)
        record.metadata = replace(md, files=files)
        self._refresh(record)

    async def export(self: Host, hash_: str) -> bytes:
        record = self.record(hash_)
        if record.metadata is None:
            raise Conflict("Torrent's metadata has not yet downloaded")
        return await engine_result(self._engine().export(hash_))
