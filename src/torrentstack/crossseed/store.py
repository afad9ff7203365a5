"""What the daemon keeps in the database: decisions made on downloaded .torrent files, the files
themselves (found again by the listing's guid, so a listing is downloaded once), and when each
searchee was searched on each indexer."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from torrentstack.bittorrent import metainfo
from torrentstack.clock import Clock
from torrentstack.crossseed.decision import Decision
from torrentstack.crossseed.models import (
    CachedTorrent,
    DecisionRow,
    IndexerState,
    SearchTimestamp,
)
from torrentstack.crossseed.searchee import Candidate, Metafile, Searchee
from torrentstack.errors import FormatError

_GUID = 1024
_KEY = 512


def searchee_key(searchee: Searchee) -> str:
    """How decisions and timestamps name a searchee: its info hash, path, or title."""
    return (searchee.info_hash or searchee.path or searchee.title)[:_KEY]


class CrossseedStore:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], clock: Clock) -> None:
        self.sessions = sessions
        self.clock = clock

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), UTC)

    async def cached(self, guid: str) -> Metafile | None:
        """The .torrent a listing's guid was downloaded as before, or None."""
        async with self.sessions() as db:
            row = await db.scalar(
                select(CachedTorrent).where(CachedTorrent.guid == guid[:_GUID]).limit(1)
            )
        if row is None:
            return None
        try:
            return Metafile.from_metainfo(metainfo.parse(row.raw))
        except FormatError:
            return None

    async def remember(
        self,
        searchee: Searchee,
        candidate: Candidate,
        meta: Metafile,
        decision: Decision,
        fuzzy_factor: float,
    ) -> None:
        """Keep the downloaded .torrent and the decision made on it."""
        now = self._now()
        guid = candidate.guid[:_GUID]
        key = searchee_key(searchee)
        async with self.sessions() as db, db.begin():
            torrent = await db.get(CachedTorrent, meta.info_hash)
            if torrent is None and meta.raw:
                db.add(
                    CachedTorrent(
                        info_hash=meta.info_hash,
                        guid=guid,
                        tracker=candidate.tracker,
                        raw=meta.raw,
                        fetched_at=now,
                    )
                )
            row = await db.scalar(
                select(DecisionRow).where(DecisionRow.searchee == key, DecisionRow.guid == guid)
            )
            if row is None:
                db.add(
                    DecisionRow(
                        searchee=key,
                        guid=guid,
                        info_hash=meta.info_hash,
                        decision=decision.value,
                        fuzzy_size_factor=fuzzy_factor,
                        first_seen=now,
                        last_seen=now,
                    )
                )
            else:
                row.info_hash = meta.info_hash
                row.decision = decision.value
                row.fuzzy_size_factor = fuzzy_factor
                row.last_seen = now

    async def decision(self, searchee: Searchee, guid: str) -> Decision | None:
        async with self.sessions() as db:
            value = await db.scalar(
                select(DecisionRow.decision).where(
                    DecisionRow.searchee == searchee_key(searchee), DecisionRow.guid == guid[:_GUID]
                )
            )
        return Decision(value) if value else None

    async def searched(self, searchee: Searchee, indexer: str) -> None:
        now = self._now()
        key = searchee_key(searchee)
        async with self.sessions() as db, db.begin():
            row = await db.get(SearchTimestamp, (key, indexer[:255]))
            if row is None:
                db.add(
                    SearchTimestamp(
                        searchee=key, indexer=indexer[:255], first_searched=now, last_searched=now
                    )
                )
            else:
                row.last_searched = now

    async def last_searched(self, searchee: Searchee) -> dict[str, tuple[datetime, datetime]]:
        async with self.sessions() as db:
            rows = await db.execute(
                select(SearchTimestamp).where(SearchTimestamp.searchee == searchee_key(searchee))
            )
            return {r.indexer: (r.first_searched, r.last_searched) for r in rows.scalars()}

    async def last_seen_guid(self, indexer: str) -> str | None:
        async with self.sessions() as db:
            row = await db.get(IndexerState, indexer[:255])
            return row.last_seen_guid if row is not None else None

    async def saw_guid(self, indexer: str, guid: str | None) -> None:
        async with self.sessions() as db, db.begin():
            row = await db.get(IndexerState, indexer[:255])
            if row is None:
                db.add(IndexerState(indexer=indexer[:255], status="OK", last_seen_guid=guid))
            else:
                row.last_seen_guid = guid

    async def cleanup(self, older_than: datetime) -> int:
        """Forget decisions and downloaded .torrent files not seen since `older_than`."""
        async with self.sessions() as db, db.begin():
            gone = await db.execute(delete(DecisionRow).where(DecisionRow.last_seen < older_than))
            await db.execute(delete(CachedTorrent).where(CachedTorrent.fetched_at < older_than))
            return int(getattr(gone, "rowcount", 0) or 0)
