"""The first HQ repository schema.

Revision ID: 0001
Revises:
Create Date: 2026-03-20
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

JSON_TYPE = sa.JSON()  # json, not jsonb, on PostgreSQL: see tables.JSON_TYPE


def upgrade() -> None:
    op.create_table(
        "devices",
        sa.Column("key_id", sa.String(32), nullable=False),
        sa.Column("public_key", sa.String(64), nullable=False),
        sa.Column("age_recipient", sa.String(100), nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("identity_created", sa.String(20), nullable=False),
        sa.Column("registered_at", sa.String(20), nullable=False),
        sa.Column("revoked_from", sa.Integer, nullable=True),
        sa.Column("revoked_at", sa.String(20), nullable=True),
        sa.PrimaryKeyConstraint("key_id", name="pk_devices"),
        sa.UniqueConstraint("public_key", name="uq_devices_public_key"),
    )
    op.create_table(
        "bundles",
        sa.Column("manifest_sha256", sa.String(64), nullable=False),
        sa.Column("bundle_id", sa.String(32), nullable=False),
        sa.Column("device_key_id", sa.String(32), nullable=False),
        sa.Column("sequence", sa.Integer, nullable=False),
        sa.Column("previous", sa.String(64), nullable=True),
        sa.Column("created", sa.String(20), nullable=False),
        sa.Column("ingested_at", sa.String(20), nullable=False),
        sa.Column("ciphertext_sha256", sa.String(64), nullable=False),
        sa.Column("revisions", sa.Integer, nullable=False),
        sa.Column("attachments", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("manifest_sha256", name="pk_bundles"),
        sa.ForeignKeyConstraint(
            ["device_key_id"], ["devices.key_id"], name="fk_bundles_device_key_id_devices"
        ),
        sa.UniqueConstraint("device_key_id", "sequence", name="uq_bundles_device_key_id_sequence"),
    )
    op.create_table(
        "bundle_revisions",
        sa.Column("manifest_sha256", sa.String(64), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("revision_sha256", sa.String(64), nullable=False),
        sa.Column("accepted", sa.Boolean, nullable=False),
        sa.PrimaryKeyConstraint("manifest_sha256", "position", name="pk_bundle_revisions"),
        sa.ForeignKeyConstraint(
            ["manifest_sha256"],
            ["bundles.manifest_sha256"],
            name="fk_bundle_revisions_manifest_sha256_bundles",
        ),
    )
    op.create_table(
        "forms",
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("form_id", sa.String(200), nullable=False),
        sa.Column("version", sa.String(200), nullable=False),
        sa.Column("definition", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("sha256", name="pk_forms"),
    )
    op.create_index("ix_forms_form_id_version", "forms", ["form_id", "version"])
    op.create_table(
        "sealed_batches",
        sa.Column("id", sa.Integer, nullable=False, autoincrement=True),
        sa.Column("ciphertext", sa.LargeBinary, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_sealed_batches"),
    )
    op.create_table(
        "revisions",
        sa.Column("seq", sa.Integer, nullable=False, autoincrement=True),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("record_id", sa.String(32), nullable=False),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("device_key_id", sa.String(32), nullable=False),
        sa.Column("form_sha256", sa.String(64), nullable=False),
        sa.Column("form_id", sa.String(200), nullable=False),
        sa.Column("form_version", sa.String(200), nullable=False),
        sa.Column("sealed_at", sa.String(20), nullable=False),
        sa.Column("previous", sa.String(64), nullable=True),
        sa.Column("answers", JSON_TYPE, nullable=False),
        sa.Column("attachments", JSON_TYPE, nullable=False),
        sa.Column("link_id", sa.String(32), nullable=False),
        sa.Column("manifest_sha256", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_revisions"),
        sa.UniqueConstraint("sha256", name="uq_revisions_sha256"),
        sa.UniqueConstraint("link_id", name="uq_revisions_link_id"),
        sa.UniqueConstraint("record_id", "number", name="uq_revisions_record_id_number"),
        sa.ForeignKeyConstraint(
            ["device_key_id"], ["devices.key_id"], name="fk_revisions_device_key_id_devices"
        ),
        sa.ForeignKeyConstraint(
            ["form_sha256"], ["forms.sha256"], name="fk_revisions_form_sha256_forms"
        ),
        sa.ForeignKeyConstraint(
            ["manifest_sha256"],
            ["bundles.manifest_sha256"],
            name="fk_revisions_manifest_sha256_bundles",
        ),
    )
    op.create_index("ix_revisions_form_id", "revisions", ["form_id"])
    op.create_table(
        "identifying",
        sa.Column("link_id", sa.String(32), nullable=False),
        sa.Column("batch_id", sa.Integer, nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("link_id", name="pk_identifying"),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["sealed_batches.id"], name="fk_identifying_batch_id_sealed_batches"
        ),
    )
    op.create_table(
        "attachments",
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("manifest_sha256", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("sha256", name="pk_attachments"),
        sa.ForeignKeyConstraint(
            ["manifest_sha256"],
            ["bundles.manifest_sha256"],
            name="fk_attachments_manifest_sha256_bundles",
        ),
    )
    op.create_table(
        "alarms",
        sa.Column("id", sa.Integer, nullable=False, autoincrement=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("device_key_id", sa.String(32), nullable=False),
        sa.Column("sequence", sa.Integer, nullable=True),
        sa.Column("manifest_sha256", sa.String(64), nullable=True),
        sa.Column("detail", JSON_TYPE, nullable=False),
        sa.Column("raised_at", sa.String(20), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_alarms"),
        sa.ForeignKeyConstraint(
            ["device_key_id"], ["devices.key_id"], name="fk_alarms_device_key_id_devices"
        ),
    )
    op.create_table(
        "receipts",
        sa.Column("receipt_id", sa.String(32), nullable=False),
        sa.Column("manifest_sha256", sa.String(64), nullable=False),
        sa.Column("device_key_id", sa.String(32), nullable=False),
        sa.Column("sequence", sa.Integer, nullable=False),
        sa.Column("issued", sa.String(20), nullable=False),
        sa.Column("accepted", sa.Integer, nullable=False),
        sa.Column("known", sa.Integer, nullable=False),
        sa.Column("file_name", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("receipt_id", name="pk_receipts"),
        sa.ForeignKeyConstraint(
            ["manifest_sha256"],
            ["bundles.manifest_sha256"],
            name="fk_receipts_manifest_sha256_bundles",
        ),
    )


def downgrade() -> None:
    for table in (
        "receipts",
        "alarms",
        "attachments",
        "identifying",
        "revisions",
        "sealed_batches",
        "forms",
        "bundle_revisions",
        "bundles",
        "devices",
    ):
        op.drop_table(table)
