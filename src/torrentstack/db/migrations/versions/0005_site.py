"""Site: members, sessions, roles, invites, categories, tags, torrents and what hangs on them,
settings; the torrent search index (PostgreSQL full text, SQLite FTS5).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from torrentstack.db.base import UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# the words of a torrent's title and name (site.torrents.search writes search_text). On
# PostgreSQL their tsvector is stored (a column the models do not map: SQLite has none), so that
# a search walking the newest torrents tests each row without parsing its text again.
_PG_INDEX = (
    "ALTER TABLE site_torrents ADD COLUMN search_vector tsvector "
    "GENERATED ALWAYS AS (to_tsvector('simple', search_text)) STORED",
    "CREATE INDEX ix_site_torrents_search ON site_torrents USING gin (search_vector)",
)
_SQLITE_INDEX = (
    "CREATE VIRTUAL TABLE site_torrents_fts USING fts5("
    "search_text, content='site_torrents', content_rowid='id', tokenize='unicode61')",
    "CREATE TRIGGER site_torrents_fts_insert AFTER INSERT ON site_torrents BEGIN "
    "INSERT INTO site_torrents_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
    "CREATE TRIGGER site_torrents_fts_delete AFTER DELETE ON site_torrents BEGIN "
    "INSERT INTO site_torrents_fts(site_torrents_fts, rowid, search_text) "
    "VALUES ('delete', old.id, old.search_text); END",
    "CREATE TRIGGER site_torrents_fts_update AFTER UPDATE OF search_text ON site_torrents BEGIN "
    "INSERT INTO site_torrents_fts(site_torrents_fts, rowid, search_text) "
    "VALUES ('delete', old.id, old.search_text); "
    "INSERT INTO site_torrents_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
)


def upgrade() -> None:
    op.create_table(
        "site_audit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("target", sa.String(length=64), nullable=False),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_site_audit")),
    )
    op.create_table(
        "site_banned_ips",
        sa.Column("ip", sa.String(length=45), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("ip", name=op.f("pk_site_banned_ips")),
    )
    op.create_table(
        "site_categories",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("newznab_id", sa.Integer(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["site_categories.id"],
            name=op.f("fk_site_categories_parent_id_site_categories"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_site_categories")),
        sa.UniqueConstraint("slug", name=op.f("uq_site_categories_slug")),
    )
    op.create_table(
        "site_challenges",
        sa.Column("challenge", sa.String(length=64), nullable=False),
        sa.Column("purpose", sa.String(length=8), nullable=False),
        sa.Column("username_key", sa.String(length=32), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("challenge", name=op.f("pk_site_challenges")),
    )
    op.create_table(
        "site_roles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("permissions", sa.Text(), nullable=False),
        sa.Column("color", sa.String(length=16), nullable=False),
        sa.Column("system", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_site_roles")),
        sa.UniqueConstraint("name", name=op.f("uq_site_roles_name")),
    )
    op.create_table(
        "site_settings",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_site_settings")),
    )
    op.create_table(
        "site_tags",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_site_tags")),
        sa.UniqueConstraint("name", name=op.f("uq_site_tags_name")),
    )
    op.create_table(
        "site_torznab_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("function", sa.String(length=16), nullable=False),
        sa.Column("query", sa.Text(), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("results", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_site_torznab_requests")),
    )
    op.create_index(
        op.f("ix_site_torznab_requests_user_id"), "site_torznab_requests", ["user_id"], unique=False
    )
    op.create_table(
        "site_users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=32), nullable=False),
        sa.Column("username_key", sa.String(length=32), nullable=False),
        sa.Column("salt", sa.String(length=64), nullable=False),
        sa.Column("verifier", sa.String(length=64), nullable=False),
        sa.Column("passkey", sa.String(length=32), nullable=False),
        sa.Column("torznab_key", sa.String(length=32), nullable=False),
        sa.Column("torznab_blocked", sa.Boolean(), nullable=False),
        sa.Column("display_name", sa.String(length=64), nullable=False),
        sa.Column("bio", sa.Text(), nullable=False),
        sa.Column("locale", sa.String(length=16), nullable=False),
        sa.Column("theme", sa.String(length=16), nullable=False),
        sa.Column("hide_last_seen", sa.Boolean(), nullable=False),
        sa.Column("uploaded", sa.BigInteger(), nullable=False),
        sa.Column("downloaded", sa.BigInteger(), nullable=False),
        sa.Column("bonus_points", sa.BigInteger(), nullable=False),
        sa.Column("invites_remaining", sa.Integer(), nullable=False),
        sa.Column("invited_by", sa.Integer(), nullable=True),
        sa.Column("banned", sa.Boolean(), nullable=False),
        sa.Column("banned_until", UTCDateTime(), nullable=True),
        sa.Column("ban_reason", sa.Text(), nullable=False),
        sa.Column("banned_by", sa.Integer(), nullable=True),
        sa.Column("last_ip", sa.String(length=45), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("last_seen", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["invited_by"], ["site_users.id"], name=op.f("fk_site_users_invited_by_site_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_site_users")),
        sa.UniqueConstraint("passkey", name=op.f("uq_site_users_passkey")),
        sa.UniqueConstraint("torznab_key", name=op.f("uq_site_users_torznab_key")),
        sa.UniqueConstraint("username_key", name=op.f("uq_site_users_username_key")),
    )
    op.create_table(
        "site_invites",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=True),
        sa.Column("used_by", sa.Integer(), nullable=True),
        sa.Column("used_at", UTCDateTime(), nullable=True),
        sa.Column("revoked", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"], ["site_users.id"], name=op.f("fk_site_invites_created_by_site_users")
        ),
        sa.ForeignKeyConstraint(
            ["used_by"], ["site_users.id"], name=op.f("fk_site_invites_used_by_site_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_site_invites")),
        sa.UniqueConstraint("code", name=op.f("uq_site_invites_code")),
    )
    op.create_table(
        "site_sessions",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("revoked", sa.Boolean(), nullable=False),
        sa.Column("ip", sa.String(length=45), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["site_users.id"],
            name=op.f("fk_site_sessions_user_id_site_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_site_sessions")),
    )
    op.create_index("ix_site_sessions_user", "site_sessions", ["user_id"], unique=False)
    op.create_table(
        "site_torrents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("info_hash", sa.String(length=40), nullable=False),
        sa.Column("info_hash_v2", sa.String(length=64), nullable=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("nfo", sa.Text(), nullable=True),
        sa.Column("category_id", sa.Integer(), nullable=True),
        sa.Column("uploader_id", sa.Integer(), nullable=True),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("file_count", sa.Integer(), nullable=False),
        sa.Column("files", sa.Text(), nullable=False),
        sa.Column("info", sa.LargeBinary(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.Column("content_signature", sa.String(length=64), nullable=False),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("seeders", sa.Integer(), nullable=False),
        sa.Column("leechers", sa.Integer(), nullable=False),
        sa.Column("snatches", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["site_categories.id"],
            name=op.f("fk_site_torrents_category_id_site_categories"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["uploader_id"],
            ["site_users.id"],
            name=op.f("fk_site_torrents_uploader_id_site_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_site_torrents")),
        sa.UniqueConstraint("info_hash", name=op.f("uq_site_torrents_info_hash")),
    )
    op.create_index(
        "ix_site_torrents_category", "site_torrents", ["category_id", "id"], unique=False
    )
    op.create_index(
        op.f("ix_site_torrents_content_signature"),
        "site_torrents",
        ["content_signature"],
        unique=False,
    )
    op.create_index(
        "ix_site_torrents_listing", "site_torrents", ["status", "deleted", "id"], unique=False
    )
    op.create_index(
        "ix_site_torrents_uploader", "site_torrents", ["uploader_id", "id"], unique=False
    )
    op.create_table(
        "site_user_roles",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("role_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["role_id"],
            ["site_roles.id"],
            name=op.f("fk_site_user_roles_role_id_site_roles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["site_users.id"],
            name=op.f("fk_site_user_roles_user_id_site_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "role_id", name=op.f("pk_site_user_roles")),
    )
    op.create_table(
        "site_comments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("torrent_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["torrent_id"],
            ["site_torrents.id"],
            name=op.f("fk_site_comments_torrent_id_site_torrents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["site_users.id"],
            name=op.f("fk_site_comments_user_id_site_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_site_comments")),
    )
    op.create_index(
        op.f("ix_site_comments_torrent_id"), "site_comments", ["torrent_id"], unique=False
    )
    op.create_table(
        "site_favorites",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("torrent_id", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["torrent_id"],
            ["site_torrents.id"],
            name=op.f("fk_site_favorites_torrent_id_site_torrents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["site_users.id"],
            name=op.f("fk_site_favorites_user_id_site_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "torrent_id", name=op.f("pk_site_favorites")),
    )
    op.create_table(
        "site_moderation_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("torrent_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["torrent_id"],
            ["site_torrents.id"],
            name=op.f("fk_site_moderation_messages_torrent_id_site_torrents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["site_users.id"],
            name=op.f("fk_site_moderation_messages_user_id_site_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_site_moderation_messages")),
    )
    op.create_index(
        op.f("ix_site_moderation_messages_torrent_id"),
        "site_moderation_messages",
        ["torrent_id"],
        unique=False,
    )
    op.create_table(
        "site_snatches",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("torrent_id", sa.Integer(), nullable=False),
        sa.Column("completed_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["torrent_id"],
            ["site_torrents.id"],
            name=op.f("fk_site_snatches_torrent_id_site_torrents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["site_users.id"],
            name=op.f("fk_site_snatches_user_id_site_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "torrent_id", name=op.f("pk_site_snatches")),
    )
    op.create_index(
        op.f("ix_site_snatches_torrent_id"), "site_snatches", ["torrent_id"], unique=False
    )
    op.create_table(
        "site_torrent_tags",
        sa.Column("torrent_id", sa.Integer(), nullable=False),
        sa.Column("tag_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tag_id"],
            ["site_tags.id"],
            name=op.f("fk_site_torrent_tags_tag_id_site_tags"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["torrent_id"],
            ["site_torrents.id"],
            name=op.f("fk_site_torrent_tags_torrent_id_site_torrents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("torrent_id", "tag_id", name=op.f("pk_site_torrent_tags")),
    )
    op.create_index(
        op.f("ix_site_torrent_tags_tag_id"), "site_torrent_tags", ["tag_id"], unique=False
    )
    op.create_table(
        "site_transfers",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("torrent_id", sa.Integer(), nullable=False),
        sa.Column("uploaded", sa.BigInteger(), nullable=False),
        sa.Column("downloaded", sa.BigInteger(), nullable=False),
        sa.Column("left", sa.BigInteger(), nullable=False),
        sa.Column("seeding", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("last_announce", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["torrent_id"],
            ["site_torrents.id"],
            name=op.f("fk_site_transfers_torrent_id_site_torrents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["site_users.id"],
            name=op.f("fk_site_transfers_user_id_site_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "torrent_id", name=op.f("pk_site_transfers")),
    )
    op.create_index(
        op.f("ix_site_transfers_torrent_id"), "site_transfers", ["torrent_id"], unique=False
    )

    postgresql = op.get_bind().dialect.name == "postgresql"
    for statement in _PG_INDEX if postgresql else _SQLITE_INDEX:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_site_torrents_search")
    else:
        op.execute("DROP TABLE IF EXISTS site_torrents_fts")
    op.drop_table("site_transfers")
    op.drop_table("site_torrent_tags")
    op.drop_table("site_snatches")
    op.drop_table("site_moderation_messages")
    op.drop_table("site_favorites")
    op.drop_table("site_comments")
    op.drop_table("site_user_roles")
    op.drop_table("site_torrents")
    op.drop_table("site_sessions")
    op.drop_table("site_invites")
    op.drop_table("site_users")
    op.drop_table("site_torznab_requests")
    op.drop_table("site_tags")
    op.drop_table("site_settings")
    op.drop_table("site_roles")
    op.drop_table("site_challenges")
    op.drop_table("site_categories")
    op.drop_table("site_banned_ips")
    op.drop_table("site_audit")
