"""The client's persistence: every change is committed before the API answers.

Torrents are stored with their source (.torrent bytes or magnet) and options; libtorrent's
progress lives in the engine's resume files. One transaction per API call, however many
torrents it touches.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from torrentstack.client.models import StoredCategory, StoredPreference, StoredTag, StoredTorrent
from torrentstack.client.records import Options
from torrentstack.db.errors import database_errors


@dataclass(frozen=True, slots=True)
class SavedTorrent:
    hash: str
    torrent: bytes
    magnet: str
    options: Options


@dataclass(frozen=True, slots=True)
class Saved:
    torrents: list[SavedTorrent]
    categories: dict[str, tuple[str, str | None]]  # name -> (save path, download path)
    tags: list[str]
    preferences: dict[str, Any]


class ClientStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def load(self) -> Saved:
        with database_errors("load the client's state"):
            async with self.engine.connect() as conn:
                torrents = (await conn.execute(select(StoredTorrent.__table__))).all()
                categories = (await conn.execute(select(StoredCategory.__table__))).all()
                tags = (await conn.execute(select(StoredTag.name))).scalars().all()
                prefs = (await conn.execute(select(StoredPreference.__table__))).all()
        return Saved(
            torrents=[
                SavedTorrent(t.hash, t.torrent, t.magnet, Options.from_json(json.loads(t.options)))
                for t in torrents
            ],
            categories={c.name: (c.save_path, c.download_path) for c in categories},
            tags=list(tags),
            preferences={p.key: json.loads(p.value) for p in prefs},
        )

    async def put_torrents(self, torrents: Iterable[SavedTorrent]) -> None:
        rows = [
            {
                "hash": t.hash,
                "torrent": t.torrent,
                "magnet": t.magnet,
                "options": json.dumps(t.options.to_json()),
            }
            for t in torrents
        ]
        if rows:
            await self._replace(StoredTorrent, "hash", rows)

    async def options(self, hashes: Sequence[str]) -> dict[str, Options]:
        """The stored options of these torrents (those that are stored)."""
        with database_errors("load torrent options"):
            async with self.engine.connect() as conn:
                rows = (
                    await conn.execute(
                        select(StoredTorrent.hash, StoredTorrent.options).where(
                            StoredTorrent.hash.in_(list(hashes))
                        )
                    )
                ).all()
        return {row.hash: Options.from_json(json.loads(row.options)) for row in rows}

    async def put_options(self, options: Mapping[str, Options]) -> None:
        """Rewrite the options of stored torrents."""
        if not options:
            return
        with database_errors("save torrent options"):
            async with self.engine.begin() as conn:
                for hash_, opts in options.items():
                    await conn.execute(
                        update(StoredTorrent)
                        .where(StoredTorrent.hash == hash_)
                        .values(options=json.dumps(opts.to_json()))
                    )

    async def remove_torrents(self, hashes: Iterable[str]) -> None:
        await self._delete(StoredTorrent, StoredTorrent.hash, list(hashes))

    async def put_category(self, name: str, save_path: str, download_path: str | None) -> None:
        row = {"name": name, "save_path": save_path, "download_path": download_path}
        await self._replace(StoredCategory, "name", [row])

    async def remove_categories(self, names: Iterable[str]) -> None:
        await self._delete(StoredCategory, StoredCategory.name, list(names))

    async def put_tags(self, names: Iterable[str]) -> None:
        rows = [{"name": name} for name in names]
        if rows:
            await self._replace(StoredTag, "name", rows)

    async def remove_tags(self, names: Iterable[str]) -> None:
        await self._delete(StoredTag, StoredTag.name, list(names))

    async def put_preferences(self, values: Mapping[str, Any]) -> None:
        rows = [{"key": k, "value": json.dumps(v)} for k, v in values.items()]
        if rows:
            await self._replace(StoredPreference, "key", rows)

    async def _replace(self, model: Any, key: str, rows: list[dict[str, Any]]) -> None:
        table = model.__table__
        column = table.c[key]
        with database_errors(f"save {table.name}"):
            async with self.engine.begin() as conn:
                for start in range(0, len(rows), 500):
                    chunk = rows[start : start + 500]
                    await conn.execute(delete(table).where(column.in_([r[key] for r in chunk])))
                    await conn.execute(table.insert(), chunk)

    async def _delete(self, model: Any, column: Any, keys: list[str]) -> None:
        if not keys:
            return
        with database_errors("delete client state"):
            async with self.engine.begin() as conn:
                for start in range(0, len(keys), 500):
                    await conn.execute(delete(model).where(column.in_(keys[start : start + 500])))
