"""``--tables``: the analysis tables, one per repeat group, each code followed by its label.

The records table (``an_records``) and one table per repeat group: victims, acts, perpetrators,
sources, actors, quantities, exploited, markets, commodities; keyed by ``record_id`` and
``entry`` (victims by ``victim_id`` = ``<record_id>.<n>``, acts by ``victim_id`` and ``entry``).
Each coded column is followed by ``<column>_label``: the code's label in the language asked for,
from the vocabularies of the forms HQ holds (several codes: their labels joined by "; ").
The records table ends with ``review`` (``unreviewed`` when never reviewed) where the repository
keeps review statuses, and ``uncertain`` when a period is given (the record may lie partly
outside it). Every table holds the rows of the selected records only.

With HQ's identity, the victims table ends with the victim's ``victim_name``,
``victim_contact`` and ``victim_photo`` (SHA-256 of the files), filled only for a victim whose
consent scope includes ``publish_named`` (``named_ok``); empty for every other victim.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from fieldkit.hq.analysis import tables as an
from fieldkit.hq.analysis.filters import Filters
from fieldkit.hq.answers import merge_answers
from fieldkit.hq.errors import ConflictError
from fieldkit.hq.exports.selection import named_ok, stream, with_consent
from fieldkit.hq.exports.vocabularies import held_vocabularies, place_label
from fieldkit.hq.records import FormCache
from fieldkit.hq.repository import rows
from fieldkit.hq.repository import tables as t
from fieldkit.hq.repository.base import Repository
from fieldkit.hq.sealing import SealedReader
from fieldkit.i18n import _

PLACE = "iso3166-2"
"""Not a form's list: first-level places are labelled from ISO 3166-2 (pycountry)."""
IDENTITY_COLUMNS = ("victim_name", "victim_contact", "victim_photo")
VICTIMS_REPEAT = "victims"


@dataclass(frozen=True)
class TableSpec:
    name: str
    table: sa.Table
    order: tuple[str, ...]
    codes: dict[str, str]
    """Coded column -> the vocabulary (choice list name) its labels come from."""


TABLES = (
    TableSpec(
        "records",
        an.an_records,
        ("record_id",),
        {
            "time_precision": "acled-time-precision",
            "country": "iso3166-alpha3",
            "admin1": PLACE,
            "geo_precision": "acled-geo-precision",
            "location_type": "fieldkit-location-type",
            "verification": "ohchr-verification-status",
            "classification": "un-classification",
            "most_serious_act": "sdg16101-act-type",
            "motive": "fieldkit-motive",
            "work_related": "sdg16101-work-related",
            "linked_market": "gitoc-market",
            "justice_status": "fieldkit-justice-status",
            "risk_level": "fieldkit-risk-level",
            "collection_method": "fieldkit-collection-method",
            "activity_stage": "fieldkit-activity-stage",
            "state_response": "fieldkit-state-response",
        },
    ),
    TableSpec(
        "victims",
        an.an_victims,
        ("record_id", "entry"),
        {
            "kind": "fieldkit-victim-kind",
            "sex": "sdg-sex",
            "age_group": "sdg16101-age-group",
            "category": "sdg16101-victim-category",
            "sectors": "fieldkit-sector-of-work",
            "outcome": "fieldkit-attack-outcome",
            "prior_threats": "fieldkit-prior-threats",
            "threats_reported": "fieldkit-yes-no",
            "consent": "fieldkit-yes-no",
            "consent_scope": "fieldkit-consent-scope",
        },
    ),
    TableSpec(
        "acts",
        an.an_acts,
        ("record_id", "victim_id", "entry"),
        {
            "act_type": "sdg16101-act-type",
            "act_subtypes": "sdg16101-other-harmful-act",
            "methods": "fieldkit-attack-method",
            "perpetrator": "sdg16101-perpetrator-category",
        },
    ),
    TableSpec(
        "perpetrators",
        an.an_perpetrators,
        ("record_id", "entry"),
        {
            "category": "sdg16101-perpetrator-category",
            "actor_type": "gitoc-actor-type",
            "involvement": "huridocs-degree-of-involvement",
            "state_complicity": "fieldkit-state-complicity",
        },
    ),
    TableSpec(
        "sources",
        an.an_sources,
        ("record_id", "entry"),
        {
            "source_type": "fieldkit-source-type",
            "connection": "huridocs-source-connection",
            "reliability": "stanag2511-reliability",
            "credibility": "stanag2511-credibility",
        },
    ),
    TableSpec(
        "actors",
        an.an_actors,
        ("record_id", "entry"),
        {
            "actor_type": "gitoc-actor-type",
            "role": "fieldkit-actor-role",
            "involvement": "huridocs-degree-of-involvement",
        },
    ),
    TableSpec(
        "quantities",
        an.an_quantities,
        ("record_id", "entry"),
        {"commodity": "fieldkit-commodity", "unit": "fieldkit-quantity-unit"},
    ),
    TableSpec(
        "exploited",
        an.an_exploited,
        ("record_id", "entry"),
        {"sex": "sdg-sex", "age_group": "unodc-glotip-age", "form": "unodc-glotip-exploitation"},
    ),
    TableSpec("markets", an.an_markets, ("record_id", "market"), {"market": "gitoc-market"}),
    TableSpec(
        "commodities",
        an.an_commodities,
        ("record_id", "commodity"),
        {"commodity": "fieldkit-commodity"},
    ),
)


