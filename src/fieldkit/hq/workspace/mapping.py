"""The workspace map: records as points, records without a point counted by place.

A record's point is its ``coordinates`` answer (``an_records.lat``/``lon``, read by the
analysis mapping from the form's ``coordinates`` field). The shipped forms mark that field
RESTRICTED: an analyst or an administrator gets the point, a viewer gets it only for records
of a form version whose ``coordinates`` field is PUBLIC (:func:`public_point_forms`); every
other record a viewer may list is counted by its first-level place instead, as are records
that have no coordinates at all. Identifying answers never reach the analysis tables.

The records are those of the records list, with the same filters
(:class:`~fieldkit.hq.workspace.filters.RecordFilters`, applied for the reader's role). At most
``limit`` points are returned (the newest received first); the result says how many there
were. A point carries only what is not identifying: its record id, form, place, how precise
the place is, how the location is described and the review status; the event's dates only for
a reader of restricted answers (dates are restricted in the shipped forms).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from pydantic import ValidationError
from sqlalchemy import ColumnElement

from fieldkit.domain.forms import FormDefinition, Sensitivity
from fieldkit.domain.places import subdivision
from fieldkit.hq.analysis.filters import Filters
from fieldkit.hq.analysis.session import transaction
from fieldkit.hq.analysis.tables import an_records
from fieldkit.hq.errors import InvalidInputError
from fieldkit.hq.repository.base import Repository
from fieldkit.hq.workspace.filters import RecordFilters, reads_restricted
from fieldkit.i18n import _, current_language

MAX_POINTS = 5000
"""Points one answer holds at most: enough for a mission's map, bounded for the browser."""
LOWEST_LIMIT = 1
POINT_FIELD = "coordinates"
"""The field of the shipped forms whose answer is a record's point."""


@dataclass(frozen=True)
class MapPoint:
    record_id: str
    lat: float
    lon: float
    form_id: str
    form_title: str
    country: str | None
    admin1: str | None
    place: str | None
    """The first-level place's name in the reader's language (None without a place)."""
    geo_precision: int | None
    location_type: str | None
    review: str
    dates: str | None
    """``date_start`` (to ``date_end``), for a reader of restricted answers only."""


@dataclass(frozen=True)
class PlaceCount:
    """Records without a point the reader may see, in one first-level place."""

    country: str | None
    admin1: str | None
    place: str | None
    records: int


@dataclass(frozen=True)
class MapPoints:
    points: tuple[MapPoint, ...]
    total: int
    """Records with a point the reader may see (all of them, not only those returned)."""
    limit: int
    places: tuple[PlaceCount, ...]
    """Every other selected record, counted by first-level place (most records first)."""
    withheld: int
    """Records with coordinates the reader may not see (counted in ``places`` too)."""

    @property
    def capped(self) -> bool:
        return self.total > len(self.points)

    @property
    def without_point(self) -> int:
        return sum(place.records for place in self.places)


def public_point_forms(repository: Repository) -> frozenset[tuple[str, str]]:
    """(form id, version) of the stored forms whose ``coordinates`` field is PUBLIC (all of the
    stored definitions of that id and version, should there be several)."""
    return _stored_forms(repository)[0]


def _stored_forms(
    repository: Repository,
) -> tuple[frozenset[tuple[str, str]], dict[str, str]]:
    """:func:`public_point_forms`, and each form's title in the current language (the newest
    version's), from one reading of the stored definitions."""
    language = current_language()
    verdicts: dict[tuple[str, str], bool] = {}
    titles: dict[str, str] = {}
    for stored in sorted(repository.forms(), key=lambda f: _version_key(f.version)):
        key = (stored.form_id, stored.version)
        try:
            form = FormDefinition.model_validate_json(stored.definition)
        except (ValidationError, ValueError):
            verdicts[key] = False  # a definition HQ cannot read shows no point to a viewer
            continue
        verdicts[key] = verdicts.get(key, True) and _point_is_public(form)
        titles[stored.form_id] = form.localized_title(language)
    return frozenset(key for key, public in verdicts.items() if public), titles


def _point_is_public(form: FormDefinition) -> bool:
    field = form.index.by_name.get(POINT_FIELD)
    return (
        field is not None
        and field.sensitivity is Sensitivity.PUBLIC
        and POINT_FIELD not in form.index.identifying
    )


