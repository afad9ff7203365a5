"""The categories part (the API's `Categories`): categories with their save paths (kept in
`MainData` and the store), torrents' categories and automatic torrent management, which
moves a torrent's data to its category's path."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from torrentstack.client.paths import InvalidPath, check, resolve
from torrentstack.client.preferences import Preferences
from torrentstack.client.records import TorrentRecord, same_path
from torrentstack.client.store import ClientStore
from torrentstack.client.torrent_edits import TorrentEdits
from torrentstack.client.torrents import Torrents
from torrentstack.qbittorrent.errors import BadParams, Conflict


class Categories:
    def __init__(
        self,
        *,
        torrents: Torrents,
        edits: TorrentEdits,
        prefs: Preferences,
        store: ClientStore,
    ) -> None:
        self._torrents = torrents
        self._edits = edits
        self._prefs = prefs
        self._store = store
        self._categories: dict[str, tuple[str, str | None]] = {}  # name: (save, download path)

    def load(self, stored: Mapping[str, tuple[str, str | None]]) -> None:
        for name, (path, download) in stored.items():
            self._put(name, path, download)

    def _put(self, name: str, save_path: str, download_path: str | None) -> None:
        self._categories[name] = (save_path, download_path)
        obj: dict[str, Any] = {"name": name, "savePath": save_path}
        if download_path is not None:
            obj["download_path"] = download_path
        self._torrents.maindata.put_category(name, obj)

    def __contains__(self, name: object) -> bool:
        return name in self._categories

    def save_path(self, name: str) -> str:
        """Where automatic management puts a torrent of this category."""
        path = self._categories.get(name, ("", None))[0]
        if not name:
            return self._prefs.save_path
        # a relative category path lies below the default save path, as in qBittorrent
        return resolve(path, self._prefs.save_path) or os.path.join(self._prefs.save_path, name)

    def category_objects(self) -> dict[str, dict[str, Any]]:
        return dict(self._torrents.maindata.categories)

    async def create_category(self, name: str, save_path: str, download_path: str | None) -> None:
        if not name:
            raise BadParams("Category cannot be empty")
        if not valid_category_name(name):
            raise Conflict("Incorrect category name")
        if name in self._categories:
            raise Conflict("Unable to create category")
        _check_paths(save_path, download_path, "Unable to create category")
        await self._store.put_category(name, save_path, download_path)  # stored, then shown
        self._put(name, save_path, download_path)

    async def edit_category(self, name: str, save_path: str, download_path: str | None) -> None:
        if not name:
            raise BadParams("Category cannot be empty")
        if name not in self._categories:
            raise Conflict("Category editing failed")
        _check_paths(save_path, download_path, "Category editing failed")
        await self._store.put_category(name, save_path, download_path)
        self._put(name, save_path, download_path)
        moved = [
            r for r in self._torrents.records() if r.options.category == name and r.options.auto_tmm
        ]
        await self._apply_auto_tmm(moved)

    async def remove_categories(self, names: list[str]) -> None:
        gone = [n for n in names if n in self._categories]
        await self._store.remove_categories(gone)
        for name in gone:
            del self._categories[name]
            self._torrents.maindata.remove_category(name)
        affected = [r for r in self._torrents.records() if r.options.category in gone]
        for record in affected:
            record.options.category = ""
        await self._torrents.changed([r.hash for r in affected])

    async def set_category(self, hashes: list[str], name: str) -> None:
        if name and name not in self._categories:
            raise Conflict("Incorrect category name")
        records = self._torrents.records(hashes)
        for record in records:
            record.options.category = name
        await self._apply_auto_tmm([r for r in records if r.options.auto_tmm])
        await self._torrents.changed([r.hash for r in records])

    async def set_auto_tmm(self, hashes: list[str], on: bool) -> None:
        records = self._torrents.records(hashes)
        for record in records:
            record.options.auto_tmm = on
        if on:
            await self._apply_auto_tmm(records)
        await self._torrents.changed([r.hash for r in records])

    async def _apply_auto_tmm(self, records: list[TorrentRecord]) -> None:
        """Automatic torrent management: each torrent's data goes to its category's path."""
        engine = self._torrents.engine()
        for record in records:
            target = self.save_path(record.options.category)
            if same_path(target, record.options.save_path):
                continue
            await self._edits.move(engine, record, target)


def valid_category_name(name: str) -> bool:
    """qBittorrent's `isValidCategoryName`: no backslash, no empty path component."""
    if "\\" in name or name.startswith("/") or name.endswith("/") or "//" in name:
        return False
    return bool(name.strip())


def _check_paths(save_path: str, download_path: str | None, refusal: str) -> None:
    try:
        check(save_path)
        check(download_path or "")
    except InvalidPath:
        raise Conflict(refusal) from None
