"""Bundles and receipts: the device's age identity, its enrolment, exported bundles, receipts.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from __future__ import annotations

import pyrage
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("device_identity") as batch:
        batch.add_column(sa.Column("age_identity", sa.String(), nullable=True))
    # Devices created before bundles existed get their age identity now.
    connection = op.get_bind()
    keys = [row[0] for row in connection.execute(sa.text("SELECT key_id FROM device_identity"))]
    for key_id in keys:
        connection.execute(
            sa.text("UPDATE device_identity SET age_identity = :secret WHERE key_id = :key"),
            {"secret": str(pyrage.x25519.Identity.generate()), "key": key_id},
        )
    op.create_table(
        "enrolment",
        sa.Column("hq_key_id", sa.String(), nullable=False),
        sa.Column("hq_name", sa.String(), nullable=False),
        sa.Column("signing_public_key", sa.LargeBinary(), nullable=False),
        sa.Column("ingest_recipient", sa.String(), nullable=False),
        sa.Column("escrow_recipient", sa.String(), nullable=True),
        sa.Column("address", sa.String(), nullable=True),
        sa.Column("document", sa.LargeBinary(), nullable=False),
        sa.Column("enrolled_at", sa.String(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("hq_key_id"),
    )
    op.create_table(
        "bundle",
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("bundle_id", sa.String(), nullable=False),
        sa.Column("manifest_sha256", sa.String(), nullable=False),
        sa.Column("file_name", sa.String(), nullable=False),
        sa.Column("created_at", sa.String(), nullable=False),
        sa.Column("revisions", sa.Integer(), nullable=False),
        sa.Column("attachments", sa.Integer(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("hq_key_id", sa.String(), nullable=False),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("acknowledged_at", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("seq"),
        sa.UniqueConstraint("bundle_id"),
    )
    op.create_table(
        "receipt",
        sa.Column("receipt_id", sa.String(), nullable=False),
        sa.Column("bundle_id", sa.String(), nullable=False),
        sa.Column("issued_at", sa.String(), nullable=False),
        sa.Column("imported_at", sa.String(), nullable=False),
        sa.Column("accepted", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("receipt_id"),
    )


def downgrade() -> None:
    op.drop_table("receipt")
    op.drop_table("bundle")
    op.drop_table("enrolment")
    with op.batch_alter_table("device_identity") as batch:
        batch.drop_column("age_identity")
