"""The admin's live statistics: members, torrents by status, the swarm, invites and the size of
the database (where the backend tells it cheaply)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from torrentstack.site.admin.schemas import (
    AdminStats,
    DatabaseInfo,
    InviteCounts,
    PeerCounts,
    TorrentCounts,
)
from torrentstack.site.admin.user_directory import user_kpis
from torrentstack.site.models import Invite, Torrent
from torrentstack.site.public.counts import swarm_totals


async def database_info(db: AsyncSession) -> DatabaseInfo:
    """The backend's name and the database's size in bytes (SQLite: the main file's pages)."""
    backend = db.get_bind().dialect.name
    size: int | None = None
    if backend == "sqlite":
        pages = await db.scalar(text("PRAGMA page_count"))
        page_size = await db.scalar(text("PRAGMA page_size"))
        size = int(pages or 0) * int(page_size or 0)
    elif backend == "postgresql":
        size = int(await db.scalar(text("SELECT pg_database_size(current_database())")) or 0)
    return DatabaseInfo(backend=backend, size_bytes=size)


async def torrent_counts(db: AsyncSession) -> TorrentCounts:
    """Torrents by moderation status (deleted ones apart)."""
    rows = await db.execute(
        select(Torrent.status, func.count(Torrent.id))
        .where(Torrent.deleted.is_(False))
        .group_by(Torrent.status)
    )
    by_status = {status: int(count) for status, count in rows}
    deleted = await db.scalar(select(func.count(Torrent.id)).where(Torrent.deleted.is_(True)))
    return TorrentCounts(total=sum(by_status.values()), by_status=by_status, deleted=deleted or 0)


async def invite_counts(db: AsyncSession, now: datetime) -> InviteCounts:
    """Codes still usable, and codes used."""
    count = select(func.count(Invite.id))
    used = await db.scalar(count.where(Invite.used_by.is_not(None)))
    unused = await db.scalar(
        count.where(
            Invite.used_by.is_(None),
            Invite.revoked.is_(False),
            (Invite.expires_at.is_(None)) | (Invite.expires_at > now),
        )
    )
    return InviteCounts(unused=unused or 0, used=used or 0)


async def admin_stats(db: AsyncSession, now: datetime) -> AdminStats:
    """Every counter of `GET /api/admin/stats`."""
    swarm = await swarm_totals(db)
    return AdminStats(
        users=await user_kpis(db, now),
        torrents=await torrent_counts(db),
        peers=PeerCounts(seeders=swarm.seeders, leechers=swarm.leechers, peers=swarm.peers),
        invites=await invite_counts(db, now),
        database=await database_info(db),
    )
