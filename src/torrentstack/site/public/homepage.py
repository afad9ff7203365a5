"""The homepage's featured rails: the operator's torrent ids turned into cards, keeping only
accepted torrents that are not deleted, in the operator's order."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from torrentstack.site.models import Torrent
from torrentstack.site.public.counts import ACCEPTED
from torrentstack.site.public.schemas import Rail, TorrentCard
from torrentstack.site.settings_store import FeaturedRail


def _card(torrent: Torrent) -> TorrentCard:
    return TorrentCard(
        id=torrent.id,
        info_hash=torrent.info_hash,
        title=torrent.title,
        size=torrent.size,
        seeders=torrent.seeders,
        leechers=torrent.leechers,
        snatches=torrent.snatches,
        created_at=torrent.created_at,
    )


async def featured_rails(db: AsyncSession, rails: list[FeaturedRail]) -> list[Rail]:
    """Each rail with its visible torrents (one query for every rail)."""
    wanted = {i for rail in rails for i in rail.torrent_ids}
    cards: dict[int, TorrentCard] = {}
    if wanted:
        query = select(Torrent).where(
            Torrent.id.in_(wanted), Torrent.status == ACCEPTED, Torrent.deleted.is_(False)
        )
        cards = {t.id: _card(t) for t in await db.scalars(query)}
    return [
        Rail(title=rail.title, torrents=[cards[i] for i in rail.torrent_ids if i in cards])
        for rail in rails
    ]
