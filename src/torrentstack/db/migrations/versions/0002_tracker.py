"""Tracker: whitelist, keys, persisted completed counts, linked hybrid hashes.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from torrentstack.db.base import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tracker_whitelist",
        sa.Column("info_hash", sa.String(40), nullable=False),
        sa.PrimaryKeyConstraint("info_hash", name=op.f("pk_tracker_whitelist")),
    )
    op.create_table(
        "tracker_keys",
        sa.Column("key", sa.String(32), nullable=False),
        sa.Column("valid_until", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_tracker_keys")),
    )
    op.create_table(
        "tracker_torrents",
        sa.Column("info_hash", sa.String(40), nullable=False),
        sa.Column("completed", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("info_hash", name=op.f("pk_tracker_torrents")),
    )
    op.create_table(
        "tracker_hash_links",
        sa.Column("alias", sa.String(40), nullable=False),
        sa.Column("primary", sa.String(40), nullable=False),
        sa.PrimaryKeyConstraint("alias", name=op.f("pk_tracker_hash_links")),
    )


def downgrade() -> None:
    op.drop_table("tracker_hash_links")
    op.drop_table("tracker_torrents")
    op.drop_table("tracker_keys")
    op.drop_table("tracker_whitelist")
