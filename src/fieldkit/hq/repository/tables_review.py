"""Tables of HQ's own judgements (migration v0005): the signed audit log, record reviews and
victim linking. They sit beside the sealed revisions and never change them.

- ``audit_log``: append-only; each entry is signed with HQ's Ed25519 key and chained to the
  previous entry's hash (:mod:`fieldkit.hq.audit`). Its ``detail`` is canonical JSON text (ids,
  codes and counts, never record content nor identities), kept as text so that no database
  rewrites the bytes that were signed.
- ``reviews``: append-only history of reviews, each signed; ``review_status`` the current one
  per record (:mod:`fieldkit.hq.review`). ``note`` is restricted text.
- ``victim_keys``: a keyed hash of each victim's normalised name (never the name itself);
  ``victim_links``: signed decisions that two victims are, or are not, the same person
  (:mod:`fieldkit.hq.victims`).
"""

from __future__ import annotations

import sqlalchemy as sa

from fieldkit.hq.repository.tables import HASH, ID, TIME, metadata

SIGNATURE = sa.String(128)
VICTIM_ID = sa.String(48)
"""``<record_id>.<n>``: a record id (32) and the victim's place in the record."""

audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("at", TIME, nullable=False),
    sa.Column("actor", sa.Text, nullable=False),
    sa.Column("action", sa.String(40), nullable=False),
    sa.Column("subject", sa.String(100), nullable=True),
    sa.Column("detail", sa.Text, nullable=False),
    sa.Column("previous", HASH, nullable=False),
    sa.Column("hash", HASH, nullable=False, unique=True),
    sa.Column("signer", ID, nullable=False),
    sa.Column("signature", SIGNATURE, nullable=False),
)

reviews = sa.Table(
    "reviews",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("record_id", ID, nullable=False, index=True),
    sa.Column("revision_sha256", HASH, nullable=False),
    sa.Column("at", TIME, nullable=False),
    sa.Column("actor", sa.Text, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("grade_source", sa.String(1), nullable=True),
    sa.Column("grade_info", sa.Integer, nullable=True),
    sa.Column("note", sa.Text, nullable=True),
    sa.Column("hash", HASH, nullable=False, unique=True),
    sa.Column("signer", ID, nullable=False),
    sa.Column("signature", SIGNATURE, nullable=False),
)

review_status = sa.Table(
    "review_status",
    metadata,
    sa.Column("record_id", ID, primary_key=True),
    sa.Column("status", sa.String(16), nullable=False, index=True),
    sa.Column("grade_source", sa.String(1), nullable=True),
    sa.Column("grade_info", sa.Integer, nullable=True),
    sa.Column("updated_at", TIME, nullable=False),
    sa.Column("review_id", sa.Integer, sa.ForeignKey("reviews.id"), nullable=False),
)

victim_keys = sa.Table(
    "victim_keys",
    metadata,
    sa.Column("victim_id", VICTIM_ID, primary_key=True),
    sa.Column("record_id", ID, nullable=False, index=True),
    sa.Column("key", HASH, nullable=False, index=True),
)

victim_links = sa.Table(
    "victim_links",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("victim_a", VICTIM_ID, nullable=False),
    sa.Column("victim_b", VICTIM_ID, nullable=False),
    sa.Column("decision", sa.String(8), nullable=False),
    sa.Column("at", TIME, nullable=False),
    sa.Column("actor", sa.Text, nullable=False),
    sa.Column("hash", HASH, nullable=False, unique=True),
    sa.Column("signer", ID, nullable=False),
    sa.Column("signature", SIGNATURE, nullable=False),
    sa.Index(None, "victim_a", "victim_b"),
)
