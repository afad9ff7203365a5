"""Client: torrents with their options, categories, tags, preferences.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "client_torrents",
        sa.Column("hash", sa.String(40), nullable=False),
        sa.Column("torrent", sa.LargeBinary(), nullable=False),
        sa.Column("magnet", sa.Text(), nullable=False),
        sa.Column("options", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("hash", name=op.f("pk_client_torrents")),
    )
    op.create_table(
        "client_categories",
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("save_path", sa.Text(), nullable=False),
        sa.Column("download_path", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_client_categories")),
    )
    op.create_table(
        "client_tags",
        sa.Column("name", sa.String(255), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_client_tags")),
    )
    op.create_table(
        "client_preferences",
        sa.Column("key", sa.String(100), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_client_preferences")),
    )


def downgrade() -> None:
    op.drop_table("client_preferences")
    op.drop_table("client_tags")
    op.drop_table("client_categories")
    op.drop_table("client_torrents")
