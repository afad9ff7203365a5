"""The client's tables: torrents (source + options), categories, tags, preferences.

Resume data is not here: libtorrent's fastresume files live in the data directory, written by
the engine thread (see `client.engine`).
"""

from __future__ import annotations

from sqlalchemy import LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from torrentstack.db.base import Base


class StoredTorrent(Base):
    __tablename__ = "client_torrents"

    hash: Mapped[str] = mapped_column(String(40), primary_key=True)
    torrent: Mapped[bytes] = mapped_column(LargeBinary)  # the .torrent file; empty for a magnet
    magnet: Mapped[str] = mapped_column(Text)
    options: Mapped[str] = mapped_column(Text)  # JSON of client.records.Options


class StoredCategory(Base):
    __tablename__ = "client_categories"

    name: Mapped[str] = mapped_column(String(255), primary_key=True)
    save_path: Mapped[str] = mapped_column(Text)
    download_path: Mapped[str | None] = mapped_column(Text)  # None: the global setting


class StoredTag(Base):
    __tablename__ = "client_tags"

    name: Mapped[str] = mapped_column(String(255), primary_key=True)


class StoredPreference(Base):
    __tablename__ = "client_preferences"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(Text)  # JSON
