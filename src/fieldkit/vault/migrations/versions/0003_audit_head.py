"""Record the audit log's chain head, so that ``audit verify`` finds entries cut off its end.

From this revision on, every append also writes the setting ``audit_head`` (the last entry's
number and hash) in the same transaction. A vault made before it gets its head from the log as it
stands when it is upgraded.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

HEAD_SETTING = "audit_head"  # fieldkit.vault.audit.HEAD_SETTING, fixed here as written


def upgrade() -> None:
    connection = op.get_bind()
    last = connection.execute(
        sa.text("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1")
    ).first()
    if last is None:
        return
    value = json.dumps(
        {"seq": int(last[0]), "hash": str(last[1])}, sort_keys=True, separators=(",", ":")
    )
    connection.execute(
        sa.text(
            "INSERT INTO setting (key, value) VALUES (:key, :value) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value"
        ),
        {"key": HEAD_SETTING, "value": value},
    )


def downgrade() -> None:
    op.get_bind().execute(sa.text("DELETE FROM setting WHERE key = :key"), {"key": HEAD_SETTING})
