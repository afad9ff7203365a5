"""cross-seed's tables (`crossseed_*`): decisions per (searchee, listing), the downloaded .torrent
files they were made on, when each searchee was searched on each indexer, and each indexer's
state (rest until, last RSS item seen)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from torrentstack.db.base import Base


class DecisionRow(Base):
    """A decision made on a downloaded .torrent, kept so the same listing is not fetched again."""

    __tablename__ = "crossseed_decisions"
    __table_args__ = (UniqueConstraint("searchee", "guid"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    searchee: Mapped[str] = mapped_column(String(512))  # info hash, data path or title
    guid: Mapped[str] = mapped_column(String(1024))
    info_hash: Mapped[str | None] = mapped_column(String(40))
    decision: Mapped[str] = mapped_column(String(32))
    fuzzy_size_factor: Mapped[float] = mapped_column(Float)
    first_seen: Mapped[datetime]
    last_seen: Mapped[datetime]


class CachedTorrent(Base):
    """A listing's .torrent as downloaded, by info hash; `guid` finds it again without a fetch."""

    __tablename__ = "crossseed_torrents"
    __table_args__ = (Index("ix_crossseed_torrents_guid", "guid"),)

    info_hash: Mapped[str] = mapped_column(String(40), primary_key=True)
    guid: Mapped[str] = mapped_column(String(1024))
    tracker: Mapped[str] = mapped_column(Text)
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    fetched_at: Mapped[datetime]


class SearchTimestamp(Base):
    """When a searchee was first and last searched on an indexer (excludeOlder/RecentSearch)."""

    __tablename__ = "crossseed_timestamps"

    searchee: Mapped[str] = mapped_column(String(512), primary_key=True)
    indexer: Mapped[str] = mapped_column(String(255), primary_key=True)
    first_searched: Mapped[datetime]
    last_searched: Mapped[datetime]


class IndexerState(Base):
    """An indexer's rest (after a 429 or failure) and the newest RSS item already scanned."""

    __tablename__ = "crossseed_indexers"

    indexer: Mapped[str] = mapped_column(String(255), primary_key=True)
    status: Mapped[str] = mapped_column(String(32), default="OK")
    retry_after: Mapped[datetime | None]
    last_seen_guid: Mapped[str | None] = mapped_column(String(1024))
