"""The first vault schema: forms, records, sealed revisions, attachments, audit log, identity.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

IMMUTABLE_REVISION = """
CREATE TRIGGER revision_sealed_no_update BEFORE UPDATE ON revision
WHEN NEW.record_id IS NOT OLD.record_id OR NEW.number IS NOT OLD.number
  OR NEW.sha256 IS NOT OLD.sha256 OR NEW.previous IS NOT OLD.previous
  OR NEW.signature IS NOT OLD.signature OR NEW.key_id IS NOT OLD.key_id
  OR NEW.sealed_at IS NOT OLD.sealed_at
  OR (NEW.content IS NOT OLD.content AND NOT (NEW.content IS NULL AND NEW.status = 'acknowledged'))
BEGIN SELECT RAISE(ABORT, 'sealed revisions cannot be changed'); END
"""
UNDELETABLE_REVISION = """
CREATE TRIGGER revision_sealed_no_delete BEFORE DELETE ON revision
BEGIN SELECT RAISE(ABORT, 'sealed revisions cannot be deleted'); END
"""
IMMUTABLE_AUDIT = """
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END
"""
UNDELETABLE_AUDIT = """
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END
"""
SEARCH_INDEX = """
CREATE VIRTUAL TABLE record_fts USING fts5(
  title, body, tokenize = 'unicode61 remove_diacritics 2'
)
"""


def upgrade() -> None:
    op.create_table(
        "form",
        sa.Column("form_id", sa.String(), nullable=False),
        sa.Column("version", sa.String(), nullable=False),
        sa.Column("definition", sa.String(), nullable=False),
        sa.Column("sha256", sa.String(), nullable=False),
        sa.Column("installed_at", sa.String(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("form_id", "version"),
    )
    op.create_table(
        "record",
        sa.Column("num", sa.Integer(), nullable=False),
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("form_id", sa.String(), nullable=False),
        sa.Column("form_version", sa.String(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("created_at", sa.String(), nullable=False),
        sa.Column("updated_at", sa.String(), nullable=False),
        sa.Column("draft", sa.String(), nullable=True),
        sa.Column("revision_count", sa.Integer(), nullable=False),
        sa.Column("head_sha256", sa.String(), nullable=True),
        sa.Column("title", sa.String(), nullable=False),
        sa.Column("event_date", sa.String(), nullable=False),
        sa.Column("place", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(["form_id", "form_version"], ["form.form_id", "form.version"]),
        sa.PrimaryKeyConstraint("num"),
        sa.UniqueConstraint("id"),
    )
    op.create_index("ix_record_updated", "record", ["updated_at"])
    op.create_index("ix_record_form_status", "record", ["form_id", "status"])
    op.create_index("ix_record_status_updated", "record", ["status", "updated_at"])
    op.create_table(
        "revision",
        sa.Column("record_id", sa.String(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=True),
        sa.Column("sha256", sa.String(), nullable=False),
        sa.Column("previous", sa.String(), nullable=True),
        sa.Column("signature", sa.LargeBinary(), nullable=False),
        sa.Column("key_id", sa.String(), nullable=False),
        sa.Column("sealed_at", sa.String(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("exported_at", sa.String(), nullable=True),
        sa.Column("bundle_seq", sa.Integer(), nullable=True),
        sa.Column("acknowledged_at", sa.String(), nullable=True),
        sa.ForeignKeyConstraint(["record_id"], ["record.id"]),
        sa.PrimaryKeyConstraint("record_id", "number"),
        sa.UniqueConstraint("sha256"),
    )
    op.create_index("ix_revision_status", "revision", ["status"])
    op.create_table(
        "attachment",
        sa.Column("sha256", sa.String(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("media_type", sa.String(), nullable=False),
        sa.Column("chunk_count", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("sha256"),
    )
    op.create_table(
        "attachment_chunk",
        sa.Column("sha256", sa.String(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["sha256"], ["attachment.sha256"]),
        sa.PrimaryKeyConstraint("sha256", "seq"),
    )
    op.create_table(
        "audit",
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("at", sa.String(), nullable=False),
        sa.Column("action", sa.String(), nullable=False),
        sa.Column("subject", sa.String(), nullable=True),
        sa.Column("detail", sa.String(), nullable=False),
        sa.Column("previous", sa.String(), nullable=False),
        sa.Column("hash", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
    )
    op.create_table(
        "device_identity",
        sa.Column("key_id", sa.String(), nullable=False),
        sa.Column("private_key", sa.LargeBinary(), nullable=False),
        sa.Column("public_key", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.String(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("key_id"),
    )
    op.create_table(
        "setting",
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("value", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    for statement in (
        IMMUTABLE_REVISION,
        UNDELETABLE_REVISION,
        IMMUTABLE_AUDIT,
        UNDELETABLE_AUDIT,
        SEARCH_INDEX,
    ):
        op.execute(statement)


def downgrade() -> None:
    op.execute("DROP TABLE record_fts")
    for trigger in (
        "audit_no_delete",
        "audit_no_update",
        "revision_sealed_no_delete",
        "revision_sealed_no_update",
    ):
        op.execute(f"DROP TRIGGER {trigger}")
    for table in (
        "setting",
        "device_identity",
        "audit",
        "attachment_chunk",
        "attachment",
        "revision",
        "record",
        "form",
    ):
        op.drop_table(table)
