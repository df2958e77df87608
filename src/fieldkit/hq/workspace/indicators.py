"""The workspace's indicator pages: what a query asks, the indicator computed by the same use case
as ``fieldkit-hq indicators show``, and the table, statement and chart a page shows.

Who may see what is decided here, not in a page: an account that may not see internal figures
(a viewer) gets the ``release`` tier at the default minimum cell whatever the query says.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fieldkit.hq.analysis.filters import Period
from fieldkit.hq.errors import InvalidInputError
from fieldkit.hq.indicators import disclosure, render, service
from fieldkit.hq.indicators.model import (
    INTERNAL,
    NEXUS_DAYS,
    NEXUS_KM,
    RELEASE,
    TIERS,
    Indicator,
    Output,
)
from fieldkit.hq.repository.base import Repository
from fieldkit.hq.workspace import charts, indicator_cache
from fieldkit.hq.workspace import indicator_labels as labels
from fieldkit.i18n import _

PARAMETERS = ("tier", "period", "from", "to", "by", "country", "admin1", "min_cell", "km", "days")
"""The query parameters an indicator page reads (the CLI's options, by the same names; ``from``
and ``to`` as the records and map pages write a period)."""


@dataclass(frozen=True)
class IndicatorQuery:
    """One indicator request from a page: the CLI's ``indicators show`` options."""

    tier: str = RELEASE
    period: str | None = None
    by: str | None = None
    country: str | None = None
    admin1: str | None = None
    min_cell: int = disclosure.DEFAULT_MIN_CELL
    distance_km: float = NEXUS_KM
    days: int = NEXUS_DAYS

    @classmethod
    def from_query(
        cls,
        params: Mapping[str, str],
        *,
        internal_allowed: bool,
        default_tier: str = INTERNAL,
    ) -> IndicatorQuery:
        """The request in ``params``; InvalidInputError (one line) for a wrong value. Without
        ``internal_allowed`` the tier is ``release`` and the minimum cell the default, whatever
        ``params`` say; with it, the tier is ``default_tier`` unless ``params`` name one."""

        def text(key: str) -> str | None:
            value = params.get(key, "").strip()
            return value or None

        tier = text("tier") or (default_tier if internal_allowed else RELEASE)
        if tier not in TIERS:
            raise InvalidInputError(
                _("'{tier}' is not a tier: use internal or release.").format(tier=tier)
            )
        min_cell = _integer(text("min_cell"), "min_cell", disclosure.DEFAULT_MIN_CELL)
        if not internal_allowed:
            tier, min_cell = RELEASE, disclosure.DEFAULT_MIN_CELL
        return cls(
            tier=tier,
            period=_period(text("period"), text("from"), text("to")),
            by=text("by"),
            country=text("country"),
            admin1=text("admin1"),
            min_cell=min_cell,
            distance_km=_decimal(text("km"), "km", NEXUS_KM),
            days=_integer(text("days"), "days", NEXUS_DAYS),
        )

    def to_query(self) -> dict[str, str]:
        """The parameters that ask for this request again (for links and downloads)."""
        out = {"tier": self.tier}
        for key, value in (
            ("period", self.period),
            ("by", self.by),
            ("country", self.country),
            ("admin1", self.admin1),
        ):
            if value:
                out[key] = value
        if self.tier == RELEASE and self.min_cell != disclosure.DEFAULT_MIN_CELL:
            out["min_cell"] = str(self.min_cell)
        if self.distance_km != NEXUS_KM:
            out["km"] = f"{self.distance_km:g}"
        if self.days != NEXUS_DAYS:
            out["days"] = str(self.days)
        return out

    def for_report(self) -> IndicatorQuery:
        """The same request without ``by``: each indicator of a report uses its own default."""
        return IndicatorQuery(
            self.tier,
            self.period,
            None,
            self.country,
            self.admin1,
            self.min_cell,
            self.distance_km,
            self.days,
        )


def _integer(text: str | None, key: str, default: int) -> int:
    return int(_decimal(text, key, default, whole=True))


