"""Tables of the analysts' workspace (migration v0006): its users, their sessions, what each
session revealed, and which devices fetched which published form.

- ``web_users``: one row per account (never deleted: disabled). ``password_hash`` is an
  Argon2id hash; ``must_change`` marks a temporary password; ``totp_secret`` the confirmed second
  factor's key, sealed with a key derived from HQ's signing key (``totp_pending`` one being set
  up, sealed too; ``totp_last_step`` the time step of the last code
  accepted, which is not accepted twice); ``failures`` and ``locked_until`` the lock-out;
  ``last_sign_in_at`` when the account last signed in (after its second factor, if any).
- ``web_sessions``: server-side sessions. ``id`` is a random public id (what reveals point to);
  the browser holds a separate token of which only the SHA-256 (``token_sha256``) is stored.
  ``stage`` is ``code`` while a second factor is still awaited, ``full`` once signed in.
  ``csrf`` is the session's synchronizer token.
- ``web_reveals``: which record a session revealed (identifying answers and attachments), until
  when.
- ``form_deliveries``: when a device first and last fetched a published form over sync.
"""

from __future__ import annotations

import sqlalchemy as sa

from fieldkit.hq.repository.tables import HASH, ID, TIME, metadata

USER_NAME = sa.String(64)

web_users = sa.Table(
    "web_users",
    metadata,
    sa.Column("name", USER_NAME, primary_key=True),
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
)

web_sessions = sa.Table(
    "web_sessions",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("token_sha256", HASH, nullable=False, unique=True),
    sa.Column("user_name", USER_NAME, sa.ForeignKey("web_users.name"), nullable=False, index=True),
    sa.Column("stage", sa.String(8), nullable=False),
    sa.Column("csrf", HASH, nullable=False),
    sa.Column("created_at", TIME, nullable=False),
    sa.Column("seen_at", TIME, nullable=False),
)

web_reveals = sa.Table(
    "web_reveals",
    metadata,
    sa.Column(
        "session_id",
        ID,
        sa.ForeignKey("web_sessions.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("record_id", ID, primary_key=True),
    sa.Column("until", TIME, nullable=False),
)

form_deliveries = sa.Table(
    "form_deliveries",
    metadata,
    sa.Column("device_key_id", ID, sa.ForeignKey("devices.key_id"), primary_key=True),
    sa.Column("form_sha256", HASH, primary_key=True),
    sa.Column("first_at", TIME, nullable=False),
    sa.Column("last_at", TIME, nullable=False),
)
