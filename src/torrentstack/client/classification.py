"""Categories (with save paths and automatic torrent management), locations and tags
(a mixin of `ClientBackend`)."""

from __future__ import annotations

import asyncio
import os
from typing import Any

from torrentstack.client import engine as eng
from torrentstack.client.host import (
    Host,
    engine_result,
    same_path,
)
from torrentstack.client.records import TorrentRecord
from torrentstack.qbittorrent.errors import AccessDenied, BadParams, Conflict


class Classification:
    def category_save_path(self: Host, name: str) -> str:
        path = self.categories.get(name, ("", None))[0]
        if not name:
            return self.prefs.save_path
        return path or os.path.join(self.prefs.save_path, name)

    def _set_category(self: Host, name: str, save_path: str, download_path: str | None) -> None:
        self.categories[name] = (save_path, download_path)
        obj: dict[str, Any] = {"name": name, "savePath": save_path}
        if download_path is not None:
            obj["download_path"] = download_path
        self.maindata.put_category(name, obj)

    def category_objects(self: Host) -> dict[str, dict[str, Any]]:
        return dict(self.maindata.categories)

    async def create_category(
        self: Host, name: str, save_path: str, download_path: str | None
    ) -> None:
        if not name:
            raise BadParams("Category cannot be empty")
        if not valid_category_name(name):
            raise Conflict("Incorrect category name")
        if name in self.categories:
            raise Conflict("Unable to create category")
        self._set_category(name, save_path, download_path)
        await self.store.put_category(name, save_path, download_path)

    async def edit_category(
        self: Host, name: str, save_path: str, download_path: str | None
    ) -> None:
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

    async def remove_categories(self: Host, names: list[str]) -> None:
        gone = [n for n in names if n in self.categories]
        for name in gone:
            del self.categories[name]
            self.maindata.remove_category(name)
        affected = [r for r in self.records.values() if r.options.category in gone]
        for record in affected:
            record.options.category = ""
        await self.store.remove_categories(gone)
        await self._changed([r.hash for r in affected])

    async def set_category(self: Host, hashes: list[str], name: str) -> None:
        if name and name not in self.categories:
            raise Conflict("Incorrect category name")
        chosen = self.hashes(hashes)
        records = [self.records[h] for h in chosen]
        for record in records:
            record.options.category = name
        await self._apply_auto_tmm([r for r in records if r.options.auto_tmm])
        await self._changed(chosen)

    async def set_auto_tmm(self: Host, hashes: list[str], on: bool) -> None:
        chosen = self.hashes(hashes)
        for hash_ in chosen:
            self.records[hash_].options.auto_tmm = on
        if on:
            await self._apply_auto_tmm([self.records[h] for h in chosen])
        await self._changed(chosen)

    async def _apply_auto_tmm(self: Host, records: list[TorrentRecord]) -> None:
        """Automatic torrent management: each torrent's data goes to its category's path."""
        engine = self._engine()
        for record in records:
            target = self.category_save_path(record.options.category)
            if same_path(target, record.options.save_path):
                continue
            await self._move(engine, record, target)

    async def _move(self: Host, engine: eng.Engine, record: TorrentRecord, target: str) -> None:
        try:
            await asyncio.to_thread(os.makedirs, target, exist_ok=True)
        except OSError:
            raise Conflict(f"Cannot make save path: {target}") from None
        await engine_result(engine.move([record.hash], target))
        record.options.save_path = target

    async def set_location(self: Host, hashes: list[str], location: str) -> None:
        await usable_directory(location)
        chosen = self.hashes(hashes)
        engine = self._engine()
        for hash_ in chosen:
            record = self.records[hash_]
            record.options.auto_tmm = False
            await self._move(engine, record, location)
        await self._changed(chosen)

    async def set_path(self: Host, hashes: list[str], path: str, kind: str) -> None:
        """setSavePath (moves the data) / setDownloadPath: 409 if the directory cannot be
        made, 403 if it is not writable (as qBittorrent)."""
        await usable_directory(path)
        if kind == "download":
            for hash_ in hashes:
                self.records[hash_].options.download_path = path
            await self._changed(hashes)
            return
        await self.set_location(hashes, path)

    def _add_tag(self: Host, tag: str) -> None:
        self.tags[tag] = None
        self.maindata.add_tag(tag)

    async def create_tags(self: Host, tags: list[str]) -> None:
        new = [t for t in tags if valid_tag(t) and t not in self.tags]
        for tag in new:
            self._add_tag(tag)
        await self.store.put_tags(new)

    async def delete_tags(self: Host, tags: list[str]) -> None:
        gone = [t for t in tags if t in self.tags]
        for tag in gone:
            del self.tags[tag]
            self.maindata.remove_tag(tag)
        affected = [r for r in self.records.values() if set(r.options.tags) & set(gone)]
        for record in affected:
            record.options.tags = [t for t in record.options.tags if t not in gone]
        await self.store.remove_tags(gone)
        await self._changed([r.hash for r in affected])

    async def add_tags(self: Host, hashes: list[str], tags: list[str]) -> None:
        valid = [t for t in tags if valid_tag(t)]
        await self.create_tags(valid)
        chosen = self.hashes(hashes)
        for hash_ in chosen:
            options = self.records[hash_].options
            options.tags = list(dict.fromkeys([*options.tags, *valid]))
        await self._changed(chosen)

    async def remove_tags(self: Host, hashes: list[str], tags: list[str]) -> None:
        chosen = self.hashes(hashes)
        for hash_ in chosen:
            options = self.records[hash_].options
            options.tags = [t for t in options.tags if tags and t not in tags]
        await self._changed(chosen)

    async def set_tags(self: Host, hashes: list[str], tags: list[str]) -> None:
        valid = [t for t in tags if valid_tag(t)]
        await self.create_tags(valid)
        chosen = self.hashes(hashes)
        for hash_ in chosen:
            self.records[hash_].options.tags = list(valid)
        await self._changed(chosen)


async def usable_directory(path: str) -> None:
    """Make the directory: 400 for an empty path, 409 when it cannot be made, 403 when it
    cannot be written (qBittorrent's setLocation / setSavePath)."""
    if not path.strip():
        raise BadParams("Save path cannot be empty")
    try:
        await asyncio.to_thread(os.makedirs, path, exist_ok=True)
    except OSError:
        raise Conflict(f"Cannot make save path: {path}") from None
    if not await asyncio.to_thread(os.access, path, os.W_OK):
        raise AccessDenied(f"Cannot write to directory: {path}")


def valid_category_name(name: str) -> bool:
    """qBittorrent's `isValidCategoryName`: no backslash, no empty path component."""
    if "\\" in name or name.startswith("/") or name.endswith("/") or "//" in name:
        return False
    return bool(name.strip())


def valid_tag(tag: str) -> bool:
    return bool(tag.strip()) and "," not in tag
