"""The map's use cases (fieldkit.hq.workspace.mapping and .map_values) on SQLite and PostgreSQL:
filters applied, a viewer never gets a restricted point, the cap, values by place per tier."""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from fieldkit.hq.analysis.session import engine_of
from fieldkit.hq.analysis.tables import an_records
from fieldkit.hq.errors import InvalidInputError
from fieldkit.hq.repository import Repository
from fieldkit.hq.repository.tables import forms
from fieldkit.hq.workspace.filters import RecordFilters
from fieldkit.hq.workspace.map_values import map_values, mappable_indicators
from fieldkit.hq.workspace.mapping import (
    MAX_POINTS,
    as_geojson,
    map_points,
    public_point_forms,
)
from tests.hq.analysis_forms import ATTACK, MARKET, shipped_form

PUBLIC_VERSION = "9"
"""A version of the market form whose coordinates are PUBLIC (the shipped ones restrict them)."""


def _with_public_coordinates(definition: dict[str, Any]) -> dict[str, Any]:
    def walk(fields: list[dict[str, Any]]) -> None:
        for field in fields:
            if field.get("name") == "coordinates":
                field["sensitivity"] = "public"
            walk(field.get("fields") or [])

    changed = copy.deepcopy(definition)
    walk(changed["fields"])
    changed["version"] = PUBLIC_VERSION
    return changed


def _form_row(definition: dict[str, Any]) -> dict[str, str]:
    text = json.dumps(definition, sort_keys=True)
    return {
        "sha256": hashlib.sha256(text.encode()).hexdigest(),
        "form_id": definition["id"],
        "version": definition["version"],
        "definition": text,
    }


_ROWS = [
    # record, form, version, received, lat, lon, country, admin1, verification
    ("p1", ATTACK, "2", "2026-06-01T00:00:00Z", 16.27, -0.04, "MLI", "ML-7", "verified"),
    ("p2", MARKET, PUBLIC_VERSION, "2026-06-02T00:00:00Z", 13.51, 2.11, "NER", "NE-8", None),
    ("p3", ATTACK, "2", "2026-06-03T00:00:00Z", None, None, "MLI", "ML-6", "verified"),
    ("p4", MARKET, PUBLIC_VERSION, "2026-06-04T00:00:00Z", None, None, None, None, None),
    ("p5", MARKET, PUBLIC_VERSION, "2026-06-05T00:00:00Z", 16.28, -0.05, "MLI", "ML-7", None),
]


@pytest.fixture
def mapped(sql_repository: Repository) -> Iterator[Repository]:
    attack = json.loads(shipped_form(ATTACK, "2").model_dump_json())
    market = json.loads(shipped_form(MARKET, "2").model_dump_json())
    with engine_of(sql_repository).begin() as conn:
        conn.execute(
            sa.insert(forms),
            [_form_row(attack), _form_row(market), _form_row(_with_public_coordinates(market))],
        )
        conn.execute(
            sa.insert(an_records),
            [
                {
                    "record_id": record,
                    "revision_sha256": "0" * 64,
                    "revision": 1,
                    "form_id": form,
                    "form_version": version,
                    "kind": "attack" if form == ATTACK else "market",
                    "device_key_id": "a" * 32,
                    "received_at": received,
                    "date_start": "2026-03-14",
                    "day_from": "2026-03-14",
                    "day_to": "2026-03-14",
                    "lat": lat,
                    "lon": lon,
                    "country": country,
                    "admin1": admin1,
                    "admin1_status": "coded" if admin1 else "missing",
                    "verification": verification,
                }
                for (record, form, version, received, lat, lon, country, admin1, verification) in (
                    _ROWS
                )
            ],
        )
    yield sql_repository


def test_only_forms_with_public_coordinates_give_viewers_points(mapped: Repository) -> None:
    assert public_point_forms(mapped) == {(MARKET, PUBLIC_VERSION)}


