"""Reading and writing the tracker's durable state (whitelist, keys, completed counts, links).

Database errors become `DatabaseError` here, where SQLAlchemy enters (`db.errors`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine

from torrentstack.db.errors import database_errors
from torrentstack.tracker.models import HashLink, TorrentStats, TrackerKey, WhitelistEntry
from torrentstack.tracker.policy import AuthKey


def _upsert(engine: AsyncEngine):  # type: ignore[no-untyped-def]  # two dialects' insert()
    return postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert


async def load_whitelist(engine: AsyncEngine) -> set[bytes]:
    with database_errors("load the tracker whitelist"):
        async with engine.connect() as conn:
            rows = await conn.execute(select(WhitelistEntry.info_hash))
            return {bytes.fromhex(h) for (h,) in rows}


async def add_to_whitelist(engine: AsyncEngine, info_hash: bytes) -> None:
    insert = _upsert(engine)
    with database_errors("add to the tracker whitelist"):
        async with engine.begin() as conn:
            await conn.execute(
                insert(WhitelistEntry).values(info_hash=info_hash.hex()).on_conflict_do_nothing()
            )


async def remove_from_whitelist(engine: AsyncEngine, info_hash: bytes) -> None:
    with database_errors("remove from the tracker whitelist"):
        async with engine.begin() as conn:
            await conn.execute(
                delete(WhitelistEntry).where(WhitelistEntry.info_hash == info_hash.hex())
            )


async def load_keys(engine: AsyncEngine) -> list[AuthKey]:
    with database_errors("load the tracker keys"):
        async with engine.connect() as conn:
            rows = await conn.execute(select(TrackerKey.key, TrackerKey.valid_until))
            return [
                AuthKey(key, None if until is None else until.timestamp()) for key, until in rows
            ]


async def save_key(engine: AsyncEngine, key: AuthKey) -> bool:
    """Store a new key; return False when that key exists already."""
    until = None if key.valid_until is None else datetime.fromtimestamp(key.valid_until, UTC)
    insert = _upsert(engine)
    with database_errors("save a tracker key"):
        async with engine.begin() as conn:
            result = await conn.execute(
                insert(TrackerKey).values(key=key.key, valid_until=until).on_conflict_do_nothing()
            )
            return bool(result.rowcount)


async def delete_key(engine: AsyncEngine, key: str) -> bool:
    """Delete a key; return whether it existed."""
    with database_errors("delete a tracker key"):
        async with engine.begin() as conn:
            result = await conn.execute(delete(TrackerKey).where(TrackerKey.key == key))
            return bool(result.rowcount)


async def load_completed(engine: AsyncEngine) -> dict[bytes, int]:
    with database_errors("load completed counts"):
        async with engine.connect() as conn:
            rows = await conn.execute(select(TorrentStats.info_hash, TorrentStats.completed))
            return {bytes.fromhex(h): n for h, n in rows}


async def add_completed(engine: AsyncEngine, increments: Mapping[bytes, int]) -> None:
    """Add to the completed counts in one transaction (safe with several tracker processes)."""
    if not increments:
        return
    insert = _upsert(engine)
    with database_errors("save completed counts"):
        async with engine.begin() as conn:
            for info_hash, n in sorted(increments.items()):
                stmt = insert(TorrentStats).values(info_hash=info_hash.hex(), completed=n)
                await conn.execute(
                    stmt.on_conflict_do_update(
                        index_elements=[TorrentStats.info_hash],
                        set_={"completed": TorrentStats.completed + n},
                    )
                )


async def load_links(engine: AsyncEngine) -> dict[bytes, bytes]:
    """Return alias -> primary for every linked hybrid hash."""
    with database_errors("load hash links"):
        async with engine.connect() as conn:
            rows = await conn.execute(select(HashLink.alias, HashLink.primary))
            return {bytes.fromhex(a): bytes.fromhex(p) for a, p in rows}


async def save_link(engine: AsyncEngine, primary: bytes, alias: bytes) -> None:
    insert = _upsert(engine)
    with database_errors("save a hash link"):
        async with engine.begin() as conn:
            stmt = insert(HashLink).values(alias=alias.hex(), primary=primary.hex())
            await conn.execute(
                stmt.on_conflict_do_update(
                    index_elements=[HashLink.alias], set_={"primary": primary.hex()}
                )
            )
