"""The tracker's tables: whitelist, keys, completed counts, linked hybrid hashes (never peers)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from torrentstack.db.base import Base


class WhitelistEntry(Base):
    __tablename__ = "tracker_whitelist"

    info_hash: Mapped[str] = mapped_column(String(40), primary_key=True)  # lower-case hex


class TrackerKey(Base):
    __tablename__ = "tracker_keys"

    key: Mapped[str] = mapped_column(String(32), primary_key=True)
    valid_until: Mapped[datetime | None]  # None: a permanent key


class TorrentStats(Base):
    __tablename__ = "tracker_torrents"

    info_hash: Mapped[str] = mapped_column(String(40), primary_key=True)
    completed: Mapped[int] = mapped_column(default=0)


class HashLink(Base):
    """A hybrid torrent's second hash (`alias`) announcing into the `primary` hash's swarm."""

    __tablename__ = "tracker_hash_links"

    alias: Mapped[str] = mapped_column(String(40), primary_key=True)
    primary: Mapped[str] = mapped_column(String(40))
