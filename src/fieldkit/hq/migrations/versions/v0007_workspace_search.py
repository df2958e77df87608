"""The workspace's records list: full-text search documents and indexes for keyset paging.

- ``ws_search``: two documents per record (scope ``public``: its public answers; ``all``: its
  public and restricted answers), written with the analysis rows (:mod:`fieldkit.hq.analysis.
  search`). PostgreSQL keeps a ``tsvector`` (configuration ``simple``) with a partial GIN index
  per scope; SQLite keeps the text, indexed by the FTS5 table ``ws_search_fts`` (external
  content, kept in step by triggers). The read-only role of PostgreSQL is granted nothing here.
- ``an_records``: indexes on (received_at, record_id), the records list's order, alone and after
  each filter it narrows by index (form, device, country, first-level place); and on
  (day_to, day_from), alone and after country or first-level place, for a period: a record
  overlaps a period when it ends on or after its first day and starts on or before its last, so
  these indexes read from the period's first day on, the records ending inside the period first
  (all of them match), and check where each starts in the index itself.

The documents start empty: ``fieldkit-hq analysis rebuild`` writes those of the records stored
before (ingest writes them from then on).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

ID = sa.String(32)
SCOPE = sa.String(8)
SCOPES = ("public", "all")
ORDERED = {
    "ix_an_records_received_at_record_id": ("received_at", "record_id"),
    "ix_an_records_form_id_received_at_record_id": ("form_id", "received_at", "record_id"),
    "ix_an_records_device_key_id_received_at_record_id": (
        "device_key_id",
        "received_at",
        "record_id",
    ),
    "ix_an_records_country_received_at_record_id": ("country", "received_at", "record_id"),
    "ix_an_records_admin1_received_at_record_id": ("admin1", "received_at", "record_id"),
}
PERIOD = {
    "ix_an_records_day_to_day_from": ("day_to", "day_from"),
    "ix_an_records_country_day_to_day_from": ("country", "day_to", "day_from"),
    "ix_an_records_admin1_day_to_day_from": ("admin1", "day_to", "day_from"),
}
SQLITE_TRIGGERS = {
    "ws_search_inserted": (
        "AFTER INSERT ON ws_search BEGIN "
        "INSERT INTO ws_search_fts (rowid, document) VALUES (new.id, new.document); END"
    ),
    "ws_search_deleted": (
        "AFTER DELETE ON ws_search BEGIN "
        "INSERT INTO ws_search_fts (ws_search_fts, rowid, document) "
        "VALUES ('delete', old.id, old.document); END"
    ),
    "ws_search_updated": (
        "AFTER UPDATE ON ws_search BEGIN "
        "INSERT INTO ws_search_fts (ws_search_fts, rowid, document) "
        "VALUES ('delete', old.id, old.document); "
        "INSERT INTO ws_search_fts (rowid, document) VALUES (new.id, new.document); END"
    ),
}


def upgrade() -> None:
    for name, columns in {**ORDERED, **PERIOD}.items():
        op.create_index(name, "an_records", list(columns))
    if op.get_bind().dialect.name == "postgresql":
        _postgresql()
    else:
        _sqlite()


def _postgresql() -> None:
    from sqlalchemy.dialects.postgresql import TSVECTOR

    op.create_table(
        "ws_search",
        sa.Column("record_id", ID, nullable=False),
        sa.Column("scope", SCOPE, nullable=False),
        sa.Column("document", TSVECTOR(), nullable=False),
        sa.PrimaryKeyConstraint("record_id", "scope", name="pk_ws_search"),
        sa.ForeignKeyConstraint(
            ["record_id"], ["an_records.record_id"], name="fk_ws_search_record_id_an_records"
        ),
    )
    for scope in SCOPES:
        op.create_index(
            f"ix_ws_search_{scope}",
            "ws_search",
            ["document"],
            postgresql_using="gin",
            postgresql_where=sa.text(f"scope = '{scope}'"),
        )


def _sqlite() -> None:
    op.create_table(
        "ws_search",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("record_id", ID, nullable=False),
        sa.Column("scope", SCOPE, nullable=False),
        sa.Column("document", sa.Text, nullable=False),
        sa.UniqueConstraint("record_id", "scope", name="uq_ws_search_record_id_scope"),
        sa.ForeignKeyConstraint(
            ["record_id"], ["an_records.record_id"], name="fk_ws_search_record_id_an_records"
        ),
    )
    op.execute(
        "CREATE VIRTUAL TABLE ws_search_fts USING fts5(document, content='ws_search', "
        "content_rowid='id', tokenize='unicode61 remove_diacritics 2')"
    )
    for name, body in SQLITE_TRIGGERS.items():
        op.execute(f"CREATE TRIGGER {name} {body}")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER {name}")
        op.execute("DROP TABLE ws_search_fts")
    op.drop_table("ws_search")
    for name in {**ORDERED, **PERIOD}:
        op.drop_index(name, "an_records")
