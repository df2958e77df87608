"""Analysis: the flat ``an_*`` tables, ``place_settlements``, the ``fk_*`` views, and (PostgreSQL)
``revisions.answers`` as ``jsonb``.

The tables start empty: ``fieldkit-hq analysis rebuild`` fills them from the revisions stored
before (ingest fills them from then on).

jsonb refuses the escape ``\\u0000``; the answers of a revision holding one are converted to the
wrapper ``{"fieldkit:json": "<their exact JSON text>"}`` (the downgrade unwraps them again).

The views' columns are fixed here (docs/hq.md, "Analysis views"); a later change of them is a
new migration.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

ID = sa.String(32)
CODE = sa.String(100)
DAY = sa.String(10)
PLACE = sa.String(16)
COUNTRY = sa.String(8)
VICTIM = sa.String(48)

VIEWS = {
    "fk_records": (
        "an_records",
        "record_id, form_id, form_version, kind, received_at, day_from, day_to, "
        "time_precision, country, admin1, admin1_status, geo_precision, location_type, "
        "verification, sources, independent_sources, classification, most_serious_act, motive, "
        "work_related, linked_market, justice_status, justice_status_date, collection_method, "
        "activity_stage, state_response, value_usd, fatalities, persons_exploited, "
        "children_involved, arms_observed, arms_seized, arms_traced",
    ),
    "fk_victims": (
        "an_victims",
        "victim_id, record_id, entry, person_id, kind, sex, age_group, category, sectors, "
        "outcome, prior_threats, threats_reported, named_ok",
    ),
    "fk_acts": (
        "an_acts",
        "record_id, victim_id, entry, act_type, act_subtypes, methods, perpetrator, act_date",
    ),
    "fk_perpetrators": (
        "an_perpetrators",
        "record_id, entry, category, actor_type, involvement, state_complicity",
    ),
    "fk_sources": (
        "an_sources",
        "record_id, entry, source_type, connection, reliability, credibility, independent",
    ),
    "fk_markets": ("an_markets", "record_id, market"),
    "fk_commodities": ("an_commodities", "record_id, commodity"),
    "fk_actors": ("an_actors", "record_id, entry, actor_type, role, involvement"),
    "fk_quantities": ("an_quantities", "record_id, entry, commodity, quantity, unit"),
    "fk_exploited": ("an_exploited", "record_id, entry, sex, age_group, form, count"),
}


def _record_id(primary: bool = False) -> sa.Column[str]:
    return sa.Column("record_id", ID, nullable=False, primary_key=primary)


def _to_records(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["record_id"], ["an_records.record_id"], name=f"fk_{table}_record_id_an_records"
    )


def _entries(table: str, *columns: sa.Column[object]) -> None:
    op.create_table(
        table,
        _record_id(),
        sa.Column("entry", sa.Integer, nullable=False),
        *columns,
        sa.PrimaryKeyConstraint("record_id", "entry", name=f"pk_{table}"),
        _to_records(table),
    )


def upgrade() -> None:
    op.create_table(
        "an_records",
        _record_id(),
        sa.Column("revision_sha256", sa.String(64), nullable=False),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("form_id", sa.String(200), nullable=False),
        sa.Column("form_version", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("device_key_id", ID, nullable=False),
        sa.Column("received_at", sa.String(20), nullable=False),
        sa.Column("date_start", DAY),
        sa.Column("date_end", DAY),
        sa.Column("day_from", DAY),
        sa.Column("day_to", DAY),
        sa.Column("time_precision", sa.Integer),
        sa.Column("country", COUNTRY),
        sa.Column("admin1", PLACE),
        sa.Column("admin1_text", sa.Text),
        sa.Column("admin1_status", sa.String(16), nullable=False),
        sa.Column("geo_precision", sa.Integer),
        sa.Column("lat", sa.Float),
        sa.Column("lon", sa.Float),
        sa.Column("location_type", CODE),
        sa.Column("verification", CODE),
        sa.Column("sources", sa.Integer),
        sa.Column("independent_sources", sa.Integer),
        sa.Column("verified_by", sa.Text),
        sa.Column("verified_on", DAY),
        sa.Column("classification", CODE),
        sa.Column("most_serious_act", CODE),
        sa.Column("motive", CODE),
        sa.Column("work_related", CODE),
        sa.Column("linked_market", CODE),
        sa.Column("justice_status", CODE),
        sa.Column("justice_status_date", DAY),
        sa.Column("risk_level", CODE),
        sa.Column("collection_method", CODE),
        sa.Column("activity_stage", sa.Text),
        sa.Column("state_response", sa.Text),
        sa.Column("value_usd", sa.Float),
        sa.Column("fatalities", sa.Integer),
        sa.Column("persons_exploited", sa.Integer),
        sa.Column("children_involved", sa.Integer),
        sa.Column("arms_observed", sa.Integer),
        sa.Column("arms_seized", sa.Integer),
        sa.Column("arms_traced", sa.Integer),
        sa.PrimaryKeyConstraint("record_id", name="pk_an_records"),
    )
    for columns in (["form_id"], ["country", "admin1"], ["day_from", "day_to"], ["kind"]):
        op.create_index(f"ix_an_records_{'_'.join(columns)}", "an_records", columns)
    op.create_index("ix_an_records_admin1_status", "an_records", ["admin1_status"])
    op.create_table(
        "an_victims",
        sa.Column("victim_id", VICTIM, nullable=False),
        _record_id(),
        sa.Column("entry", sa.Integer, nullable=False),
        sa.Column("person_id", VICTIM, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("sex", CODE),
        sa.Column("age_group", CODE),
        sa.Column("category", CODE),
        sa.Column("sectors", sa.Text),
        sa.Column("outcome", CODE),
        sa.Column("prior_threats", CODE),
        sa.Column("threats_reported", CODE),
        sa.Column("consent", CODE),
        sa.Column("consent_scope", sa.Text),
        sa.Column("named_ok", sa.Boolean, nullable=False),
        sa.PrimaryKeyConstraint("victim_id", name="pk_an_victims"),
        _to_records("an_victims"),
    )
    op.create_index("ix_an_victims_record_id", "an_victims", ["record_id"])
    op.create_index("ix_an_victims_person_id", "an_victims", ["person_id"])
    op.create_table(
        "an_acts",
        _record_id(),
        sa.Column("victim_id", VICTIM, nullable=False),
        sa.Column("entry", sa.Integer, nullable=False),
        sa.Column("act_type", CODE),
        sa.Column("act_subtypes", sa.Text),
        sa.Column("methods", sa.Text),
        sa.Column("perpetrator", CODE),
        sa.Column("act_date", DAY),
        sa.PrimaryKeyConstraint("victim_id", "entry", name="pk_an_acts"),
        _to_records("an_acts"),
    )
    op.create_index("ix_an_acts_record_id", "an_acts", ["record_id"])
    op.create_index("ix_an_acts_act_type", "an_acts", ["act_type"])
    _entries(
        "an_perpetrators",
        sa.Column("category", CODE),
        sa.Column("actor_type", CODE),
        sa.Column("involvement", CODE),
        sa.Column("state_complicity", CODE),
    )
    _entries(
        "an_sources",
        sa.Column("source_type", CODE),
        sa.Column("connection", CODE),
        sa.Column("reliability", CODE),
        sa.Column("credibility", CODE),
        sa.Column("independent", sa.Boolean),
    )
    _entries(
        "an_actors",
        sa.Column("actor_type", CODE),
        sa.Column("role", CODE),
        sa.Column("involvement", CODE),
    )
    _entries(
        "an_quantities",
        sa.Column("commodity", CODE),
        sa.Column("quantity", sa.Float),
        sa.Column("unit", CODE),
    )
    _entries(
        "an_exploited",
        sa.Column("sex", CODE),
        sa.Column("age_group", CODE),
        sa.Column("form", CODE),
        sa.Column("count", sa.Integer),
    )
    for table, column in (("an_markets", "market"), ("an_commodities", "commodity")):
        op.create_table(
            table,
            _record_id(),
            sa.Column(column, CODE, nullable=False),
            sa.PrimaryKeyConstraint("record_id", column, name=f"pk_{table}"),
            _to_records(table),
        )
        op.create_index(f"ix_{table}_{column}", table, [column])
    op.create_table(
        "place_settlements",
        sa.Column("country", COUNTRY, nullable=False),
        sa.Column("text_norm", sa.String(400), nullable=False),
        sa.Column("admin1", PLACE, nullable=False),
        sa.Column("settled_by", sa.Text, nullable=False),
        sa.Column("settled_at", sa.String(20), nullable=False),
        sa.PrimaryKeyConstraint("country", "text_norm", name="pk_place_settlements"),
    )
    for view, (source, selected) in VIEWS.items():
        op.execute(f"CREATE VIEW {view} AS SELECT {selected} FROM {source}")  # noqa: S608
    if op.get_context().dialect.name == "postgresql":
        op.execute(
            "ALTER TABLE revisions ALTER COLUMN answers TYPE jsonb USING (CASE "
            "WHEN strpos(answers::text, '\\u0000') > 0 "
            "THEN jsonb_build_object('fieldkit:json', answers::text) "
            "ELSE answers::jsonb END)"
        )


def downgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.execute(
            "ALTER TABLE revisions ALTER COLUMN answers TYPE json USING (CASE "
            "WHEN (answers -> 'fieldkit:json') IS NOT NULL "
            "THEN (answers ->> 'fieldkit:json')::json ELSE answers::json END)"
        )
    for view in reversed(VIEWS):
        op.execute(f"DROP VIEW {view}")
    for table in (
        "place_settlements",
        "an_commodities",
        "an_markets",
        "an_exploited",
        "an_quantities",
        "an_actors",
        "an_sources",
        "an_perpetrators",
        "an_acts",
        "an_victims",
        "an_records",
    ):
        op.drop_table(table)
