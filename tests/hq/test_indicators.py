"""Indicators on the hand-checked data set (tests/hq/indicator_dataset.py), on SQLite and
PostgreSQL. Every expected number is worked out from the data set's table, with the reason."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest

from fieldkit.hq.indicators import render, service
from fieldkit.hq.indicators.model import Output
from fieldkit.hq.repository import Repository
from tests.hq import indicator_dataset as ds

AS_OF = date(2028, 6, 1)


@pytest.fixture
def data(sql_repository: Repository) -> Repository:
    ds.build(sql_repository)
    return sql_repository


def show(repository: Repository, indicator: str, **options: Any) -> Output:
    options.setdefault("period", "2026")
    return service.show_indicator(repository, indicator, as_of=AS_OF, **options)


def table(output: Output) -> dict[tuple[str, ...], dict[str, int | None]]:
    return {row.key: dict(zip(output.columns, row.values, strict=True)) for row in output.rows}


def test_sdg_16_10_1_counts_each_person_once(data: Repository) -> None:
    out = show(data, "sdg-16-10-1", by="act")
    # Killing: A1's journalist (also A2's victim, linked: one person, counted once under the
    # most serious act) and A3's (version 1) journalist = 2. A4 (dated only "2026") is
    # inside 2026: arbitrary detention 1. A6: enforced disappearance 1. Left out: A5 (only
    # corroborated), A7 (2025), A8 (rejected at HQ), environmental defenders and the
    # organisation victim (not 16.10.1 groups).
    assert table(out) == {
        ("arbitrary_detention",): {"persons": 1},
        ("enforced_disappearance",): {"persons": 1},
        ("killing",): {"persons": 2},
    }
    assert out.column_totals == (4,)
    assert out.notes == ()


def test_a_quarter_counts_the_linked_person_under_its_act_there_and_flags_the_year_record(
    data: Repository,
) -> None:
    out = show(data, "sdg-16-10-1", by="act", period="2026-Q1")
    # In 2026-Q1 the linked person's only act is A2's kidnapping (2026-03-10); A6's
    # disappearance is on 2026-02-20. A4, dated "2026", may lie outside the quarter.
    assert table(out) == {
        ("enforced_disappearance",): {"persons": 1},
        ("kidnapping",): {"persons": 1},
    }
    assert out.notes == (
        "1 unit is left out: its dates overlap the period but may lie outside it.",
    )


def test_sdg_16_10_1_cross_table_by_sex_and_category(data: Repository) -> None:
    out = show(data, "sdg-16-10-1", by="sex,category")
    # Women: A4's trade unionist, A6's human rights defender. Men: the two journalists.
    assert out.row_dims == ("sex",) and out.column_dim == "category"
    assert out.columns == ("human_rights_defender", "journalist", "trade_unionist")
    assert table(out) == {
        ("female",): {"human_rights_defender": 1, "journalist": 0, "trade_unionist": 1},
        ("male",): {"human_rights_defender": 0, "journalist": 2, "trade_unionist": 0},
    }
    assert [r.total for r in out.rows] == [2, 2]
    assert out.column_totals == (1, 2, 1) and out.grand_total == 4


def test_sdg_16_10_1_by_perpetrator_age_and_place(data: Repository) -> None:
    # A1's killing: organised crime; A3 (v1, two perpetrator categories): unknown; A4 and A6:
    # state agents.
    perpetrators = table(show(data, "sdg-16-10-1", by="perpetrator"))
    assert perpetrators == {
        ("organised_criminal_group",): {"persons": 1},
        ("state_agent",): {"persons": 2},
        ("unknown",): {"persons": 1},
    }
    places = table(show(data, "sdg-16-10-1", by="country,admin1"))
    assert places == {("BFA",): {"BF-08": 3, "ML-1": 0}, ("MLI",): {"BF-08": 0, "ML-1": 1}}
    only_mali = table(show(data, "sdg-16-10-1", by="age_group", country="ML"))
    assert only_mali == {("age_18_29",): {"persons": 1}}


def test_shares_of_organised_crime_and_state_complicity(data: Repository) -> None:
    out = show(data, "sdg-16-10-1-organised-crime", by="country")
    # BFA: the linked person (A1 act by organised crime) and A3's journalist (a perpetrator
    # entry is organised crime) yes; A4 no. MLI: A6 no.
    assert table(out) == {("BFA",): {"yes": 2, "no": 1}, ("MLI",): {"yes": 0, "no": 1}}
    assert [r.share for r in out.rows] == [pytest.approx(2 / 3), 0.0]
    out = show(data, "sdg-16-10-1-state-complicity", by="country")
    # Acquiescence in A1 and A3; collusion in A6; A4 none known.
    assert table(out) == {("BFA",): {"yes": 2, "no": 1}, ("MLI",): {"yes": 1, "no": 0}}


def test_killings_and_disappearances_per_quarter(data: Repository) -> None:
    out = show(data, "killings-disappearances")
    # Q1: A6 disappeared (2026-02-20). Q2: A3 killed (2026-05-20). Q3: A1 killed (09-14).
    assert table(out) == {
        ("2026-Q1",): {"killing": 0, "enforced_disappearance": 1},
        ("2026-Q2",): {"killing": 1, "enforced_disappearance": 0},
        ("2026-Q3",): {"killing": 1, "enforced_disappearance": 0},
    }


def test_impunity_after_12_and_24_months(data: Repository) -> None:
    out = show(data, "impunity-killings")
    # Judged on 2028-06-01. 12 months: A1 (2027-09-14 passed; investigation ongoing) without
    # conviction, A3 (full justice, version 1: no date) convicted. 24 months: A1's deadline
    # 2028-09-14 has not come; A3's (2028-05-20) has.
    assert table(out) == {
        ("12",): {"without_conviction": 1, "convicted": 1},
        ("24",): {"without_conviction": 0, "convicted": 1},
    }
    cases = table(show(data, "impunity-cases"))
    # All four persons at 12 months (A4's latest day 2026-12-31 + 12 = 2027-12-31); at 24
    # months A3 (convicted) and A6 (2028-02-20, no justice).
    assert cases == {
        ("12",): {"without_conviction": 3, "convicted": 1},
        ("24",): {"without_conviction": 1, "convicted": 1},
    }


def test_market_observations_trend_and_newly_seen(data: Repository) -> None:
    # 2026: M1 and M4 (v1) each name non-renewable resources and extortion, M2 the first,
    # M5 cannabis. 2025: M3, non-renewable resources.
    assert table(show(data, "market-observations", by="market")) == {
        ("cannabis_trade",): {"observations": 1},
        ("extortion_protection_racketeering",): {"observations": 2},
        ("non_renewable_resource_crimes",): {"observations": 3},
    }
    by_month = table(show(data, "market-observations", by="admin1,month"))
    assert by_month == {
        ("BF-08",): {"2026-09": 1, "2026-10": 0},
        ("ML-1",): {"2026-09": 0, "2026-10": 5},
    }
    trend = show(data, "market-trend", by="market")
    assert table(trend)[("non_renewable_resource_crimes",)] == {"previous": 1, "current": 3}
    assert [r.change for r in trend.rows] == [1, 2, 2]  # cannabis, extortion, non-renewable
    assert trend.column_totals == (1, 6)
    # Non-renewable resources were seen in ML-1 in 2025 (M3): not new. Extortion in ML-1 and
    # cannabis in BF-08 are.
    new = show(data, "markets-newly-seen")
    assert table(new) == {
        ("BFA", "BF-08"): {"cannabis_trade": 1, "extortion_protection_racketeering": 0},
        ("MLI", "ML-1"): {"cannabis_trade": 0, "extortion_protection_racketeering": 2},
    }


def test_actor_shares(data: Repository) -> None:
    # Four observation records in 2026; M2 kept only the criminal network.
    assert table(show(data, "market-actors")) == {
        ("criminal_network",): {"involved": 4, "not_involved": 0},
        ("state_embedded_actor",): {"involved": 3, "not_involved": 1},
    }


def test_violence_nexus_distance_and_days_are_settings(data: Repository) -> None:
    out = show(data, "violence-nexus", by="country")
    # A1 (2026-09-14) is 2.4 km from M5 (2026-09-10): near. A2, A3, A5 are there too but
    # months apart; A6 is in Mali. A4 has no coordinates: not judged.
    assert table(out) == {
        ("BFA",): {"near": 1, "not_near": 3},
        ("MLI",): {"near": 0, "not_near": 1},
    }
    assert out.notes == ("1 unit could not be judged (no coordinates).",)
    assert table(show(data, "violence-nexus", by="country", days=3))[("BFA",)]["near"] == 0
    assert table(show(data, "violence-nexus", by="country", distance_km=2))[("BFA",)]["near"] == 0


def test_data_quality(data: Repository) -> None:
    # Attacks in 2026 not rejected: A1-A6, all verified but A5. Markets are corroborated.
    assert table(show(data, "quality-verified")) == {
        ("attack-on-activist",): {"yes": 5, "no": 1},
        ("illicit-market-observation",): {"yes": 0, "no": 4},
    }
    delay = show(data, "quality-delay")
    # Attacks: 6, 20, 40, 10 (A4: from 2026-12-31), 2, 10 days -> median 10. Markets: M1 6,
    # M2 5, M4 2, M5 2 -> median 3.5.
    assert [(r.key, r.values, r.statistic) for r in delay.rows] == [
        (("attack-on-activist",), (6,), 10.0),
        (("illicit-market-observation",), (4,), 3.5),
    ]
    places = table(show(data, "quality-places", by="country"))
    # Version 2 answers a region code (coded); version 1 typed "Est" / "Kayes" (matched).
    # BFA: A1, A2, A4, A5, M5 coded, A3 matched. MLI: A6, M1, M2 coded, M4 matched.
    zero = {"settled": 0, "unmatched": 0, "missing": 0}
    assert places == {
        ("BFA",): {"coded": 5, "matched": 1, **zero},
        ("MLI",): {"coded": 3, "matched": 1, **zero},
    }


def test_release_withholds_small_cells_and_their_complements(data: Repository) -> None:
    out = show(data, "quality-place-precision", tier="release")
    # Attacks: 0 at precision 1, 6 not (both published). Markets: 4 and 0: 4 is small, so
    # are the market row total (4) and the "yes" total (4); the grand total (10) goes too,
    # else 10 - 6 would give the "yes" total back.
    assert table(out) == {
        ("attack-on-activist",): {"yes": 0, "no": 6},
        ("illicit-market-observation",): {"yes": None, "no": 0},
    }
    assert [r.total for r in out.rows] == [6, None]
    assert out.column_totals == (None, 6) and out.grand_total is None
    reasons = {(s.row, s.column, s.reason) for s in out.suppressed}
    assert reasons == {
        (("illicit-market-observation",), None, "primary"),
        (("illicit-market-observation",), "yes", "primary"),
        (None, "yes", "primary"),
        (None, None, "secondary"),
    }
    assert len(out.suppressed) == 4
    text = render.as_table(out)
    assert "tier: release" in text and "minimum cell: 5" in text and "[c]" in text


def test_release_never_shows_a_count_below_the_minimum(data: Repository) -> None:
    for chosen in service.list_indicators():
        out = show(data, chosen.id, tier="release")
        published = [v for r in out.rows for v in (*r.values, r.total) if v is not None]
        published += [v for v in out.column_totals or () if v is not None]
        assert not [v for v in published if 0 < v < 5], chosen.id


def test_no_identifying_or_restricted_answer_reaches_any_output(data: Repository) -> None:
    for chosen in service.list_indicators():
        for tier in ("internal", "release"):
            dims = ",".join(chosen.dimensions[:2]) or None
            out = show(data, chosen.id, tier=tier, by=dims)
            texts = [render.as_table(out), render.as_csv(out), json.dumps(render.as_json(out))]
            for text in texts:
                assert ds.CANARY_NAME not in text
                assert ds.RESTRICTED_TEXT not in text
                assert "VIC-" not in text  # pseudonyms are per victim: never in aggregates


def test_outputs_say_tier_period_filters_and_what_was_withheld(data: Repository) -> None:
    out = show(data, "sdg-16-10-1", by="act", country="BFA", tier="release", min_cell=3)
    document = render.as_json(out)
    assert (document["tier"], document["period"], document["min_cell"]) == ("release", "2026", 3)
    assert document["filters"] == {"country": "BFA"}
    # BFA: killing 2 and arbitrary detention 1 are below 3; the total 3 is published.
    assert document["rows"] == [
        {"key": {"act": "arbitrary_detention"}, "values": {"persons": None}},
        {"key": {"act": "killing"}, "values": {"persons": None}},
    ]
    assert document["column_totals"] == {"persons": 3}
    assert {(s["row"]["act"], s["reason"]) for s in document["suppressed"]} == {
        ("arbitrary_detention", "primary"),
        ("killing", "primary"),
    }
    csv_text = render.as_csv(out)
    assert csv_text.startswith("# indicator: sdg-16-10-1")
    assert "# tier: release" in csv_text and "# filters: country=BFA" in csv_text
    assert "arbitrary_detention,[c]" in csv_text


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"by": "colour"}, "cannot be broken down by 'colour'"),
        ({"period": "2026-13"}, "is not a period"),
        ({"country": "XX"}, "is not a country code"),
        ({"tier": "release", "min_cell": 2}, "--min-cell 3 or more"),
        ({"by": "act,act"}, "names a dimension twice"),
        ({"tier": "release", "period": "2026-03-14"}, "a month at the shortest"),
    ],
)
def test_bad_requests_are_refused_with_one_line(
    data: Repository, options: dict[str, Any], message: str
) -> None:
    from fieldkit.hq.errors import InvalidInputError

    with pytest.raises(InvalidInputError, match=message):
        show(data, "sdg-16-10-1", **options)
    with pytest.raises(InvalidInputError, match="is not an indicator"):
        show(data, "sdg-16-10-2")
