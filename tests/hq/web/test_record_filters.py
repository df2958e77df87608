"""The workspace's record filters (fieldkit.hq.workspace.filters): query strings in and out, and
the records each filter selects, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
import sqlalchemy as sa

from fieldkit.hq.analysis.filters import Filters
from fieldkit.hq.analysis.session import engine_of
from fieldkit.hq.analysis.tables import an_records
from fieldkit.hq.errors import InvalidInputError
from fieldkit.hq.repository import Repository
from fieldkit.hq.repository.tables_review import review_status, reviews
from fieldkit.hq.workspace.filters import RecordFilters, reads_restricted

DEVICE_A = "a" * 32
DEVICE_B = "b" * 32


def test_from_query_reads_and_normalises() -> None:
    filters = RecordFilters.from_query(
        {
            "form": " attack-on-activist ",
            "from": "2026-q1",
            "to": "2026-03",
            "country": "ml",
            "admin1": "iso3166-2:1:ml-7",
            "review": "Verified",
            "device": DEVICE_A.upper(),
            "q": "  gold mine ",
            "after": "ignored",
            "lang": "fr",
        }
    )
    assert filters.base == Filters(
        date(2026, 1, 1), date(2026, 3, 31), "MLI", "ML-7", "attack-on-activist", "verified"
    )
    assert filters.device == DEVICE_A
    assert filters.q == "gold mine"
    assert filters.terms == ("gold", "mine")
    assert filters.to_query() == {
        "form": "attack-on-activist",
        "from": "2026-Q1",
        "to": "2026-03",
        "country": "MLI",
        "admin1": "ML-7",
        "review": "verified",
        "device": DEVICE_A,
        "q": "gold mine",
    }
    assert RecordFilters.from_query(filters.to_query()) == filters


def test_empty_parameters_are_no_filter() -> None:
    filters = RecordFilters.from_query({"form": "", "from": " ", "q": "", "device": ""})
    assert filters == RecordFilters()
    assert filters.to_query() == {}
    assert not filters.active
    assert RecordFilters.from_query({"q": "x"}).active


def test_a_country_is_taken_from_the_place() -> None:
    assert RecordFilters.from_query({"admin1": "NE-2"}).base.country == "NER"


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"from": "March"}, "is not a period"),
        ({"to": "2026-13"}, "is not a period"),
        ({"from": "2026-04", "to": "2026-03"}, r"starts \(2026-04\) after it ends \(2026-03\)"),
        ({"country": "Mali"}, "is not a country code"),
        ({"admin1": "ML-99"}, "is not a first-level place code"),
        ({"admin1": "ML-7", "country": "NER"}, "is not in NER"),
        ({"review": "maybe"}, "is not a review status"),
        ({"device": "laptop-3"}, "is not a device key id"),
        ({"q": "x" * 201}, "longer than 200 characters"),
    ],
)
def test_from_query_refuses_with_one_line(params: dict[str, str], message: str) -> None:
    with pytest.raises(InvalidInputError, match=message) as caught:
        RecordFilters.from_query(params)
    assert "\n" not in str(caught.value)


def test_roles() -> None:
    assert reads_restricted("analyst") and reads_restricted("admin")
    assert not reads_restricted("viewer") and not reads_restricted("")


def test_a_viewer_period_is_widened_to_months() -> None:
    filters = RecordFilters.from_query({"from": "2026-03-14", "to": "2026-04-02"})
    assert filters.for_role("analyst").date_from == date(2026, 3, 14)
    assert filters.for_role("viewer").date_from == date(2026, 3, 1)
    assert filters.for_role("viewer").date_to == date(2026, 4, 30)


# -- against a repository --------------------------------------------------------------------------

_ROWS = [
    # record, form, device, day_from, day_to, country, admin1
    ("r1", "attack-on-activist", DEVICE_A, "2026-03-14", "2026-03-14", "MLI", "ML-7"),
    ("r2", "attack-on-activist", DEVICE_B, "2026-01-01", "2026-12-31", "MLI", "ML-6"),
    ("r3", "illicit-market-observation", DEVICE_A, "2026-05-02", "2026-05-02", "NER", "NE-2"),
    ("r4", "illicit-market-observation", DEVICE_B, None, None, None, None),
]


@pytest.fixture
def records(sql_repository: Repository) -> Iterator[sa.Engine]:
    engine = engine_of(sql_repository)
    with engine.begin() as conn:
        conn.execute(
            sa.insert(an_records),
            [
                {
                    "record_id": record,
                    "revision_sha256": "0" * 64,
                    "revision": 1,
                    "form_id": form,
                    "form_version": "2",
                    "kind": "attack" if form.startswith("attack") else "market",
                    "device_key_id": device,
                    "received_at": "2026-06-01T00:00:00Z",
                    "day_from": first,
                    "day_to": last,
                    "country": country,
                    "admin1": admin1,
                    "admin1_status": "coded" if admin1 else "missing",
                }
                for record, form, device, first, last, country, admin1 in _ROWS
            ],
        )
        conn.execute(
            sa.insert(reviews),
            [
                {
                    "id": 1,
                    "record_id": "r1",
                    "revision_sha256": "0" * 64,
                    "at": "2026-06-02T00:00:00Z",
                    "actor": "analyst",
                    "status": "verified",
                    "hash": "1" * 64,
                    "signer": "2" * 32,
                    "signature": "3" * 128,
                }
            ],
        )
        conn.execute(
            sa.insert(review_status),
            [
                _status("r1", "verified"),
                _status("r2", "unreviewed"),  # set back to unreviewed
                _status("r3", "rejected"),
            ],
        )
    yield engine


def _status(record_id: str, status: str) -> dict[str, object]:
    return {
        "record_id": record_id,
        "status": status,
        "updated_at": "2026-06-02T00:00:00Z",
        "review_id": 1,
    }


def _selected(engine: sa.Engine, params: dict[str, str], role: str = "analyst") -> list[str]:
    query = (
        sa.select(an_records.c.record_id)
        .where(RecordFilters.from_query(params).where(role))
        .order_by(an_records.c.record_id)
    )
    with engine.connect() as conn:
        return list(conn.execute(query).scalars())


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, ["r1", "r2", "r3", "r4"]),
        ({"form": "attack-on-activist"}, ["r1", "r2"]),
        ({"device": DEVICE_A}, ["r1", "r3"]),
        ({"country": "ML"}, ["r1", "r2"]),
        ({"admin1": "ML-7"}, ["r1"]),
        ({"from": "2026-03", "to": "2026-03"}, ["r1", "r2"]),
        ({"from": "2026-05"}, ["r2", "r3"]),
        ({"to": "2026-02"}, ["r2"]),
        ({"from": "2026-03-15", "to": "2026-03-31"}, ["r2"]),
        ({"review": "verified"}, ["r1"]),
        ({"review": "unreviewed"}, ["r2", "r4"]),
        ({"review": "rejected"}, ["r3"]),
        ({"review": "follow-up"}, []),
        ({"form": "illicit-market-observation", "device": DEVICE_B}, ["r4"]),
    ],
)
def test_each_filter_selects(
    records: sa.Engine, params: dict[str, str], expected: list[str]
) -> None:
    assert _selected(records, params) == expected


def test_a_viewer_cannot_select_by_day(records: sa.Engine) -> None:
    params = {"from": "2026-03-15", "to": "2026-03-31"}
    assert _selected(records, params, "analyst") == ["r2"]
    assert _selected(records, params, "viewer") == ["r1", "r2"]
