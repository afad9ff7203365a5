"""Counters the public and admin statistics share: members, and the swarm over the torrents
members can see (accepted, not deleted), summed from the tracker's counters in `site_torrents`."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from torrentstack.site.models import Torrent, User

ACCEPTED = "accepted"


@dataclass(frozen=True, slots=True)
class SwarmTotals:
    torrents: int
    seeders: int
    leechers: int
    snatches: int

    @property
    def peers(self) -> int:
        return self.seeders + self.leechers


async def member_count(db: AsyncSession) -> int:
    """Every member, banned ones included."""
    return int(await db.scalar(select(func.count(User.id))) or 0)


async def swarm_totals(db: AsyncSession) -> SwarmTotals:
    """Accepted, not deleted torrents, and their seeders, leechers and snatches summed."""
    query = select(
        func.count(Torrent.id),
        func.coalesce(func.sum(Torrent.seeders), 0),
        func.coalesce(func.sum(Torrent.leechers), 0),
        func.coalesce(func.sum(Torrent.snatches), 0),
    ).where(Torrent.status == ACCEPTED, Torrent.deleted.is_(False))
    torrents, seeders, leechers, snatches = (await db.execute(query)).one()
    return SwarmTotals(int(torrents), int(seeders), int(leechers), int(snatches))
