"""Debrid bridge: items, arrs, repair jobs.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from torrentstack.db.base import UTCDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "debrid_items",
        sa.Column("hash", sa.String(length=40), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("category", sa.String(length=255), nullable=False),
        sa.Column("tags", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("provider", sa.String(length=64), nullable=False),
        sa.Column("remote_id", sa.String(length=255), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("uncached", sa.Boolean(), nullable=False),
        sa.Column("callback_url", sa.Text(), nullable=False),
        sa.Column("magnet", sa.Text(), nullable=False),
        sa.Column("torrent", sa.LargeBinary(), nullable=True),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("progress", sa.Float(), nullable=False),
        sa.Column("speed", sa.BigInteger(), nullable=False),
        sa.Column("seeders", sa.Integer(), nullable=False),
        sa.Column("files", sa.Text(), nullable=False),
        sa.Column("save_path", sa.Text(), nullable=False),
        sa.Column("content_path", sa.Text(), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("added_on", UTCDateTime(), nullable=False),
        sa.Column("completed_on", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("hash", name=op.f("pk_debrid_items")),
    )
    op.create_table(
        "debrid_arrs",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("host", sa.Text(), nullable=False),
        sa.Column("token", sa.Text(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_debrid_arrs")),
    )
    op.create_table(
        "debrid_repair_jobs",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("arrs", sa.Text(), nullable=False),
        sa.Column("media_ids", sa.Text(), nullable=False),
        sa.Column("auto_process", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("broken_items", sa.Text(), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_debrid_repair_jobs")),
    )


def downgrade() -> None:
    op.drop_table("debrid_repair_jobs")
    op.drop_table("debrid_arrs")
    op.drop_table("debrid_items")
