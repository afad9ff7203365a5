"""The editing part (the API's `TorrentEditor`): locations (moving data), trackers, file
priorities, names."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Sequence
from dataclasses import replace

from torrentstack.client import engine as eng
from torrentstack.client.paths import InvalidPath, resolve
from torrentstack.client.preferences import Preferences
from torrentstack.client.records import TorrentRecord
from torrentstack.client.torrents import Torrents, engine_result
from torrentstack.qbittorrent.errors import AccessDenied, BadParams, Conflict


class TorrentEdits:
    def __init__(self, *, torrents: Torrents, prefs: Preferences) -> None:
        self._torrents = torrents
        self._prefs = prefs

    def _default_save_path(self) -> str:
        return self._prefs.save_path

    # -- locations --

    async def move(self, engine: eng.Engine, record: TorrentRecord, target: str) -> None:
        """Move the torrent's data to `target` (made if missing) and keep it as its save path."""
        try:
            await asyncio.to_thread(os.makedirs, target, exist_ok=True)
        except OSError:
            raise Conflict(f"Cannot make save path: {target}") from None
        await engine_result(engine.move([record.hash], target))
        record.options.save_path = target

    async def set_location(self, hashes: list[str], location: str) -> None:
        location = await usable_directory(location, self._default_save_path())
        engine = self._torrents.engine()
        records = self._torrents.records(hashes)
        for record in records:
            record.options.auto_tmm = False
            await self.move(engine, record, location)
        await self._torrents.changed([r.hash for r in records])

    async def set_save_path(self, hashes: list[str], path: str) -> None:
        """setSavePath moves the data: 409 if the directory cannot be made, 403 if it is not
        writable (as qBittorrent)."""
        await self.set_location(hashes, path)

    async def set_download_path(self, hashes: list[str], path: str) -> None:
        path = await usable_directory(path, self._default_save_path())
        for record in self._torrents.records(hashes):
            record.options.download_path = path
        await self._torrents.changed(hashes)

    # -- trackers, files, names --

    async def edit_trackers(
        self, hash_: str, *, add: Sequence[str] = (), remove: Sequence[str] = (),
        replace: tuple[str, str] | None = None,
    ) -> None:  # fmt: skip
        """addTrackers / removeTrackers / editTracker (409 as qBittorrent for bad edits)."""
        record = self._torrents.record(hash_)
        engine = self._torrents.engine()
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
        self._torrents.set_trackers(record, {url for url, _ in current})
        self._torrents.refresh(record)

    async def set_file_priority(self, hash_: str, indexes: list[int], priority: int) -> None:
        record = self._torrents.record(hash_)
        try:
            wanted = eng.FilePriority(priority)
        except ValueError:
            raise BadParams("Priority is invalid") from None
        if record.metadata is None:
            raise Conflict("Torrent's metadata has not yet downloaded")
        count = len(record.metadata.files)
        if any(not 0 <= i < count for i in indexes):
            raise Conflict("File IDs must be integers between 0 and the number of files")
        native = [record.metadata.files[i].index for i in indexes]  # padding files skipped
        await engine_result(
            self._torrents.engine().file_priorities(hash_, dict.fromkeys(native, wanted))
        )
        await self._torrents.refresh_from_engine([hash_])

    async def rename(self, hash_: str, name: str) -> None:
        record = self._torrents.record(hash_)
        if not name.strip():
            raise Conflict("Incorrect torrent name")
        record.options.name = name.strip()
        await self._torrents.changed([hash_])

    async def rename_path(self, hash_: str, old: str, new: str, folder: bool) -> None:
        """renameFile (one file) or renameFolder (every file under a folder)."""
        record = self._torrents.record(hash_)
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
        engine = self._torrents.engine()
        for index, path in moves.items():
            await engine_result(engine.rename_file(hash_, index, path))
        files = tuple(replace(f, path=moves.get(f.index, f.path)) for f in md.files)
        record.metadata = replace(md, files=files)
        self._torrents.refresh(record)


async def usable_directory(path: str, base: str) -> str:
    """Make the directory (a relative path lies below `base`) and return its absolute path:
    400 for an empty path, 409 when it cannot be made (a NUL in it too), 403 when it cannot be
    written (qBittorrent's setLocation / setSavePath)."""
    if not path.strip():
        raise BadParams("Save path cannot be empty")
    try:
        path = resolve(path, base)
        await asyncio.to_thread(os.makedirs, path, exist_ok=True)
    except (OSError, InvalidPath):
        raise Conflict(f"Cannot make save path: {path}") from None
    if not await asyncio.to_thread(os.access, path, os.W_OK):
        raise AccessDenied(f"Cannot write to directory: {path}")
    return path
