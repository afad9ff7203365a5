"""Baseline: the empty schema every later migration builds on.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Nothing to create: services add their tables in the revisions that follow."""


def downgrade() -> None:
    """Nothing to drop."""
