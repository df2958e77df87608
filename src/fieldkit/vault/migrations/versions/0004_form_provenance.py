"""Where an installed form came from: signed by the enrolled headquarters, or a local file.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("form", sa.Column("signed_by", sa.String(), nullable=True))
    op.add_column("form", sa.Column("published_at", sa.String(), nullable=True))


def downgrade() -> None:
    op.drop_column("form", "published_at")
    op.drop_column("form", "signed_by")
