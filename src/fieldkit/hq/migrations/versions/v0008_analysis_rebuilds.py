"""Analysis rebuilds: ``an_rebuilds`` gets one row per finished ``fieldkit-hq analysis
rebuild`` (when, how many records it read), so that a reader keeping results computed from the
analysis tables knows they may have changed.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "an_rebuilds",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", sa.String(20), nullable=False),
        sa.Column("records", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("an_rebuilds")
