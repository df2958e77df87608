"""Every indicator HQ computes, in one place: id, title, source, unit, dimensions, query.

docs/indicators.md explains each in words; the sources name the methodology the definition
follows, and say so where a definition is fieldkit's own.
"""

from __future__ import annotations

from fieldkit.hq.indicators import queries_attacks as attacks
from fieldkit.hq.indicators import queries_markets as markets
from fieldkit.hq.indicators import queries_quality as quality
from fieldkit.hq.indicators.model import Indicator
from fieldkit.i18n import N_

OHCHR = (
    "OHCHR, SDG indicator 16.10.1 metadata (verified cases of killing, kidnapping, enforced "
    "disappearance, arbitrary detention and torture of journalists and associated media "
    "personnel, trade unionists and human rights defenders)"
)
FIELDKIT_OHCHR = OHCHR + "; the perpetrator categories and this breakdown are fieldkit's own"
GITOC = "GI-TOC, Global Organized Crime Index 2023 (criminal markets and actor types)"
FIELDKIT = "fieldkit's own definition (docs/indicators.md)"

PLACE_TIME = ("country", "admin1", "year", "quarter", "month")
CASE_DIMENSIONS = ("act", "category", "sex", "age_group", "perpetrator", *PLACE_TIME)
MARKET_DIMENSIONS = ("market", *PLACE_TIME)
RECORD_DIMENSIONS = ("form", *PLACE_TIME)