@dataclass(frozen=True)
class TableExport:
    """One table being exported: its header and its rows, streamed."""

    name: str
    header: list[str]
    rows: Iterator[list[Any]]


class TableReader:
    """Reads the tables of the selected records (see the module's description)."""

    def __init__(
        self,
        repository: Repository,
        engine: sa.Engine,
        filters: Filters,
        language: str,
        identity: str | None,
    ) -> None:
        self._repository = repository
        self._engine = engine
        self._filters = filters
        self._language = language
        self._identity = identity
        self._forms = FormCache(repository)
        self._vocabularies = held_vocabularies(repository, self._forms)
        self._reviews = t.metadata.tables.get("review_status")

    def tables(self) -> Iterator[TableExport]:
        for spec in TABLES:
            yield self._table(spec)

    def _table(self, spec: TableSpec) -> TableExport:
        records = an.an_records
        columns = list(spec.table.columns)
        extra: list[sa.ColumnElement[Any]] = []
        if spec.table is records:
            if self._reviews is not None:
                extra.append(self._filters.review_status(records).label("review"))
            if self._filters.dated:
                extra.append(self._filters.uncertain(records).label("uncertain"))
        query = sa.select(*columns, *extra)
        if spec.table is not records:
            query = query.select_from(
                spec.table.join(records, records.c.record_id == spec.table.c.record_id)
            )
        identities = spec.name == VICTIMS_REPEAT and self._identity is not None
        if identities:
            query = self._with_revision(query)
        query = query.where(self._filters.clause(records)).order_by(
            *(spec.table.c[name] for name in spec.order)
        )
        header: list[str] = []
        for column in columns:
            header.append(column.name)
            if column.name in spec.codes:
                header.append(f"{column.name}_label")
        header += [column.name for column in extra]
        if identities:
            header += list(IDENTITY_COLUMNS)
        return TableExport(spec.name, header, self._rows(spec, query, columns, extra, identities))

    def _with_revision(self, query: sa.Select[Any]) -> sa.Select[Any]:
        r = t.revisions
        return (
            query.join(r, r.c.sha256 == an.an_records.c.revision_sha256)
            .add_columns(
                r.c.sha256.label("rev_sha256"),
                r.c.answers.label("rev_answers"),
                r.c.form_sha256.label("rev_form"),
                r.c.link_id.label("rev_link"),
                t.identifying.c.batch_id.label("rev_batch"),
                t.identifying.c.position.label("rev_position"),
            )
            .join(t.identifying, t.identifying.c.link_id == r.c.link_id)
        )

    def _rows(
        self,
        spec: TableSpec,
        query: sa.Select[Any],
        columns: Sequence[sa.Column[Any]],
        extra: Sequence[sa.ColumnElement[Any]],
        identities: bool,
    ) -> Iterator[list[Any]]:
        label = self._label
        names = [(column.name, spec.codes.get(column.name)) for column in columns]
        extra_names = [column.key for column in extra if column.key]
        people = _Identities(self._repository, self._forms, self._identity) if identities else None
        for row in stream(self._engine, query):
            values = row._mapping
            out: list[Any] = []
            for name, vocabulary in names:
                value = values[name]
                out.append(value)
                if vocabulary is not None:
                    out.append(label(vocabulary, value))
            out += [_plain(values[name]) for name in extra_names]
            if people is not None:
                out += people.of(row)
            yield out

    def _label(self, vocabulary: str, value: Any) -> str | None:
        if value is None:
            return None
        if vocabulary == PLACE:
            return place_label(str(value), self._language)
        return self._vocabularies.label(vocabulary, str(value), self._language)


def _plain(value: Any) -> Any:
    return bool(value) if isinstance(value, int) and not isinstance(value, bool) else value


class _Identities:
    """A victim's identity answers, unsealed once per record, where consent allows."""

    def __init__(self, repository: Repository, forms: FormCache, identity: str | None) -> None:
        assert identity is not None  # noqa: S101 - only made with an identity
        self._reader = SealedReader(identity, repository.sealed_batch)
        self._forms = forms
        self._sha256: str | None = None
        self._victims: list[Any] = []

    def of(self, row: sa.Row[Any]) -> list[Any]:
        values = row._mapping
        if values["rev_sha256"] != self._sha256:
            self._sha256 = values["rev_sha256"]
            self._victims = self._unseal(values)
        entry = values["entry"]
        victim = self._victims[entry - 1] if 0 < entry <= len(self._victims) else None
        if not isinstance(victim, dict) or not values["named_ok"] or not named_ok(victim):
            return [None] * len(IDENTITY_COLUMNS)
        photo = victim.get("victim_photo")
        photos = (
            [r["sha256"] for r in photo if isinstance(r, dict)] if isinstance(photo, list) else None
        )
        return [victim.get("victim_name"), victim.get("victim_contact"), photos]

    def _unseal(self, values: Any) -> list[Any]:
        entry = self._reader.entry(values["rev_batch"], values["rev_position"])
        if entry.link != values["rev_link"] or entry.revision != values["rev_sha256"]:
            raise ConflictError(_("A sealed batch in the repository is damaged."))
        form = self._forms.get(values["rev_form"])
        answers = rows.read_answers(values["rev_answers"])
        merged = with_consent(form, merge_answers(answers, entry.identifying))
        victims = merged.get(VICTIMS_REPEAT)
        return victims if isinstance(victims, list) else []
