"""The outbox: bundles written for network sync, waiting in the vault's private folder.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outbox",
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("file_name", sa.String(), nullable=False),
        sa.Column("sha256", sa.String(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sent", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("reason", sa.String(), nullable=True),
        sa.Column("created_at", sa.String(), nullable=False),
        sa.Column("uploaded_at", sa.String(), nullable=True),
        sa.Column("delivered_at", sa.String(), nullable=True),
        sa.ForeignKeyConstraint(["seq"], ["bundle.seq"]),
        sa.PrimaryKeyConstraint("seq"),
    )
    op.create_table(
        "outbox_attachment",
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(["seq"], ["outbox.seq"]),
        sa.PrimaryKeyConstraint("seq", "sha256"),
    )


def downgrade() -> None:
    op.drop_table("outbox_attachment")
    op.drop_table("outbox")
