"""The workspace's indicator use cases (fieldkit.hq.workspace.indicators and .charts) on the
hand-checked data set of tests/hq/indicator_dataset.py: the request a page makes, the tier an
account gets, the chart each indicator is drawn as, and that a withheld figure is never a number
in the chart's data, the table, the CSV or the JSON."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from typing import Any

import pytest

from fieldkit.hq.errors import InvalidInputError
from fieldkit.hq.indicators import render, service
from fieldkit.hq.indicators.model import INTERNAL, RELEASE, Output
from fieldkit.hq.repository import Repository
from fieldkit.hq.workspace import indicators as workspace
from fieldkit.hq.workspace.indicators import IndicatorQuery
from fieldkit.i18n import set_language
from tests.hq import indicator_dataset as ds

EXPECTED_KIND = {
    "sdg-16-10-1": "counts",
    "sdg-16-10-1-organised-crime": "share",
    "sdg-16-10-1-state-complicity": "share",
    "killings-disappearances": "time",
    "impunity-killings": "share",
    "impunity-cases": "share",
    "market-observations": "counts",
    "market-trend": "counts",
    "markets-newly-seen": "counts",
    "market-actors": "share",
    "violence-nexus": "share",
    "quality-verified": "share",
    "quality-place-precision": "share",
    "quality-time-precision": "share",
    "quality-places": "counts",
    "quality-delay": "statistic",
}


@pytest.fixture
def data(sql_repository: Repository) -> Repository:
    ds.build(sql_repository)
    return sql_repository


@pytest.fixture
def language() -> Iterator[Any]:
    yield set_language
    set_language("en")


def query(**params: str) -> IndicatorQuery:
    params.setdefault("period", "2026")
    return IndicatorQuery.from_query(params, internal_allowed=True)


def bars(spec: dict[str, Any]) -> dict[str, Any]:
    return dict(spec["layer"][0]["encoding"])


def test_every_indicator_has_a_chart_of_its_shape(data: Repository) -> None:
    assert set(EXPECTED_KIND) == {found.id for found in workspace.catalogue()}
    for tier in (INTERNAL, RELEASE):
        for found in workspace.catalogue():
            view = workspace.view(data, found.id, query(tier=tier))
            spec = view.chart
            assert spec["usermeta"]["kind"] == EXPECTED_KIND[found.id], found.id
            assert spec["usermeta"] == {
                **spec["usermeta"],
                "indicator": found.id,
                "tier": tier,
                "period": "2026",
            }
            assert spec["layer"][0]["mark"]["type"] == "bar"
            assert spec["layer"][1]["transform"] == [{"filter": "datum.withheld"}]
            encoding = bars(spec)
            value_axis = "y" if EXPECTED_KIND[found.id] == "time" else "x"
            assert encoding[value_axis]["field"] == "value"
            assert encoding[value_axis]["type"] == "quantitative"
            points = spec["data"]["values"]
            per_row = 1 if EXPECTED_KIND[found.id] in ("share", "statistic") else None
            expected = len(view.output.rows) * (per_row or len(view.output.columns))
            assert len(points) == expected, found.id
            # The spec is plain JSON (what /indicators/NAME.vl.json serves).
            assert json.loads(json.dumps(spec)) == spec
            # The table has the CLI's columns and one line per row (+ the totals line).
            assert len(view.headings) == len(render.columns(view.output))
            assert len(view.rows) == len(render.rows(view.output))


def test_a_share_is_drawn_from_0_to_100_percent(data: Repository) -> None:
    view = workspace.view(data, "quality-verified", query(tier=INTERNAL))
    encoding = bars(view.chart)
    assert encoding["x"]["scale"]["domain"] == [0, 1]
    assert encoding["x"]["axis"]["format"] == ".0%"
    shares = [row.share for row in view.output.rows]
    assert [p["value"] for p in view.chart["data"]["values"]] == shares
    assert any(share is not None and 0 < share < 1 for share in shares)


def test_killings_per_quarter_are_bars_in_time_order(data: Repository) -> None:
    view = workspace.view(data, "killings-disappearances", query(tier=INTERNAL))
    encoding = bars(view.chart)
    assert encoding["x"]["field"] == "label" and encoding["x"]["type"] == "ordinal"
    assert encoding["xOffset"] == {"field": "series", "sort": ["killing", "enforced disappearance"]}
    labels = [p["label"] for p in view.chart["data"]["values"]]
    assert labels == sorted(labels, key=lambda label: label == "unknown")
    assert labels[0].startswith("2026-Q")


def _withheld_cells(output: Output) -> list[tuple[tuple[str, ...], str]]:
    return [(s.row, s.column) for s in output.suppressed if s.row is not None and s.column]


def test_a_withheld_cell_is_never_a_number_in_chart_table_csv_or_json(data: Repository) -> None:
    checked = 0
    for found in workspace.catalogue():
        view = workspace.view(data, found.id, query(tier=RELEASE))
        output = view.output
        points = {(p["label"], p["series"]): p for p in view.chart["data"]["values"]}
        lines = workspace.csv_of(output).splitlines()
        csv_rows = list(csv.reader(line for line in lines if not line.startswith("#")))
        header, body = csv_rows[0], csv_rows[1:]
        as_json = workspace.json_of(output)
        for row_key, column in _withheld_cells(output):
            checked += 1
            index = output.columns.index(column)
            line = next(i for i, row in enumerate(output.rows) if row.key == row_key)
            # The table shows the word, not the figure.
            cell = view.rows[line][len(output.row_dims) + index]
            assert cell.withheld and not any(ch.isdigit() for ch in cell.text)
            # The CSV has [c] where the figure would be.
            assert body[line][header.index(column)] == render.WITHHELD
            # The JSON has null.
            assert as_json["rows"][line]["values"][column] is None
            # The chart's point (counts and time charts draw every cell) is null and withheld.
            if view.chart["usermeta"]["kind"] in ("counts", "time"):
                label = " · ".join(workspace.labels.value(part) for part in row_key)
                point = points[(label, workspace.labels.value(column))]
                assert point["value"] is None and point["withheld"] is True
        # A share or statistic whose count is withheld is withheld too.
        for point in view.chart["data"]["values"]:
            if point["withheld"]:
                assert point["value"] is None and point["status"] == "withheld"
    assert checked >= 5  # the data set is small: most release cells are withheld


def test_sdg_release_withholds_every_small_count_in_the_chart(data: Repository) -> None:
    exact = workspace.view(data, "sdg-16-10-1", query(tier=INTERNAL))
    released = workspace.view(data, "sdg-16-10-1", query(tier=RELEASE))
    assert [p["value"] for p in exact.chart["data"]["values"]] == [1, 1, 2]
    assert [p["value"] for p in released.chart["data"]["values"]] == [None, None, None]
    assert all(p["withheld"] for p in released.chart["data"]["values"])
    text = json.dumps(released.chart)
    assert '"value": 1' not in text and '"value": 2' not in text
    assert (
        released.chart["title"]["subtitle"][-1]
        == "4 figures withheld (counts below 5 and what would reveal them)"
    )
    statement = dict(released.statement)
    assert statement["tier"] == "release" and statement["period"] == "2026"
    assert statement["withheld"].startswith("4 cells: 4 below 5")
    assert [c.text for c in released.rows[-1]] == ["Total", "withheld"]


def test_a_viewer_gets_the_release_tier_whatever_the_query_says() -> None:
    asked = {"tier": "internal", "min_cell": "3", "period": "2026-Q1"}
    viewer = IndicatorQuery.from_query(asked, internal_allowed=False)
    assert (viewer.tier, viewer.min_cell, viewer.period) == (RELEASE, 5, "2026-Q1")
    assert IndicatorQuery.from_query({}, internal_allowed=False).tier == RELEASE
    analyst = IndicatorQuery.from_query(asked, internal_allowed=True)
    assert (analyst.tier, analyst.min_cell) == (INTERNAL, 3)
    assert IndicatorQuery.from_query({}, internal_allowed=True).tier == INTERNAL
    assert viewer.to_query() == {"tier": "release", "period": "2026-Q1"}
    chosen = IndicatorQuery.from_query({}, internal_allowed=True, default_tier=RELEASE)
    assert chosen.tier == RELEASE
    forced = IndicatorQuery.from_query({}, internal_allowed=False, default_tier=INTERNAL)
    assert forced.tier == RELEASE


def test_the_same_request_as_the_cli(data: Repository) -> None:
    asked = query(tier=RELEASE, by="category", country="ML")
    output = workspace.compute(data, "sdg-16-10-1", asked)
    cli = service.show_indicator(
        data, "sdg-16-10-1", period="2026", by="category", country="ML", tier=RELEASE
    )
    assert render.as_csv(output) == render.as_csv(cli)
    assert workspace.csv_of(output) == render.as_csv(cli)
    assert output.filters == {"country": "MLI"}


@pytest.mark.parametrize(
    ("params", "period"),
    [
        ({"from": "2026-Q1", "to": "2026-Q1"}, "2026-Q1"),
        ({"from": "2026-01", "to": "2026-03"}, "2026-Q1"),
        ({"from": "2026-01-01", "to": "2026-12-31"}, "2026"),
        ({"from": "2026-03"}, "2026-03"),
        ({"period": "2025", "from": "2026"}, "2025"),
        ({}, None),
    ],
)
def test_from_and_to_name_one_period(params: dict[str, str], period: str | None) -> None:
    assert IndicatorQuery.from_query(params, internal_allowed=True).period == period


@pytest.mark.parametrize(
    ("params", "says"),
    [
        ({"from": "2026-01", "to": "2026-05"}, "one year, quarter or month"),
        ({"tier": "public"}, "'public' is not a tier"),
        ({"min_cell": "five"}, "'five' is not a number"),
        ({"km": "nan"}, "'nan' is not a number"),
        ({"from": "2026-13"}, "'2026-13' is not a period"),
    ],
)
def test_bad_requests_say_what_is_wrong(params: dict[str, str], says: str) -> None:
    with pytest.raises(InvalidInputError, match=says):
        IndicatorQuery.from_query(params, internal_allowed=True)


def test_a_release_below_the_lowest_minimum_cell_is_refused(data: Repository) -> None:
    with pytest.raises(InvalidInputError, match="--min-cell 3 or more"):
        workspace.view(data, "sdg-16-10-1", query(tier=RELEASE, min_cell="2"))


def test_labels_and_axes_follow_the_language(data: Repository, language: Any) -> None:
    language("fr")
    view = workspace.view(data, "sdg-16-10-1", query(tier=INTERNAL))
    assert view.headings[0] == "Acte"
    assert bars(view.chart)["y"]["axis"]["orient"] == "left"
    assert view.chart["config"]["locale"]["number"]["decimal"] == ","
    language("ar")
    view = workspace.view(data, "sdg-16-10-1", query(tier=INTERNAL))
    encoding = bars(view.chart)
    assert encoding["y"]["axis"]["orient"] == "right"
    assert encoding["x"]["scale"]["reverse"] is True
    assert view.chart["title"]["anchor"] == "end"
    assert view.chart["usermeta"]["rtl"] is True
    assert view.headings[0] != "act" and not view.headings[0].isascii()


def test_the_report_holds_every_indicator_with_its_own_breakdown(data: Repository) -> None:
    views = workspace.report(data, query(tier=RELEASE, by="country"))
    assert [v.indicator.id for v in views] == list(EXPECTED_KIND)
    assert all(v.output.tier == RELEASE for v in views)
    assert views[0].output.row_dims == ("act",)
