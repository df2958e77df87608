"""HQ's own judgements: the signed audit log, record reviews and victim linking.

``audit_log`` (append-only, each entry signed and chained), ``reviews`` (append-only, each
signed) and ``review_status`` (the current review per record), ``victim_keys`` (keyed hashes of
victims' names, never the names) and ``victim_links`` (signed decisions). Sealed revisions are
untouched. See :mod:`fieldkit.hq.repository.tables_review`.

The append-only tables (``audit_log``, ``reviews``, ``victim_links``) refuse UPDATE and DELETE
with a trigger: a guard against mistakes and casual edits. Someone who owns the database can drop
it; what then shows tampering is the signatures and the chain (``fieldkit-hq audit --verify``).

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

HASH = sa.String(64)
ID = sa.String(32)
TIME = sa.String(20)
SIGNATURE = sa.String(128)
VICTIM_ID = sa.String(48)
APPEND_ONLY = ("audit_log", "reviews", "victim_links")
PG_FUNCTION = "fieldkit_append_only"


def _signed() -> list[sa.Column[str]]:
    return [
        sa.Column("hash", HASH, nullable=False),
        sa.Column("signer", ID, nullable=False),
        sa.Column("signature", SIGNATURE, nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer, autoincrement=False, nullable=False),
        sa.Column("at", TIME, nullable=False),
        sa.Column("actor", sa.Text, nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("subject", sa.String(100), nullable=True),
        sa.Column("detail", sa.Text, nullable=False),
        sa.Column("previous", HASH, nullable=False),
        *_signed(),
        sa.PrimaryKeyConstraint("id", name="pk_audit_log"),
        sa.UniqueConstraint("hash", name="uq_audit_log_hash"),
    )
    op.create_table(
        "reviews",
        sa.Column("id", sa.Integer, autoincrement=False, nullable=False),
        sa.Column("record_id", ID, nullable=False),
        sa.Column("revision_sha256", HASH, nullable=False),
        sa.Column("at", TIME, nullable=False),
        sa.Column("actor", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("grade_source", sa.String(1), nullable=True),
        sa.Column("grade_info", sa.Integer, nullable=True),
        sa.Column("note", sa.Text, nullable=True),
        *_signed(),
        sa.PrimaryKeyConstraint("id", name="pk_reviews"),
        sa.UniqueConstraint("hash", name="uq_reviews_hash"),
    )
    op.create_index("ix_reviews_record_id", "reviews", ["record_id"])
    op.create_table(
        "review_status",
        sa.Column("record_id", ID, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("grade_source", sa.String(1), nullable=True),
        sa.Column("grade_info", sa.Integer, nullable=True),
        sa.Column("updated_at", TIME, nullable=False),
        sa.Column("review_id", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("record_id", name="pk_review_status"),
        sa.ForeignKeyConstraint(
            ["review_id"], ["reviews.id"], name="fk_review_status_review_id_reviews"
        ),
    )
    op.create_index("ix_review_status_status", "review_status", ["status"])
    op.create_table(
        "victim_keys",
        sa.Column("victim_id", VICTIM_ID, nullable=False),
        sa.Column("record_id", ID, nullable=False),
        sa.Column("key", HASH, nullable=False),
        sa.PrimaryKeyConstraint("victim_id", name="pk_victim_keys"),
    )
    op.create_index("ix_victim_keys_record_id", "victim_keys", ["record_id"])
    op.create_index("ix_victim_keys_key", "victim_keys", ["key"])
    op.create_table(
        "victim_links",
        sa.Column("id", sa.Integer, autoincrement=False, nullable=False),
        sa.Column("victim_a", VICTIM_ID, nullable=False),
        sa.Column("victim_b", VICTIM_ID, nullable=False),
        sa.Column("decision", sa.String(8), nullable=False),
        sa.Column("at", TIME, nullable=False),
        sa.Column("actor", sa.Text, nullable=False),
        *_signed(),
        sa.PrimaryKeyConstraint("id", name="pk_victim_links"),
        sa.UniqueConstraint("hash", name="uq_victim_links_hash"),
    )
    op.create_index("ix_victim_links_victim_a_victim_b", "victim_links", ["victim_a", "victim_b"])
    _append_only()


def _append_only() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"CREATE FUNCTION {PG_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            "RAISE EXCEPTION 'fieldkit: % is append-only', TG_TABLE_NAME; END $$"
        )
        for table in APPEND_ONLY:
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                f"FOR EACH ROW EXECUTE FUNCTION {PG_FUNCTION}()"
            )
        return
    for table in APPEND_ONLY:
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_no_{event.lower()} BEFORE {event} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, 'fieldkit: {table} is append-only'); END"
            )


def downgrade() -> None:
    op.drop_table("victim_links")
    op.drop_table("victim_keys")
    op.drop_table("review_status")
    op.drop_table("reviews")
    op.drop_table("audit_log")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP FUNCTION {PG_FUNCTION}()")
