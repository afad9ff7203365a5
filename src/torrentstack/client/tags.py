"""The tags part (the API's `Tags`): the tag list (kept in `MainData` and the store) and the
tags of torrents."""

from __future__ import annotations

from collections.abc import Iterable

from torrentstack.client.store import ClientStore
from torrentstack.client.torrents import Torrents


class Tags:
    def __init__(self, *, torrents: Torrents, store: ClientStore) -> None:
        self._torrents = torrents
        self._store = store
        self._tags: dict[str, None] = {}  # ordered set

    def load(self, stored: Iterable[str]) -> None:
        for tag in stored:
            self._add(tag)

    def _add(self, tag: str) -> None:
        self._tags[tag] = None
        self._torrents.maindata.add_tag(tag)

    def tag_names(self) -> list[str]:
        return list(self._tags)

    def __contains__(self, tag: object) -> bool:
        return tag in self._tags

    async def create_tags(self, tags: list[str]) -> None:
        new = [t for t in tags if valid_tag(t) and t not in self._tags]
        await self._store.put_tags(new)  # stored, then shown
        for tag in new:
            self._add(tag)

    async def delete_tags(self, tags: list[str]) -> None:
        gone = [t for t in tags if t in self._tags]
        await self._store.remove_tags(gone)
        for tag in gone:
            del self._tags[tag]
            self._torrents.maindata.remove_tag(tag)
        affected = [r for r in self._torrents.records() if set(r.options.tags) & set(gone)]
        for record in affected:
            record.options.tags = [t for t in record.options.tags if t not in gone]
        await self._torrents.changed([r.hash for r in affected])

    async def add_tags(self, hashes: list[str], tags: list[str]) -> None:
        valid = [t for t in tags if valid_tag(t)]
        await self.create_tags(valid)
        for record in self._torrents.records(hashes):
            options = record.options
            options.tags = list(dict.fromkeys([*options.tags, *valid]))
        await self._torrents.changed(hashes)

    async def remove_tags(self, hashes: list[str], tags: list[str]) -> None:
        for record in self._torrents.records(hashes):
            options = record.options
            options.tags = [t for t in options.tags if tags and t not in tags]
        await self._torrents.changed(hashes)

    async def set_tags(self, hashes: list[str], tags: list[str]) -> None:
        valid = [t for t in tags if valid_tag(t)]
        await self.create_tags(valid)
        for record in self._torrents.records(hashes):
            record.options.tags = list(valid)
        await self._torrents.changed(hashes)


def valid_tag(tag: str) -> bool:
    return bool(tag.strip()) and "," not in tag
