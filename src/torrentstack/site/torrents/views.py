"""Torrents as the API shows them, and who may see which: accepted torrents are public; a
pending, rejected or deleted one only to its uploader and staff (404 for everyone else)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from torrentstack.site.errors import Missing
from torrentstack.site.models import Comment, Favorite, Tag, Torrent, TorrentTag, User
from torrentstack.site.permissions import Viewer
from torrentstack.site.torrents.metafile import magnet_link
from torrentstack.site.torrents.schemas import (
    CommentOut,
    FileOut,
    TorrentDetail,
    TorrentPage,
    TorrentSummary,
)


def visible(torrent: Torrent, viewer: Viewer | None) -> bool:
    if torrent.status == "accepted" and not torrent.deleted:
        return True
    if viewer is None:
        return False
    return viewer.can_moderate or (torrent.uploader_id == viewer.user.id and not torrent.deleted)


async def find(db: AsyncSession, info_hash: str, viewer: Viewer | None) -> Torrent:
    """The torrent with this info hash if the viewer may see it; else 404."""
    torrent = await db.scalar(select(Torrent).where(Torrent.info_hash == info_hash.lower()))
    if torrent is None or not visible(torrent, viewer):
        raise Missing("Torrent not found")
    return torrent


async def tag_names(db: AsyncSession, ids: Sequence[int]) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {i: [] for i in ids}
    if not ids:
        return out
    rows = await db.execute(
        select(TorrentTag.torrent_id, Tag.name)
        .join(Tag, Tag.id == TorrentTag.tag_id)
        .where(TorrentTag.torrent_id.in_(ids))
        .order_by(Tag.name)
    )
    for torrent_id, name in rows:
        out[torrent_id].append(name)
    return out


def summary(torrent: Torrent, tags: list[str]) -> TorrentSummary:
    return TorrentSummary(
        id=torrent.id,
        info_hash=torrent.info_hash,
        name=torrent.name,
        title=torrent.title,
        size=torrent.size,
        file_count=torrent.file_count,
        category_id=torrent.category_id,
        tags=tags,
        uploader_id=torrent.uploader_id,
        status="deleted" if torrent.deleted else torrent.status,
        is_approved=torrent.status == "accepted",
        seeders=torrent.seeders,
        leechers=torrent.leechers,
        snatches=torrent.snatches,
        created_at=torrent.created_at,
    )


async def summaries(db: AsyncSession, torrents: Sequence[Torrent]) -> list[TorrentSummary]:
    tags = await tag_names(db, [t.id for t in torrents])
    return [summary(t, tags[t.id]) for t in torrents]


async def page_of(
    db: AsyncSession, query: Select[Any], order: Any, page: int, limit: int
) -> TorrentPage:
    """One page of the torrents `query` selects, in `order`, with the count of them all."""
    total = await db.scalar(select(func.count()).select_from(query.subquery()))
    rows = list(await db.scalars(query.order_by(order).offset((page - 1) * limit).limit(limit)))
    return TorrentPage(
        torrents=await summaries(db, rows), page=page, limit=limit, total=int(total or 0)
    )


async def detail(db: AsyncSession, torrent: Torrent, viewer: Viewer | None) -> TorrentDetail:
    tags = (await tag_names(db, [torrent.id]))[torrent.id]
    rows = await db.execute(
        select(Comment, User.username)
        .outerjoin(User, User.id == Comment.user_id)
        .where(Comment.torrent_id == torrent.id)
        .order_by(Comment.id)
    )
    comments = [
        CommentOut(id=c.id, user_id=c.user_id, username=name, body=c.body, created_at=c.created_at)
        for c, name in rows
    ]
    favorited = viewer is not None and (
        await db.get(Favorite, (viewer.user.id, torrent.id)) is not None
    )
    return TorrentDetail(
        **summary(torrent, tags).model_dump(),
        info_hash_v2=torrent.info_hash_v2,
        description=torrent.description,
        nfo=torrent.nfo,
        comment=torrent.comment,
        created_by=torrent.created_by,
        files=[FileOut(path=p, size=s) for p, s in json.loads(torrent.files)],
        magnet_link=magnet_link(
            torrent.info_hash, torrent.name, torrent.size, info_hash_v2=torrent.info_hash_v2
        ),
        comments=comments,
        favorited=favorited,
    )
