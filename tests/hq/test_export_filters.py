"""Periods and filters shared by exports and indicators (fieldkit.hq.analysis.filters)."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from fieldkit.hq.analysis.filters import Filters, Period
from fieldkit.hq.errors import InvalidInputError


@pytest.mark.parametrize(
    ("text", "kind", "first", "last", "previous"),
    [
        ("2026", "year", date(2026, 1, 1), date(2026, 12, 31), "2025"),
        ("2026-Q1", "quarter", date(2026, 1, 1), date(2026, 3, 31), "2025-Q4"),
        ("2026-q3", "quarter", date(2026, 7, 1), date(2026, 9, 30), "2026-Q2"),
        ("2024-02", "month", date(2024, 2, 1), date(2024, 2, 29), "2024-01"),
        ("2026-01", "month", date(2026, 1, 1), date(2026, 1, 31), "2025-12"),
        ("2026-03-01", "day", date(2026, 3, 1), date(2026, 3, 1), "2026-02-28"),
    ],
)
def test_period_parse(text: str, kind: str, first: date, last: date, previous: str) -> None:
    period = Period.parse(text)
    assert (period.kind, period.first, period.last) == (kind, first, last)
    assert period.previous().label == previous
    assert Period.parse(period.label) == period


def test_previous_quarter_has_its_own_length() -> None:
    q2 = Period.parse("2026-Q2").previous()
    assert (q2.first, q2.last) == (date(2026, 1, 1), date(2026, 3, 31))


@pytest.mark.parametrize("text", ["26", "2026-Q5", "2026-13", "2026-02-30", "March", ""])
def test_period_refuses(text: str) -> None:
    with pytest.raises(InvalidInputError, match="is not a period"):
        Period.parse(text)


def test_filters_parse_normalises() -> None:
    filters = Filters.parse(
        date_from="2026-Q1", date_to="2026-Q1", country="ml", admin1="iso3166-2:1:ml-7"
    )
    assert filters == Filters(date(2026, 1, 1), date(2026, 3, 31), "MLI", "ML-7")
    assert Filters.parse(country="MLI").country == "MLI"
    assert Filters.parse(admin1="NE-2").country == "NER"
    assert Filters.parse(review="Follow-Up").review == "follow-up"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"date_from": "2026-04", "date_to": "2026-03"}, "is after --to"),
        ({"country": "XYZ"}, "is not a country code"),
        ({"country": "Mali"}, "is not a country code"),
        ({"admin1": "ML-99"}, "is not a first-level place code"),
        ({"admin1": "ES-M"}, "is not a first-level place code"),
        ({"admin1": "ML-7", "country": "NER"}, "is not in NER"),
        ({"review": "maybe"}, "is not a review status"),
    ],
)
def test_filters_parse_refuses(kwargs: dict[str, str], message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        Filters.parse(**kwargs)


@pytest.fixture
def records() -> tuple[sa.Engine, sa.Table]:
    """A small an_records with the columns filters use, and a review_status table."""
    metadata = sa.MetaData()
    table = sa.Table(
        "an_records",
        metadata,
        sa.Column("record_id", sa.String, primary_key=True),
        sa.Column("form_id", sa.String),
        sa.Column("country", sa.String),
        sa.Column("admin1", sa.String),
        sa.Column("day_from", sa.String),
        sa.Column("day_to", sa.String),
    )
    reviews = sa.Table(
        "review_status",
        metadata,
        sa.Column("record_id", sa.String, primary_key=True),
        sa.Column("status", sa.String),
    )
    engine = sa.create_engine("sqlite://")
    metadata.create_all(engine)
    rows = [
        ("year", "f", "MLI", "ML-7", "2026-01-01", "2026-12-31"),
        ("march", "f", "MLI", "ML-6", "2026-03-01", "2026-03-31"),
        ("day", "g", "NER", None, "2026-02-14", "2026-02-14"),
        ("april", "f", "MLI", "ML-7", "2026-04-02", "2026-04-02"),
        ("span", "f", "MLI", None, "2025-12-20", "2026-01-05"),
        ("undated", "f", "MLI", None, None, None),
    ]
    with engine.begin() as connection:
        connection.execute(
            table.insert(),
            [
                dict(
                    zip(
                        ("record_id", "form_id", "country", "admin1", "day_from", "day_to"),
                        r,
                        strict=True,
                    )
                )
                for r in rows
            ],
        )
        connection.execute(
            reviews.insert(),
            [
                {"record_id": "march", "status": "verified"},
                {"record_id": "day", "status": "unreviewed"},
            ],
        )
    return engine, table


def _select(records: tuple[sa.Engine, sa.Table], filters: Filters) -> dict[str, bool]:
    engine, table = records
    query = sa.select(table.c.record_id, filters.uncertain(table)).where(filters.clause(table))
    with engine.connect() as connection:
        return {rid: bool(flag) for rid, flag in connection.execute(query)}


def test_overlap_and_uncertain(records: tuple[sa.Engine, sa.Table]) -> None:
    q1 = Filters.of_period(Period.parse("2026-Q1"))
    assert _select(records, q1) == {"year": True, "march": False, "day": False, "span": True}
    assert _select(records, Filters.parse(date_from="2026-04")) == {"year": True, "april": False}
    assert _select(records, Filters.parse(date_to="2025")) == {"span": True}


def test_without_dates_everything_is_certain(records: tuple[sa.Engine, sa.Table]) -> None:
    selected = _select(records, Filters())
    assert len(selected) == 6 and not any(selected.values())


def test_place_form_and_review(records: tuple[sa.Engine, sa.Table]) -> None:
    assert set(_select(records, Filters.parse(admin1="ML-7"))) == {"year", "april"}
    assert set(_select(records, Filters.parse(country="NE"))) == {"day"}
    assert set(_select(records, Filters.parse(form_id="g"))) == {"day"}
    assert set(_select(records, Filters.parse(review="verified"))) == {"march"}
    unreviewed = set(_select(records, Filters.parse(review="unreviewed")))
    assert unreviewed == {"year", "day", "april", "span", "undated"}


def test_review_without_its_table() -> None:
    table = sa.Table("an_records", sa.MetaData(), sa.Column("record_id", sa.String))
    with pytest.raises(InvalidInputError, match="no review status"):
        Filters(review="verified").clause(table)
