"""What the bridge keeps in the database: its items (every state change is written before it
is acted on or shown), the arrs it knows, and repair jobs."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from torrentstack.clock import Clock
from torrentstack.db.errors import database_errors
from torrentstack.debrid.items import Item, ItemState
from torrentstack.debrid.models import ArrRow, ItemRow, RepairJobRow


class DebridStore:
    def __init__(self, database: AsyncEngine, clock: Clock) -> None:
        self.sessions: async_sessionmaker[AsyncSession] = async_sessionmaker(
            database, expire_on_commit=False
        )
        self.clock = clock

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), UTC)

    # -- items --

    async def items(self) -> list[Item]:
        with database_errors("load the debrid items"):
            async with self.sessions() as db:
                rows = (await db.scalars(select(ItemRow).order_by(ItemRow.added_on))).all()
        return [_item(row) for row in rows]

    async def put_item(self, item: Item) -> None:
        """Insert or update the item as it is now."""
        with database_errors("save a debrid item"):
            async with self.sessions.begin() as db:
                row = await db.get(ItemRow, item.hash)
                if row is None:
                    row = ItemRow(hash=item.hash)
                    db.add(row)
                _fill(row, item)

    async def delete_items(self, hashes: Sequence[str]) -> None:
        if not hashes:
            return
        with database_errors("delete debrid items"):
            async with self.sessions.begin() as db:
                await db.execute(delete(ItemRow).where(ItemRow.hash.in_(list(hashes))))

    # -- arrs --

    async def arrs(self) -> list[tuple[str, str, str, str]]:
        """(name, host, token, source) of every arr known."""
        with database_errors("load the arrs"):
            async with self.sessions() as db:
                rows = (await db.scalars(select(ArrRow).order_by(ArrRow.name))).all()
        return [(r.name, r.host, r.token, r.source) for r in rows]

    async def put_arr(self, name: str, host: str, token: str, source: str) -> None:
        with database_errors("save an arr"):
            async with self.sessions.begin() as db:
                row = await db.get(ArrRow, name)
                if row is None:
                    row = ArrRow(name=name)
                    db.add(row)
                row.host, row.token, row.source, row.updated_at = host, token, source, self.now()

    # -- repair jobs (rows; `repair_jobs.JobRows` maps them to jobs) --

    async def repair_rows(self) -> list[RepairJobRow]:
        with database_errors("load the repair jobs"):
            async with self.sessions() as db:
                rows = await db.scalars(select(RepairJobRow).order_by(RepairJobRow.created_at))
                return list(rows.all())

    async def put_repair_row(self, values: dict[str, object]) -> None:
        with database_errors("save a repair job"):
            async with self.sessions.begin() as db:
                row = await db.get(RepairJobRow, values["id"])
                if row is None:
                    row = RepairJobRow()
                    db.add(row)
                for key, value in values.items():
                    setattr(row, key, value)

    async def delete_repair_rows(self, ids: Sequence[str]) -> None:
        if not ids:
            return
        with database_errors("delete repair jobs"):
            async with self.sessions.begin() as db:
                await db.execute(delete(RepairJobRow).where(RepairJobRow.id.in_(list(ids))))


def _fill(row: ItemRow, item: Item) -> None:
    row.name, row.category, row.tags = item.name, item.category, ",".join(item.tags)
    row.state, row.provider, row.remote_id = item.state.value, item.provider, item.remote_id
    row.action, row.uncached, row.callback_url = item.action, item.uncached, item.callback_url
    row.magnet, row.torrent, row.size = item.magnet, item.torrent, item.size
    row.progress, row.speed, row.seeders = item.progress, item.speed, item.seeders
    row.files, row.save_path, row.content_path = (
        item.files_json(),
        item.save_path,
        item.content_path,
    )
    row.error, row.added_on, row.completed_on = item.error, item.added_on, item.completed_on


def _item(row: ItemRow) -> Item:
    return Item(
        hash=row.hash, name=row.name, category=row.category, action=row.action,
        save_path=row.save_path, added_on=row.added_on, state=ItemState(row.state),
        tags=tuple(t for t in row.tags.split(",") if t), provider=row.provider,
        remote_id=row.remote_id, uncached=row.uncached, callback_url=row.callback_url,
        magnet=row.magnet, torrent=row.torrent, size=row.size, progress=row.progress,
        speed=row.speed, seeders=row.seeders, files=Item.files_from_json(row.files),
        content_path=row.content_path, error=row.error, completed_on=row.completed_on,
    )  # fmt: skip
