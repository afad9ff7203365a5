"""The bridge's tables (`debrid_*`): items (one per added torrent, with where it is), arrs
(learnt at login or configured) and repair jobs."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, Float, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from torrentstack.db.base import Base


class ItemRow(Base):
    """A torrent added through the bridge and its life: submitted, polled, delivered."""

    __tablename__ = "debrid_items"

    hash: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(String(255))
    tags: Mapped[str] = mapped_column(Text, default="")  # comma-separated
    state: Mapped[str] = mapped_column(String(16))  # items.ItemState
    provider: Mapped[str] = mapped_column(String(64), default="")  # configured name
    remote_id: Mapped[str] = mapped_column(String(255), default="")
    action: Mapped[str] = mapped_column(String(16))
    uncached: Mapped[bool] = mapped_column(Boolean, default=False)
    callback_url: Mapped[str] = mapped_column(Text, default="")
    magnet: Mapped[str] = mapped_column(Text, default="")
    torrent: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    size: Mapped[int] = mapped_column(BigInteger, default=0)
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    speed: Mapped[int] = mapped_column(BigInteger, default=0)
    seeders: Mapped[int] = mapped_column(default=0)
    files: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of RemoteFile fields
    save_path: Mapped[str] = mapped_column(Text)
    content_path: Mapped[str] = mapped_column(Text, default="")
    error: Mapped[str] = mapped_column(Text, default="")
    added_on: Mapped[datetime]
    completed_on: Mapped[datetime | None]


class ArrRow(Base):
    """A Sonarr/Radarr the bridge knows: from the config, or learnt when it logged in."""

    __tablename__ = "debrid_arrs"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    host: Mapped[str] = mapped_column(Text)
    token: Mapped[str] = mapped_column(Text)  # its API key: needed to call it, never logged
    source: Mapped[str] = mapped_column(String(16))  # "config" or "login"
    updated_at: Mapped[datetime]


class RepairJobRow(Base):
    """A repair job (Decypharr 1.x): which media of which arrs, what was found broken."""

    __tablename__ = "debrid_repair_jobs"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    arrs: Mapped[str] = mapped_column(Text)  # JSON list of arr names
    media_ids: Mapped[str] = mapped_column(Text)  # JSON list
    auto_process: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[str] = mapped_column(String(16))
    broken_items: Mapped[str] = mapped_column(Text, default="{}")  # JSON {arr: [files]}
    error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
