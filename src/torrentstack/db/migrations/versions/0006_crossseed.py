"""cross-seed: decisions, downloaded .torrent files, search timestamps, indexer state.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from torrentstack.db.base import UTCDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "crossseed_decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("searchee", sa.String(length=512), nullable=False),
        sa.Column("guid", sa.String(length=1024), nullable=False),
        sa.Column("info_hash", sa.String(length=40), nullable=True),
        sa.Column("decision", sa.String(length=32), nullable=False),
        sa.Column("fuzzy_size_factor", sa.Float(), nullable=False),
        sa.Column("first_seen", UTCDateTime(), nullable=False),
        sa.Column("last_seen", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crossseed_decisions")),
        sa.UniqueConstraint("searchee", "guid", name=op.f("uq_crossseed_decisions_searchee_guid")),
    )
    op.create_table(
        "crossseed_torrents",
        sa.Column("info_hash", sa.String(length=40), nullable=False),
        sa.Column("guid", sa.String(length=1024), nullable=False),
        sa.Column("tracker", sa.Text(), nullable=False),
        sa.Column("raw", sa.LargeBinary(), nullable=False),
        sa.Column("fetched_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("info_hash", name=op.f("pk_crossseed_torrents")),
    )
    op.create_index("ix_crossseed_torrents_guid", "crossseed_torrents", ["guid"])
    op.create_table(
        "crossseed_timestamps",
        sa.Column("searchee", sa.String(length=512), nullable=False),
        sa.Column("indexer", sa.String(length=255), nullable=False),
        sa.Column("first_searched", UTCDateTime(), nullable=False),
        sa.Column("last_searched", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("searchee", "indexer", name=op.f("pk_crossseed_timestamps")),
    )
    op.create_table(
        "crossseed_indexers",
        sa.Column("indexer", sa.String(length=255), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("retry_after", UTCDateTime(), nullable=True),
        sa.Column("last_seen_guid", sa.String(length=1024), nullable=True),
        sa.PrimaryKeyConstraint("indexer", name=op.f("pk_crossseed_indexers")),
    )


def downgrade() -> None:
    op.drop_table("crossseed_indexers")
    op.drop_table("crossseed_timestamps")
    op.drop_index("ix_crossseed_torrents_guid", table_name="crossseed_torrents")
    op.drop_table("crossseed_torrents")
    op.drop_table("crossseed_decisions")
