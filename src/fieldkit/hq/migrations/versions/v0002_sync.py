"""Network sync: challenges, session tokens and resumable uploads.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sync_challenges",
        sa.Column("challenge", sa.String(64), nullable=False),
        sa.Column("device_key_id", sa.String(32), nullable=False),
        sa.Column("expires_at", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("challenge", name="pk_sync_challenges"),
    )
    op.create_table(
        "sync_tokens",
        sa.Column("token_sha256", sa.String(64), nullable=False),
        sa.Column("device_key_id", sa.String(32), nullable=False),
        sa.Column("expires_at", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("token_sha256", name="pk_sync_tokens"),
    )
    op.create_index("ix_sync_tokens_device_key_id", "sync_tokens", ["device_key_id"])
    op.create_table(
        "sync_uploads",
        sa.Column("upload_id", sa.String(32), nullable=False),
        sa.Column("device_key_id", sa.String(32), nullable=False),
        sa.Column("bundle_sha256", sa.String(64), nullable=False),
        sa.Column("length", sa.BigInteger, nullable=False),
        sa.Column("offset", sa.BigInteger, nullable=False),
        sa.Column("expires_at", sa.BigInteger, nullable=False),
        sa.Column("manifest_sha256", sa.String(64), nullable=True),
        sa.PrimaryKeyConstraint("upload_id", name="pk_sync_uploads"),
        sa.UniqueConstraint(
            "device_key_id", "bundle_sha256", name="uq_sync_uploads_device_key_id_bundle_sha256"
        ),
    )


def downgrade() -> None:
    op.drop_table("sync_uploads")
    op.drop_index("ix_sync_tokens_device_key_id", "sync_tokens")
    op.drop_table("sync_tokens")
    op.drop_table("sync_challenges")
