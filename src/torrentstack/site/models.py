"""The site's tables (`site_*`): members and their sessions, roles, invites, categories, tags,
torrents with their comments, favorites, moderation threads, transfers and snatches, settings.

The search index is not here: migration 0005 builds it per dialect (PostgreSQL full text over a
stored tsvector column, `search_vector`, left unmapped; SQLite an FTS5 table kept by triggers),
and `torrents.search` queries it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from torrentstack.db.base import Base

_CASCADE = "CASCADE"


class User(Base):
    __tablename__ = "site_users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(32))
    username_key: Mapped[str] = mapped_column(String(32), unique=True)  # casefolded
    salt: Mapped[str] = mapped_column(String(64))  # hex, chosen by the client
    verifier: Mapped[str] = mapped_column(String(64))  # hex Ed25519 public key
    passkey: Mapped[str] = mapped_column(String(32), unique=True)
    torznab_key: Mapped[str] = mapped_column(String(32), unique=True)
    torznab_blocked: Mapped[bool] = mapped_column(Boolean, default=False)
    display_name: Mapped[str] = mapped_column(String(64), default="")
    bio: Mapped[str] = mapped_column(Text, default="")
    locale: Mapped[str] = mapped_column(String(16), default="en")
    theme: Mapped[str] = mapped_column(String(16), default="system")
    hide_last_seen: Mapped[bool] = mapped_column(Boolean, default=False)
    uploaded: Mapped[int] = mapped_column(BigInteger, default=0)
    downloaded: Mapped[int] = mapped_column(BigInteger, default=0)
    bonus_points: Mapped[int] = mapped_column(BigInteger, default=0)
    invites_remaining: Mapped[int] = mapped_column(Integer, default=0)
    invited_by: Mapped[int | None] = mapped_column(ForeignKey("site_users.id"))
    banned: Mapped[bool] = mapped_column(Boolean, default=False)
    banned_until: Mapped[datetime | None]  # None with banned: permanent
    ban_reason: Mapped[str] = mapped_column(Text, default="")
    banned_by: Mapped[int | None] = mapped_column(Integer)
    last_ip: Mapped[str] = mapped_column(String(45), default="")
    created_at: Mapped[datetime]
    last_seen: Mapped[datetime | None]


class Role(Base):
    __tablename__ = "site_roles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    permissions: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of names
    color: Mapped[str] = mapped_column(String(16), default="")
    system: Mapped[bool] = mapped_column(Boolean, default=False)  # user/moderator/admin


class UserRole(Base):
    __tablename__ = "site_user_roles"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("site_users.id", ondelete=_CASCADE), primary_key=True
    )
    role_id: Mapped[int] = mapped_column(
        ForeignKey("site_roles.id", ondelete=_CASCADE), primary_key=True
    )


class LoginSession(Base):
    __tablename__ = "site_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # SHA-256 of the cookie
    user_id: Mapped[int] = mapped_column(ForeignKey("site_users.id", ondelete=_CASCADE))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    ip: Mapped[str] = mapped_column(String(45), default="")

    __table_args__ = (Index("ix_site_sessions_user", "user_id"),)


class Challenge(Base):
    """A single-use, expiring challenge: registration proof of work or a login."""

    __tablename__ = "site_challenges"

    challenge: Mapped[str] = mapped_column(String(64), primary_key=True)
    purpose: Mapped[str] = mapped_column(String(8))  # "pow" or "login"
    username_key: Mapped[str] = mapped_column(String(32), default="")
    expires_at: Mapped[datetime]


class Invite(Base):
    __tablename__ = "site_invites"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("site_users.id"))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime | None]
    used_by: Mapped[int | None] = mapped_column(ForeignKey("site_users.id"))
    used_at: Mapped[datetime | None]
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)


class Category(Base):
    __tablename__ = "site_categories"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("site_categories.id", ondelete="SET NULL")
    )
    newznab_id: Mapped[int | None] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer, default=0)


class Tag(Base):
    __tablename__ = "site_tags"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)


class Torrent(Base):
    __tablename__ = "site_torrents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    info_hash: Mapped[str] = mapped_column(String(40), unique=True)  # hex; v2: truncated
    info_hash_v2: Mapped[str | None] = mapped_column(String(64), index=True)  # full SHA-256
    name: Mapped[str] = mapped_column(Text)  # the info dict's
    title: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text, default="")
    nfo: Mapped[str | None] = mapped_column(Text)
    category_id: Mapped[int | None] = mapped_column(
        ForeignKey("site_categories.id", ondelete="SET NULL")
    )
    uploader_id: Mapped[int | None] = mapped_column(
        ForeignKey("site_users.id", ondelete="SET NULL")
    )
    size: Mapped[int] = mapped_column(BigInteger)
    file_count: Mapped[int] = mapped_column(Integer)
    files: Mapped[str] = mapped_column(Text)  # JSON [[path, length], ...]
    info: Mapped[bytes] = mapped_column(LargeBinary)  # the stored info dict, byte for byte
    piece_layers: Mapped[bytes | None] = mapped_column(LargeBinary)  # v2: bencoded, as uploaded
    creation_date: Mapped[int | None] = mapped_column(BigInteger)
    comment: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(Text, default="")
    content_signature: Mapped[str] = mapped_column(String(64), index=True)
    search_text: Mapped[str] = mapped_column(Text, default="")  # words of title and name
    status: Mapped[str] = mapped_column(String(20), default="pending")
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    seeders: Mapped[int] = mapped_column(Integer, default=0)
    leechers: Mapped[int] = mapped_column(Integer, default=0)
    snatches: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    __table_args__ = (
        Index("ix_site_torrents_listing", "status", "deleted", "id"),
        Index("ix_site_torrents_category", "category_id", "id"),
        Index("ix_site_torrents_uploader", "uploader_id", "id"),
    )


class TorrentTag(Base):
    __tablename__ = "site_torrent_tags"

    torrent_id: Mapped[int] = mapped_column(
        ForeignKey("site_torrents.id", ondelete=_CASCADE), primary_key=True
    )
    tag_id: Mapped[int] = mapped_column(
        ForeignKey("site_tags.id", ondelete=_CASCADE), primary_key=True, index=True
    )


class Comment(Base):
    __tablename__ = "site_comments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    torrent_id: Mapped[int] = mapped_column(
        ForeignKey("site_torrents.id", ondelete=_CASCADE), index=True
    )
    user_id: Mapped[int | None] = mapped_column(ForeignKey("site_users.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]


class Favorite(Base):
    __tablename__ = "site_favorites"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("site_users.id", ondelete=_CASCADE), primary_key=True
    )
    torrent_id: Mapped[int] = mapped_column(
        ForeignKey("site_torrents.id", ondelete=_CASCADE), primary_key=True
    )
    created_at: Mapped[datetime]


class ModerationMessage(Base):
    __tablename__ = "site_moderation_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    torrent_id: Mapped[int] = mapped_column(
        ForeignKey("site_torrents.id", ondelete=_CASCADE), index=True
    )
    user_id: Mapped[int | None] = mapped_column(ForeignKey("site_users.id", ondelete="SET NULL"))
    status: Mapped[str | None] = mapped_column(String(20))  # the change it made, if any
    body: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]


class Transfer(Base):
    """A member's totals on one torrent, and where their last announce left them."""

    __tablename__ = "site_transfers"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("site_users.id", ondelete=_CASCADE), primary_key=True
    )
    torrent_id: Mapped[int] = mapped_column(
        ForeignKey("site_torrents.id", ondelete=_CASCADE), primary_key=True, index=True
    )
    uploaded: Mapped[int] = mapped_column(BigInteger, default=0)
    downloaded: Mapped[int] = mapped_column(BigInteger, default=0)
    left: Mapped[int] = mapped_column(BigInteger, default=0)
    seeding: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    last_announce: Mapped[datetime]


