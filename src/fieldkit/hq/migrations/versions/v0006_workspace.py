"""The analysts' workspace: its users, their sessions, reveals, and form deliveries.

``web_users`` (accounts with Argon2id password hashes, optional TOTP second factor, lock-out,
last sign-in),
``web_sessions`` (server-side sessions; only the SHA-256 of the browser's token is stored),
``web_reveals`` (which record a session revealed, until when; gone with the session) and
``form_deliveries`` (when a device first and last fetched a published form). See
:mod:`fieldkit.hq.repository.tables_web`.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

HASH = sa.String(64)
ID = sa.String(32)
TIME = sa.String(20)
USER_NAME = sa.String(64)


def upgrade() -> None:
    op.create_table(
        "web_users",
        sa.Column("name", USER_NAME, nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("password_hash", sa.Text, nullable=False),
        sa.Column("must_change", sa.Boolean, nullable=False),
        sa.Column("totp_secret", sa.String(128), nullable=True),
        sa.Column("totp_pending", sa.String(128), nullable=True),
        sa.Column("totp_last_step", sa.Integer, nullable=True),
        sa.Column("failures", sa.Integer, nullable=False),
        sa.Column("locked_until", TIME, nullable=True),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("disabled_at", TIME, nullable=True),
        sa.Column("last_sign_in_at", TIME, nullable=True),
        sa.PrimaryKeyConstraint("name", name="pk_web_users"),
    )
    op.create_table(
        "web_sessions",
        sa.Column("id", ID, nullable=False),
        sa.Column("token_sha256", HASH, nullable=False),
        sa.Column("user_name", USER_NAME, nullable=False),
        sa.Column("stage", sa.String(8), nullable=False),
        sa.Column("csrf", HASH, nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("seen_at", TIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_web_sessions"),
        sa.UniqueConstraint("token_sha256", name="uq_web_sessions_token_sha256"),
        sa.ForeignKeyConstraint(
            ["user_name"], ["web_users.name"], name="fk_web_sessions_user_name_web_users"
        ),
    )
    op.create_index("ix_web_sessions_user_name", "web_sessions", ["user_name"])
    op.create_table(
        "web_reveals",
        sa.Column("session_id", ID, nullable=False),
        sa.Column("record_id", ID, nullable=False),
        sa.Column("until", TIME, nullable=False),
        sa.PrimaryKeyConstraint("session_id", "record_id", name="pk_web_reveals"),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["web_sessions.id"],
            name="fk_web_reveals_session_id_web_sessions",
            ondelete="CASCADE",
        ),
    )
    op.create_table(
        "form_deliveries",
        sa.Column("device_key_id", ID, nullable=False),
        sa.Column("form_sha256", HASH, nullable=False),
        sa.Column("first_at", TIME, nullable=False),
        sa.Column("last_at", TIME, nullable=False),
        sa.PrimaryKeyConstraint("device_key_id", "form_sha256", name="pk_form_deliveries"),
        sa.ForeignKeyConstraint(
            ["device_key_id"], ["devices.key_id"], name="fk_form_deliveries_device_key_id_devices"
        ),
    )


def downgrade() -> None:
    op.drop_table("form_deliveries")
    op.drop_table("web_reveals")
    op.drop_table("web_sessions")
    op.drop_table("web_users")