INDICATORS: tuple[Indicator, ...] = (
    Indicator(
        id="sdg-16-10-1",
        title=N_("Verified attacks on journalists, trade unionists and human rights defenders"),
        source=OHCHR,
        unit=N_("persons (each counted once per period)"),
        dimensions=CASE_DIMENSIONS,
        default_by=("act",),
        build=attacks.sdg16101,
    ),
    Indicator(
        id="sdg-16-10-1-organised-crime",
        title=N_("SDG 16.10.1 cases attributed to organised crime"),
        source=FIELDKIT_OHCHR,
        unit=N_("persons (each counted once per period)"),
        dimensions=CASE_DIMENSIONS,
        default_by=("country",),
        build=attacks.sdg16101_organised_crime,
        column_dimension="organised_crime",
        column_totals=False,
        grand_total=False,
        share_of=attacks.YES,
    ),
    Indicator(
        id="sdg-16-10-1-state-complicity",
        title=N_("SDG 16.10.1 cases with state complicity reported"),
        source=FIELDKIT_OHCHR,
        unit=N_("persons (each counted once per period)"),
        dimensions=CASE_DIMENSIONS,
        default_by=("country",),
        build=attacks.sdg16101_state_complicity,
        column_dimension="state_complicity",
        column_totals=False,
        grand_total=False,
        share_of=attacks.YES,
    ),
    Indicator(
        id="killings-disappearances",
        title=N_("Killings and enforced disappearances per quarter"),
        source=OHCHR,
        unit=N_("persons (each counted once per period)"),
        dimensions=tuple(d for d in CASE_DIMENSIONS if d not in ("act", "quarter")),
        default_by=(),
        build=attacks.killings_disappearances,
        column_dimension="act",
        fixed_by=("quarter",),
    ),
    Indicator(
        id="impunity-killings",
        title=N_("Killings without conviction after 12 and 24 months"),
        source=OHCHR + "; the horizons and the use of justice status are fieldkit's own",
        unit=N_("persons killed"),
        dimensions=tuple(d for d in CASE_DIMENSIONS if d != "act"),
        default_by=(),
        build=attacks.impunity_killings,
        column_dimension="justice",
        column_totals=False,
        grand_total=False,
        share_of=attacks.WITHOUT,
        fixed_by=("horizon",),
    ),
    Indicator(
        id="impunity-cases",
        title=N_("SDG 16.10.1 cases without conviction after 12 and 24 months"),
        source=OHCHR + "; the horizons and the use of justice status are fieldkit's own",
        unit=N_("persons (each counted once per period)"),
        dimensions=CASE_DIMENSIONS,
        default_by=(),
        build=attacks.impunity_cases,
        column_dimension="justice",
        column_totals=False,
        grand_total=False,
        share_of=attacks.WITHOUT,
        fixed_by=("horizon",),
    ),
    Indicator(
        id="market-observations",
        title=N_("Observations of illicit markets"),
        source=GITOC,
        unit=N_("market observations (a record naming two markets counts for each)"),
        dimensions=MARKET_DIMENSIONS,
        default_by=("market",),
        build=markets.observations,
    ),
    Indicator(
        id="market-trend",
        title=N_("Observations of illicit markets against the previous period"),
        source=GITOC + "; the comparison is fieldkit's own",
        unit=N_("market observations (a record naming two markets counts for each)"),
        dimensions=MARKET_DIMENSIONS,
        default_by=("market",),
        build=markets.trend,
        column_dimension="period",
        change=(markets.PREVIOUS, markets.CURRENT),
        row_totals=False,
        grand_total=False,
    ),
    Indicator(
        id="markets-newly-seen",
        title=N_("Markets newly seen in a place"),
        source=GITOC + "; 'newly seen' is fieldkit's own",
        unit=N_("market observations (a record naming two markets counts for each)"),
        dimensions=(),
        default_by=(),
        build=markets.newly_seen,
        fixed_by=("country", "admin1", "market"),
    ),
    Indicator(
        id="market-actors",
        title=N_("Share of observations involving each actor type"),
        source=GITOC,
        unit=N_("observation records"),
        dimensions=("actor_type", *PLACE_TIME),
        default_by=("actor_type",),
        build=markets.actor_shares,
        column_dimension="involvement",
        column_totals=False,
        grand_total=False,
        share_of=markets.INVOLVED,
    ),
    Indicator(
        id="violence-nexus",
        title=N_("Attacks near observations of illicit markets"),
        source=FIELDKIT + "; after the GI-TOC Index and SDG 16.10.1",
        unit=N_("attack records with coordinates"),
        dimensions=PLACE_TIME,
        default_by=("country",),
        build=markets.nexus,
        column_dimension="nexus",
        share_of=markets.NEAR,
    ),
    Indicator(
        id="quality-verified",
        title=N_("Share of records verified"),
        source=FIELDKIT + "; verification after OHCHR's 16.10.1 standard",
        unit=N_("records"),
        dimensions=RECORD_DIMENSIONS,
        default_by=("form",),
        build=quality.verified,
        column_dimension="verified",
        share_of=quality.YES,
    ),
    Indicator(
        id="quality-place-precision",
        title=N_("Share of records placed at an exact place (precision 1)"),
        source=FIELDKIT + "; precision codes after ACLED",
        unit=N_("records"),
        dimensions=RECORD_DIMENSIONS,
        default_by=("form",),
        build=quality.place_precision,
        column_dimension="precision_1",
        share_of=quality.YES,
    ),
    Indicator(
        id="quality-time-precision",
        title=N_("Share of records dated to the day (precision 1)"),
        source=FIELDKIT + "; precision codes after ACLED",
        unit=N_("records"),
        dimensions=RECORD_DIMENSIONS,
        default_by=("form",),
        build=quality.time_precision,
        column_dimension="precision_1",
        share_of=quality.YES,
    ),
    Indicator(
        id="quality-places",
        title=N_("Records by how their first-level place is known"),
        source=FIELDKIT,
        unit=N_("records"),
        dimensions=RECORD_DIMENSIONS,
        default_by=("country",),
        build=quality.places,
        column_dimension="admin1_status",
    ),
    Indicator(
        id="quality-delay",
        title=N_("Median days from the event to HQ"),
        source=FIELDKIT,
        unit=N_("records; days from the event's latest possible day to HQ's first receipt"),
        dimensions=RECORD_DIMENSIONS,
        default_by=("form",),
        build=quality.delay,
        statistic="median_days",
    ),
)

BY_ID = {indicator.id: indicator for indicator in INDICATORS}
