"""The analysis tables: each record's newest revision as flat rows an analyst can count.

One set of rows per record, from its newest revision, replaced in the revision's own
transaction when a newer revision is stored (an older one arriving later changes nothing).
Columns hold SHORT codes (the text after the last ``:`` of a stored ``name:version:code``);
several codes of one answer (a select-multiple) are separated by single spaces. Identifying
answers never reach these tables: they are split out and sealed before anything is stored.
Restricted answers do (coordinates, who verified): the read-only role of PostgreSQL reads only
the ``fk_*`` views, which leave them out (:mod:`fieldkit.hq.analysis.views`, docs/hq.md).

Defined on the repository's :data:`~fieldkit.hq.repository.tables.metadata` and created by
migration 0004, like every other table of the repository.
"""

from __future__ import annotations

import sqlalchemy as sa

from fieldkit.hq.repository.tables import HASH, ID, TIME, metadata

CODE = sa.String(100)
"""One short code of a vocabulary."""
CODES = sa.Text
"""Short codes separated by single spaces."""
DAY = sa.String(10)
"""A date: ``YYYY-MM-DD``; an answered date may be partial (``YYYY`` or ``YYYY-MM``)."""
PLACE = sa.String(16)
"""An ISO 3166-2 code (``ML-7``)."""
COUNTRY = sa.String(8)
"""An ISO 3166-1 alpha-3 code (``MLI``)."""
VICTIM = sa.String(48)
"""``<record_id>.<n>``."""