class Snatch(Base):
    __tablename__ = "site_snatches"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("site_users.id", ondelete=_CASCADE), primary_key=True
    )
    torrent_id: Mapped[int] = mapped_column(
        ForeignKey("site_torrents.id", ondelete=_CASCADE), primary_key=True, index=True
    )
    completed_at: Mapped[datetime]


class Setting(Base):
    """One site setting (JSON value): branding, announcement, upload rules, Torznab ..."""

    __tablename__ = "site_settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class BannedIp(Base):
    __tablename__ = "site_banned_ips"

    ip: Mapped[str] = mapped_column(String(45), primary_key=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime | None]


class AuditEntry(Base):
    __tablename__ = "site_audit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(64), default="")
    details: Mapped[str] = mapped_column(Text, default="{}")
    created_at: Mapped[datetime]


class TorznabRequest(Base):
    """A Torznab call, for the admin's logs and counters (kept to the last few thousand)."""

    __tablename__ = "site_torznab_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int | None] = mapped_column(Integer, index=True)
    function: Mapped[str] = mapped_column(String(16))
    query: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[int] = mapped_column(Integer)
    results: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]


__all__ = [
    "AuditEntry",
    "BannedIp",
    "Category",
    "Challenge",
    "Comment",
    "Favorite",
    "Invite",
    "LoginSession",
    "ModerationMessage",
    "Role",
    "Setting",
    "Snatch",
    "Tag",
    "Torrent",
    "TorrentTag",
    "TorznabRequest",
    "Transfer",
    "User",
]
