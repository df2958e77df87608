"""Alembic environment for the vault: runs on the keyed connection that fieldkit passes in.

There is no database URL here on purpose: the vault can only be opened with its key, which
fieldkit supplies through ``config.attributes["connection"]``.
"""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import fieldkit.vault.models  # noqa: F401  (registers the tables on SQLModel.metadata)

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("fieldkit's vault migrations run only through fieldkit (needs the key)")

context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    render_as_batch=True,
)
with context.begin_transaction():
    context.run_migrations()