an_records = sa.Table(
    "an_records",
    metadata,
    sa.Column("record_id", ID, primary_key=True),
    sa.Column("revision_sha256", HASH, nullable=False),
    sa.Column("revision", sa.Integer, nullable=False),
    sa.Column("form_id", sa.String(200), nullable=False),
    sa.Column("form_version", sa.String(200), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("device_key_id", ID, nullable=False),
    sa.Column("received_at", TIME, nullable=False),
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
    # attack on an activist
    sa.Column("most_serious_act", CODE),
    sa.Column("motive", CODE),
    sa.Column("work_related", CODE),
    sa.Column("linked_market", CODE),
    sa.Column("justice_status", CODE),
    sa.Column("justice_status_date", DAY),
    sa.Column("risk_level", CODE),
    # illicit-market observation
    sa.Column("collection_method", CODE),
    sa.Column("activity_stage", CODES),
    sa.Column("state_response", CODES),
    sa.Column("value_usd", sa.Float),
    sa.Column("fatalities", sa.Integer),
    sa.Column("persons_exploited", sa.Integer),
    sa.Column("children_involved", sa.Integer),
    sa.Column("arms_observed", sa.Integer),
    sa.Column("arms_seized", sa.Integer),
    sa.Column("arms_traced", sa.Integer),
    sa.Index(None, "form_id"),
    sa.Index(None, "country", "admin1"),
    sa.Index(None, "day_from", "day_to"),
    sa.Index(None, "kind"),
    sa.Index(None, "admin1_status"),
    # the workspace's records list: newest first, alone or after a filter (migration 0007)
    sa.Index(None, "received_at", "record_id"),
    sa.Index(None, "form_id", "received_at", "record_id"),
    sa.Index(None, "device_key_id", "received_at", "record_id"),
    sa.Index(None, "country", "received_at", "record_id"),
    sa.Index(None, "admin1", "received_at", "record_id"),
    # a period, alone or after country or first-level place: read from its first day on by
    # day_to, day_from checked in the index (migration 0007)
    sa.Index(None, "day_to", "day_from"),
    sa.Index(None, "country", "day_to", "day_from"),
    sa.Index(None, "admin1", "day_to", "day_from"),
)


def _record_id() -> sa.Column[str]:
    return sa.Column("record_id", ID, sa.ForeignKey("an_records.record_id"), nullable=False)


an_victims = sa.Table(
    "an_victims",
    metadata,
    sa.Column("victim_id", VICTIM, primary_key=True),
    _record_id(),
    sa.Column("entry", sa.Integer, nullable=False),
    sa.Column("person_id", VICTIM, nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("sex", CODE),
    sa.Column("age_group", CODE),
    sa.Column("category", CODE),
    sa.Column("sectors", CODES),
    sa.Column("outcome", CODE),
    sa.Column("prior_threats", CODE),
    sa.Column("threats_reported", CODE),
    sa.Column("consent", CODE),
    sa.Column("consent_scope", CODES),
    sa.Column("named_ok", sa.Boolean, nullable=False),
    sa.Index(None, "record_id"),
    sa.Index(None, "person_id"),
)

an_acts = sa.Table(
    "an_acts",
    metadata,
    _record_id(),
    sa.Column("victim_id", VICTIM, primary_key=True),
    sa.Column("entry", sa.Integer, primary_key=True),
    sa.Column("act_type", CODE),
    sa.Column("act_subtypes", CODES),
    sa.Column("methods", CODES),
    sa.Column("perpetrator", CODE),
    sa.Column("act_date", DAY),
    sa.Index(None, "record_id"),
    sa.Index(None, "act_type"),
)


def _entries(name: str, *columns: sa.Column[object]) -> sa.Table:
    """A table of a repeat's entries: one row per entry, numbered from 1."""
    record_id = sa.Column("record_id", ID, sa.ForeignKey("an_records.record_id"), primary_key=True)
    entry = sa.Column("entry", sa.Integer, primary_key=True)
    return sa.Table(name, metadata, record_id, entry, *columns)


an_perpetrators = _entries(
    "an_perpetrators",
    sa.Column("category", CODE),
    sa.Column("actor_type", CODE),
    sa.Column("involvement", CODE),
    sa.Column("state_complicity", CODE),
)
an_sources = _entries(
    "an_sources",
    sa.Column("source_type", CODE),
    sa.Column("connection", CODE),
    sa.Column("reliability", CODE),
    sa.Column("credibility", CODE),
    sa.Column("independent", sa.Boolean),
)
an_actors = _entries(
    "an_actors",
    sa.Column("actor_type", CODE),
    sa.Column("role", CODE),
    sa.Column("involvement", CODE),
)
an_quantities = _entries(
    "an_quantities",
    sa.Column("commodity", CODE),
    sa.Column("quantity", sa.Float),
    sa.Column("unit", CODE),
)
an_exploited = _entries(
    "an_exploited",
    sa.Column("sex", CODE),
    sa.Column("age_group", CODE),
    sa.Column("form", CODE),
    sa.Column("count", sa.Integer),
)

an_markets = sa.Table(
    "an_markets",
    metadata,
    sa.Column("record_id", ID, sa.ForeignKey("an_records.record_id"), primary_key=True),
    sa.Column("market", CODE, primary_key=True),
    sa.Index(None, "market"),
)
an_commodities = sa.Table(
    "an_commodities",
    metadata,
    sa.Column("record_id", ID, sa.ForeignKey("an_records.record_id"), primary_key=True),
    sa.Column("commodity", CODE, primary_key=True),
    sa.Index(None, "commodity"),
)

place_settlements = sa.Table(
    "place_settlements",
    metadata,
    sa.Column("country", COUNTRY, primary_key=True),
    sa.Column("text_norm", sa.String(400), primary_key=True),
    sa.Column("admin1", PLACE, nullable=False),
    sa.Column("settled_by", sa.Text, nullable=False),
    sa.Column("settled_at", TIME, nullable=False),
)

an_rebuilds = sa.Table(
    "an_rebuilds",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", TIME, nullable=False),
    sa.Column("records", sa.Integer, nullable=False),
)
"""One row per finished ``fieldkit-hq analysis rebuild``: when, and how many records it read.
Its highest id tells a reader that the analysis rows may have changed (the workspace's
indicator cache: :mod:`fieldkit.hq.workspace.indicator_cache`)."""

CHILD_TABLES = (
    an_acts,
    an_victims,
    an_perpetrators,
    an_sources,
    an_markets,
    an_commodities,
    an_actors,
    an_quantities,
    an_exploited,
)
"""The tables of a record's other rows, in an order they can be deleted in (acts before
victims), all before :data:`an_records`."""
ANALYSIS_TABLES = (an_records, *CHILD_TABLES)
