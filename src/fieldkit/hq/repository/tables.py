"""The repository's tables (SQLAlchemy Core), shared by the SQLite and PostgreSQL backends.

The schema itself is created and changed only by the Alembic migrations in
``fieldkit/hq/migrations``; a test checks that the migrated schema matches these definitions.

Identifying answers are not in any of these columns in clear: ``revisions.answers`` holds only
public and restricted answers; ``identifying`` links a revision's random ``link_id`` to its
entry in a ``sealed_batches`` row, an age file encrypted to HQ's own keys.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

JSON_TYPE = sa.JSON()
"""``json`` on PostgreSQL, not ``jsonb``: jsonb refuses the escape ``\\u0000``, which a sealed
revision's answers may hold (the bundle format allows any string but an unpaired surrogate).
No query of the repository looks inside these columns."""
ANSWERS_TYPE = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
"""``revisions.answers``: ``jsonb`` on PostgreSQL (since schema 0004), for analysts' queries.
jsonb refuses ``\\u0000``: the answers of the rare revision holding one are stored wrapped,
exactly, as :data:`WRAPPED_ANSWERS` (see :func:`fieldkit.hq.repository.rows.stored_answers`)."""
WRAPPED_ANSWERS = "fieldkit:json"
"""The one key of a wrapper ``{"fieldkit:json": "<the answers' exact JSON text>"}``: no field name
holds a ``:``, so no answers object has this key."""
HASH = sa.String(64)
ID = sa.String(32)
TIME = sa.String(20)

devices = sa.Table(
    "devices",
    metadata,
    sa.Column("key_id", ID, primary_key=True),
    sa.Column("public_key", HASH, nullable=False, unique=True),
    sa.Column("age_recipient", sa.String(100), nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("identity_created", TIME, nullable=False),
    sa.Column("registered_at", TIME, nullable=False),
    sa.Column("revoked_from", sa.Integer, nullable=True),
    sa.Column("revoked_at", TIME, nullable=True),
    sa.Column("lost_at", TIME, nullable=True),
)

bundles = sa.Table(
    "bundles",
    metadata,
    sa.Column("manifest_sha256", HASH, primary_key=True),
    sa.Column("bundle_id", ID, nullable=False),
    sa.Column("device_key_id", ID, sa.ForeignKey("devices.key_id"), nullable=False),
    sa.Column("sequence", sa.Integer, nullable=False),
    sa.Column("previous", HASH, nullable=True),
    sa.Column("created", TIME, nullable=False),
    sa.Column("ingested_at", TIME, nullable=False),
    sa.Column("ciphertext_sha256", HASH, nullable=False),
    sa.Column("revisions", sa.Integer, nullable=False),
    sa.Column("attachments", sa.Integer, nullable=False),
    sa.UniqueConstraint("device_key_id", "sequence"),
)

bundle_revisions = sa.Table(
    "bundle_revisions",
    metadata,
    sa.Column("manifest_sha256", HASH, sa.ForeignKey("bundles.manifest_sha256"), primary_key=True),
    sa.Column("position", sa.Integer, primary_key=True),
    sa.Column("revision_sha256", HASH, nullable=False),
    sa.Column("accepted", sa.Boolean, nullable=False),
)

forms = sa.Table(
    "forms",
    metadata,
    sa.Column("sha256", HASH, primary_key=True),
    sa.Column("form_id", sa.String(200), nullable=False),
    sa.Column("version", sa.String(200), nullable=False),
    sa.Column("definition", sa.Text, nullable=False),
    sa.Index(None, "form_id", "version"),
)

sealed_batches = sa.Table(
    "sealed_batches",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("ciphertext", sa.LargeBinary, nullable=False),
)

revisions = sa.Table(
    "revisions",
    metadata,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("sha256", HASH, nullable=False, unique=True),
    sa.Column("record_id", ID, nullable=False),
    sa.Column("number", sa.Integer, nullable=False),
    sa.Column("device_key_id", ID, sa.ForeignKey("devices.key_id"), nullable=False),
    sa.Column("form_sha256", HASH, sa.ForeignKey("forms.sha256"), nullable=False),
    sa.Column("form_id", sa.String(200), nullable=False),
    sa.Column("form_version", sa.String(200), nullable=False),
    sa.Column("sealed_at", TIME, nullable=False),
    sa.Column("previous", HASH, nullable=True),
    sa.Column("answers", ANSWERS_TYPE, nullable=False),
    sa.Column("attachments", JSON_TYPE, nullable=False),
    sa.Column("link_id", ID, nullable=False, unique=True),
    sa.Column("manifest_sha256", HASH, sa.ForeignKey("bundles.manifest_sha256"), nullable=False),
    sa.UniqueConstraint("record_id", "number"),
    sa.Index(None, "form_id"),
)

identifying = sa.Table(
    "identifying",
    metadata,
    sa.Column("link_id", ID, primary_key=True),
    sa.Column("batch_id", sa.Integer, sa.ForeignKey("sealed_batches.id"), nullable=False),
    sa.Column("position", sa.Integer, nullable=False),
)

attachments = sa.Table(
    "attachments",
    metadata,
    sa.Column("sha256", HASH, primary_key=True),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("manifest_sha256", HASH, sa.ForeignKey("bundles.manifest_sha256"), nullable=False),
)

alarms = sa.Table(
    "alarms",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("device_key_id", ID, sa.ForeignKey("devices.key_id"), nullable=False),
    sa.Column("sequence", sa.Integer, nullable=True),
    sa.Column("manifest_sha256", HASH, nullable=True),
    sa.Column("detail", JSON_TYPE, nullable=False),
    sa.Column("raised_at", TIME, nullable=False),
)

receipts = sa.Table(
    "receipts",
    metadata,
    sa.Column("receipt_id", ID, primary_key=True),
    sa.Column("manifest_sha256", HASH, sa.ForeignKey("bundles.manifest_sha256"), nullable=False),
    sa.Column("device_key_id", ID, nullable=False),
    sa.Column("sequence", sa.Integer, nullable=False),
    sa.Column("issued", TIME, nullable=False),
    sa.Column("accepted", sa.Integer, nullable=False),
    sa.Column("known", sa.Integer, nullable=False),
    sa.Column("file_name", sa.String(64), nullable=False),
)

# -- network sync (fieldkit.hq.server): sessions and resumable uploads --------------------------
# Times here are whole seconds since the epoch: they are compared on every request.

sync_challenges = sa.Table(
    "sync_challenges",
    metadata,
    sa.Column("challenge", HASH, primary_key=True),
    sa.Column("device_key_id", ID, nullable=False),
    sa.Column("expires_at", sa.BigInteger, nullable=False),
)

sync_tokens = sa.Table(
    "sync_tokens",
    metadata,
    sa.Column("token_sha256", HASH, primary_key=True),
    sa.Column("device_key_id", ID, nullable=False, index=True),
    sa.Column("expires_at", sa.BigInteger, nullable=False),
)

sync_uploads = sa.Table(
    "sync_uploads",
    metadata,
    sa.Column("upload_id", ID, primary_key=True),
    sa.Column("device_key_id", ID, nullable=False),
    sa.Column("bundle_sha256", HASH, nullable=False),
    sa.Column("length", sa.BigInteger, nullable=False),
    sa.Column("offset", sa.BigInteger, nullable=False),
    sa.Column("expires_at", sa.BigInteger, nullable=False),
    sa.Column("manifest_sha256", HASH, nullable=True),
    sa.UniqueConstraint("device_key_id", "bundle_sha256"),
)


# The analysis tables are defined on the same metadata (fieldkit.hq.analysis.tables): imported
# here so that whoever has the repository's tables has all of them.
import fieldkit.hq.analysis.tables  # noqa: E402, F401