def point_visible(role: str, public_forms: Iterable[tuple[str, str]]) -> ColumnElement[bool]:
    """Records whose coordinates a reader of ``role`` may see (whether or not they have any)."""
    if reads_restricted(role):
        return sa.true()
    r = an_records.c
    allowed = [sa.and_(r.form_id == f, r.form_version == v) for f, v in public_forms]
    return sa.or_(*allowed) if allowed else sa.false()


def map_points(
    repository: Repository,
    filters: RecordFilters,
    role: str,
    *,
    limit: int = MAX_POINTS,
) -> MapPoints:
    """The selected records' points the reader may see (at most ``limit``, newest first) and
    the other selected records by first-level place; see the module."""
    if not LOWEST_LIMIT <= limit <= MAX_POINTS:
        raise InvalidInputError(
            _("A map shows 1 to {most} points at once: give a limit in that range.").format(
                most=MAX_POINTS
            )
        )
    r = an_records.c
    selected = filters.where(role)
    public_forms, titles = _stored_forms(repository)
    visible = point_visible(role, public_forms)
    located = sa.and_(r.lat.is_not(None), r.lon.is_not(None))
    review = Filters().review_status(an_records).label("review")
    columns: list[sa.ColumnElement[Any]] = [r.record_id, r.lat, r.lon, r.form_id, r.country]
    columns += [r.admin1, r.geo_precision, r.location_type, r.date_start, r.date_end, review]
    with transaction(repository) as conn:
        total = conn.execute(
            sa.select(sa.func.count()).select_from(an_records).where(selected, located, visible)
        ).scalar_one()
        rows = conn.execute(
            sa.select(*columns)
            .where(selected, located, visible)
            .order_by(r.received_at.desc(), r.record_id)
            .limit(limit)
        ).all()
        counted = conn.execute(
            sa.select(r.country, r.admin1, sa.func.count())
            .where(selected, sa.not_(sa.and_(located, visible)))
            .group_by(r.country, r.admin1)
        ).all()
        withheld = conn.execute(
            sa.select(sa.func.count())
            .select_from(an_records)
            .where(selected, located, sa.not_(visible))
        ).scalar_one()
    dated = reads_restricted(role)
    points = tuple(
        MapPoint(
            record_id=row.record_id,
            lat=float(row.lat),
            lon=float(row.lon),
            form_id=row.form_id,
            form_title=titles.get(row.form_id, row.form_id),
            country=row.country,
            admin1=row.admin1,
            place=_place_name(row.admin1),
            geo_precision=row.geo_precision,
            location_type=row.location_type,
            review=str(row.review),
            dates=_dates(row.date_start, row.date_end) if dated else None,
        )
        for row in rows
    )
    places = sorted(
        (PlaceCount(land, code, _place_name(code), int(n)) for land, code, n in counted),
        key=lambda p: (-p.records, p.country or "~", p.admin1 or "~"),
    )
    return MapPoints(points, int(total), limit, tuple(places), int(withheld))


def _version_key(version: str) -> tuple[int, int | str]:
    return (0, int(version)) if version.isdigit() else (1, version)


def _place_name(code: str | None) -> str | None:
    found = subdivision(code, current_language()) if code else None
    return None if found is None else found.local_name


def _dates(start: str | None, end: str | None) -> str | None:
    if start is None:
        return None
    return start if end is None or end == start else f"{start} – {end}"


def as_geojson(result: MapPoints) -> dict[str, Any]:
    """The points as a GeoJSON FeatureCollection ([lon, lat], RFC 7946), with the counts by
    place and whether the points were capped as foreign members."""
    features = [
        {
            "type": "Feature",
            "id": point.record_id,
            "geometry": {"type": "Point", "coordinates": [point.lon, point.lat]},
            "properties": {
                "record": point.record_id,
                "url": f"/records/{point.record_id}",
                "form": point.form_title,
                "country": point.country,
                "admin1": point.admin1,
                "place": point.place,
                "geo_precision": point.geo_precision,
                "location_type": point.location_type,
                "review": point.review,
                "dates": point.dates,
            },
        }
        for point in result.points
    ]
    return {
        "type": "FeatureCollection",
        "features": features,
        "total": result.total,
        "limit": result.limit,
        "capped": result.capped,
        "withheld": result.withheld,
        "without_point": result.without_point,
        "places": [
            {
                "country": place.country,
                "admin1": place.admin1,
                "place": place.place,
                "records": place.records,
            }
            for place in result.places
        ],
    }


def geojson_text(result: MapPoints) -> str:
    """:func:`as_geojson` as compact JSON text."""
    return json.dumps(as_geojson(result), ensure_ascii=False, separators=(",", ":"))
