"""The tag list: listing with usage counts (and a prefix for autocomplete), creating, deleting
(the database's cascade unbinds the tag from every torrent in the same statement), and
`tags_by_name` for the domains that tag torrents.

Names are kept in their normal form (`names.fold_tag`), so lookups are exact matches. Lists are
in code-point order on both databases (PostgreSQL's locale collations would order punctuation
differently from SQLite).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

from sqlalchemy import delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from torrentstack.site.catalog.names import fold_tag, tag_problem
from torrentstack.site.catalog.schemas import INT32_MAX, TagOut
from torrentstack.site.errors import AlreadyExists, InvalidRequest, Missing
from torrentstack.site.models import Tag, Torrent, TorrentTag

_BYTE_ORDER = {"postgresql": "C", "sqlite": "BINARY"}


def _dialect(db: AsyncSession) -> str:
    return db.get_bind().dialect.name


def tag_name(raw: str) -> str:
    """`raw` in the normal form; InvalidRequest when it makes no valid tag."""
    name = fold_tag(raw)
    problem = tag_problem(name)
    if problem is not None:
        raise InvalidRequest(problem, data={"name": raw})
    return name


async def list_tags(db: AsyncSession, prefix: str = "", limit: int | None = None) -> list[TagOut]:
    """Tags by name with how many visible torrents carry each; those starting with `prefix`
    (folded like a name) when it is given. A prefix no tag can start with finds none."""
    folded = fold_tag(prefix)
    if folded and tag_problem(folded) is not None:
        return []
    usage = (
        select(TorrentTag.tag_id, func.count().label("uses"))
        .join(Torrent, Torrent.id == TorrentTag.torrent_id)
        .where(Torrent.status == "accepted", Torrent.deleted.is_(False))
        .group_by(TorrentTag.tag_id)
        .subquery()
    )
    name = Tag.name.collate(_BYTE_ORDER.get(_dialect(db), "BINARY"))
    query = (
        select(Tag.id, Tag.name, func.coalesce(usage.c.uses, 0))
        .outerjoin(usage, usage.c.tag_id == Tag.id)
        .order_by(name, Tag.id)
    )
    if folded:
        query = query.where(Tag.name.startswith(folded, autoescape=True))
    if limit is not None:
        query = query.limit(limit)
    rows = await db.execute(query)
    return [TagOut(id=i, name=n, usage_count=int(uses)) for i, n, uses in rows]


async def create_tag(db: AsyncSession, raw_name: str) -> Tag:
    name = tag_name(raw_name)
    if await db.scalar(select(Tag.id).where(Tag.name == name)) is not None:
        raise AlreadyExists("Tag already exists", data={"name": name})
    tag = Tag(name=name)
    db.add(tag)
    try:
        await db.commit()
    except IntegrityError:  # made by a concurrent request meanwhile
        await db.rollback()
        raise AlreadyExists("Tag already exists", data={"name": name}) from None
    return tag


async def delete_tag(db: AsyncSession, tag_id: int) -> None:
    """Delete the tag; its bindings go with it (ON DELETE CASCADE), in the same transaction."""
    if not 1 <= tag_id <= INT32_MAX:
        raise Missing("Tag not found")
    result = cast(CursorResult[Any], await db.execute(delete(Tag).where(Tag.id == tag_id)))
    if not result.rowcount:
        await db.rollback()
        raise Missing("Tag not found")
    await db.commit()


async def tags_by_name(db: AsyncSession, names: Iterable[str], create: bool) -> list[Tag]:
    """The tags of `names` (folded to the normal form, duplicates once), in their order.

    create=True makes the missing ones (not committed: the caller's transaction) and refuses a
    name that makes no valid tag with InvalidRequest; create=False leaves out names that are
    no tag. Concurrent callers making the same tag both get it (insert or nothing)."""
    if create:
        folded = [tag_name(n) for n in names]
    else:
        folded = [f for f in map(fold_tag, names) if tag_problem(f) is None]
    wanted = list(dict.fromkeys(folded))
    if not wanted:
        return []
    if create:
        insert = postgresql.insert if _dialect(db) == "postgresql" else sqlite.insert
        statement = insert(Tag).values([{"name": n} for n in wanted])
        await db.execute(statement.on_conflict_do_nothing(index_elements=["name"]))
    found = {t.name: t for t in await db.scalars(select(Tag).where(Tag.name.in_(wanted)))}
    return [found[n] for n in wanted if n in found]