def _decimal(text: str | None, key: str, default: float, *, whole: bool = False) -> float:
    if text is None:
        return default
    try:
        number = int(text) if whole else float(text)
        if not math.isfinite(number):
            raise ValueError(text)
        return number
    except ValueError:
        raise InvalidInputError(
            _("'{value}' is not a number: give {key} as a number.").format(value=text, key=key)
        ) from None


def _period(period: str | None, first: str | None, last: str | None) -> str | None:
    """The period asked: ``period`` as the CLI's ``--period``, or ``from``/``to`` when they
    cover exactly one year, quarter, month or day (indicators are computed per calendar
    period)."""
    if period is not None or (first is None and last is None):
        return period
    start = Period.parse(first or last or "").first
    end = Period.parse(last or first or "").last
    for kind_text in (
        f"{start.year:04d}",
        f"{start.year:04d}-Q{(start.month - 1) // 3 + 1}",
        f"{start.year:04d}-{start.month:02d}",
        start.isoformat(),
    ):
        candidate = Period.parse(kind_text)
        if candidate.first == start and candidate.last == end:
            return candidate.label
    raise InvalidInputError(
        _(
            "Indicators are computed for one year, quarter or month: give from and to within "
            "one (from=2026-Q1&to=2026-Q1) or give period=2026-Q1."
        )
    )


@dataclass(frozen=True)
class Cell:
    text: str
    withheld: bool = False
    numeric: bool = False


@dataclass(frozen=True)
class IndicatorView:
    """Everything an indicator's page shows."""

    indicator: Indicator
    query: IndicatorQuery
    output: Output
    statement: tuple[tuple[str, str], ...]
    """What the figures are: indicator, source, unit, tier, period, filters, what was withheld
    (the CLI's header)."""
    notes: tuple[str, ...]
    headings: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    chart: dict[str, Any]


def catalogue() -> tuple[Indicator, ...]:
    return service.list_indicators()


def compute(repository: Repository, indicator_id: str, query: IndicatorQuery) -> Output:
    """The indicator for this request, by the CLI's use case: its counts are computed once per
    state of the repository (:mod:`fieldkit.hq.workspace.indicator_cache`) and laid out in the
    request's tier each time."""
    plan = service.plan(
        indicator_id,
        period=query.period,
        by=query.by,
        country=query.country,
        admin1=query.admin1,
        tier=query.tier,
        min_cell=query.min_cell,
        distance_km=query.distance_km,
        days=query.days,
    )
    counts = indicator_cache.counts(
        repository, plan.indicator.id, plan.request, lambda: service.count(repository, plan)
    )
    return service.laid_out(plan, counts)


def view(repository: Repository, indicator_id: str, query: IndicatorQuery) -> IndicatorView:
    return view_of(query, compute(repository, indicator_id, query))


def report(repository: Repository, query: IndicatorQuery) -> tuple[IndicatorView, ...]:
    """Every indicator, each broken down by its own default dimensions."""
    chosen = query.for_report()
    return tuple(view(repository, found.id, chosen) for found in catalogue())


def csv_of(output: Output) -> str:
    """The CSV the CLI writes (``--format csv``): header lines, then the table's cells."""
    return render.as_csv(output)


def json_of(output: Output) -> dict[str, Any]:
    """The JSON the CLI writes (``--format json``)."""
    return render.as_json(output)


def view_of(query: IndicatorQuery, output: Output) -> IndicatorView:
    codes = render.columns(output)
    keys = len(output.row_dims)
    rows = []
    for line in render.rows(output):
        cells = []
        for index, text in enumerate(line):
            if index < keys:
                cells.append(Cell(labels.value(text) if text != render.TOTAL else _("Total")))
            elif text == render.WITHHELD:
                cells.append(Cell(labels.withheld(), withheld=True, numeric=True))
            else:
                cells.append(Cell(text, numeric=True))
        rows.append(tuple(cells))
    statement = tuple(
        (label, labels.tier(output.tier) if label == _("tier") else text)
        for label, text in render.header(output)
    )
    return IndicatorView(
        indicator=output.indicator,
        query=query,
        output=output,
        statement=statement,
        notes=output.notes,
        headings=tuple(labels.name(code) for code in codes),
        rows=tuple(rows),
        chart=charts.spec(output),
    )