def test_an_analyst_gets_every_point(mapped: Repository) -> None:
    result = map_points(mapped, RecordFilters(), "analyst")
    assert [p.record_id for p in result.points] == ["p5", "p2", "p1"]  # newest first
    assert result.total == 3 and not result.capped and result.withheld == 0
    counted = {(p.country, p.admin1): p.records for p in result.places}
    assert counted == {("MLI", "ML-6"): 1, (None, None): 1}
    first = result.points[2]
    assert (first.lat, first.lon, first.place, first.review) == (16.27, -0.04, "Gao", "unreviewed")
    assert first.dates == "2026-03-14"


def test_a_viewer_never_gets_a_restricted_point(mapped: Repository) -> None:
    result = map_points(mapped, RecordFilters(), "viewer")
    assert [p.record_id for p in result.points] == ["p5", "p2"]
    assert result.withheld == 1
    counted = {(p.country, p.admin1): p.records for p in result.places}
    assert counted == {("MLI", "ML-7"): 1, ("MLI", "ML-6"): 1, (None, None): 1}
    text = json.dumps(as_geojson(result))
    assert "p1" not in text and "16.27" not in text and "-0.04" not in text
    assert all(p.dates is None for p in result.points)
    assert "2026-03-14" not in text


def test_unknown_roles_read_as_viewers(mapped: Repository) -> None:
    assert [p.record_id for p in map_points(mapped, RecordFilters(), "").points] == ["p5", "p2"]


@pytest.mark.parametrize(
    ("params", "role", "expected"),
    [
        ({"country": "NER"}, "analyst", ["p2"]),
        ({"admin1": "ML-7"}, "analyst", ["p5", "p1"]),
        ({"admin1": "ML-7"}, "viewer", ["p5"]),
        ({"form": ATTACK}, "analyst", ["p1"]),
        ({"form": ATTACK}, "viewer", []),
        ({"from": "2026-04"}, "analyst", []),
        ({"review": "unreviewed"}, "analyst", ["p5", "p2", "p1"]),
    ],
)
def test_the_records_list_filters_apply(
    mapped: Repository, params: dict[str, str], role: str, expected: list[str]
) -> None:
    result = map_points(mapped, RecordFilters.from_query(params), role)
    assert [p.record_id for p in result.points] == expected


def test_the_points_are_capped_and_say_so(mapped: Repository) -> None:
    result = map_points(mapped, RecordFilters(), "analyst", limit=2)
    assert [p.record_id for p in result.points] == ["p5", "p2"]
    assert result.total == 3 and result.capped
    collection = as_geojson(result)
    assert collection["capped"] is True and collection["total"] == 3 and collection["limit"] == 2
    assert collection["features"][0]["geometry"] == {"type": "Point", "coordinates": [-0.05, 16.28]}
    assert collection["features"][0]["properties"]["url"] == "/records/p5"


@pytest.mark.parametrize("limit", [0, MAX_POINTS + 1])
def test_a_limit_out_of_range_is_refused(mapped: Repository, limit: int) -> None:
    with pytest.raises(InvalidInputError, match="1 to 5000 points"):
        map_points(mapped, RecordFilters(), "analyst", limit=limit)


def test_values_by_place_per_tier(mapped: Repository) -> None:
    internal = map_values(mapped, "quality-verified", "analyst", period="2026", level="admin1")
    assert internal.tier == "internal"
    assert {v.place: v.value for v in internal.values} == {"ML-7": 2, "ML-6": 1, "NE-8": 1}
    assert internal.unknown == 1
    assert {v.place: v.name for v in internal.values}["ML-7"] == "Gao"
    released = map_values(mapped, "quality-verified", "viewer", period="2026", level="country")
    assert released.tier == "release"
    assert {v.place for v in released.values} == {"MLI", "NER"}
    assert all(v.value is None for v in released.values)  # every count is below 5
    assert released.suppressed == 2


def test_values_refuse_what_cannot_be_mapped(mapped: Repository) -> None:
    assert "markets-newly-seen" not in {i.id for i in mappable_indicators()}
    with pytest.raises(InvalidInputError, match="no single figure per place"):
        map_values(mapped, "markets-newly-seen", "analyst")
    with pytest.raises(InvalidInputError, match="not a map level"):
        map_values(mapped, "quality-verified", "analyst", level="district")
    with pytest.raises(InvalidInputError, match="is not an indicator"):
        map_values(mapped, "nothing", "analyst")
