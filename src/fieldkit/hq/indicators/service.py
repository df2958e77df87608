"""Use cases of the indicators (the ``fieldkit-hq indicators`` commands call these, and so will
the web workspace): list the definitions; compute one for a period, a place and dimensions, in
the ``internal`` tier (exact) or the ``release`` tier (disclosure control applied)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from fieldkit.hq.analysis.filters import Filters, Period
from fieldkit.hq.analysis.session import transaction
from fieldkit.hq.errors import InvalidInputError
from fieldkit.hq.indicators import disclosure
from fieldkit.hq.indicators.definitions import BY_ID, INDICATORS
from fieldkit.hq.indicators.model import (
    INTERNAL,
    NEXUS_DAYS,
    NEXUS_KM,
    RELEASE,
    TIERS,
    Counts,
    Indicator,
    Output,
    OutputRow,
    Request,
    Suppressed,
)
from fieldkit.hq.repository.base import Repository
from fieldkit.i18n import _, ngettext


def list_indicators() -> tuple[Indicator, ...]:
    return INDICATORS


def indicator(indicator_id: str) -> Indicator:
    found = BY_ID.get(indicator_id.strip())
    if found is None:
        raise InvalidInputError(
            _("'{id}' is not an indicator: use one of {ids} (fieldkit-hq indicators list).").format(
                id=indicator_id, ids=", ".join(BY_ID)
            )
        )
    return found


def parse_by(chosen: Indicator, text: str | None) -> tuple[str, ...]:
    """The ``--by`` dimensions (comma-separated), checked against the indicator's."""
    if text is None:
        return chosen.default_by
    names = tuple(part.strip() for part in text.split(",") if part.strip())
    for name in names:
        if name not in chosen.dimensions:
            allowed = ", ".join(chosen.dimensions) or _("none")
            raise InvalidInputError(
                _("{id} cannot be broken down by '{name}': use {allowed}.").format(
                    id=chosen.id, name=name, allowed=allowed
                )
            )
    if len(set(names)) != len(names):
        raise InvalidInputError(_("--by names a dimension twice: name each once."))
    return names


def show_indicator(
    repository: Repository,
    indicator_id: str,
    *,
    period: str | None = None,
    by: str | None = None,
    country: str | None = None,
    admin1: str | None = None,
    tier: str = INTERNAL,
    min_cell: int = disclosure.DEFAULT_MIN_CELL,
    distance_km: float = NEXUS_KM,
    days: int = NEXUS_DAYS,
    as_of: date | None = None,
) -> Output:
    """Compute ``indicator_id`` (see the module docstring); InvalidInputError (one translated
    line) for anything wrong in the request (:func:`plan`), before the database is read."""
    chosen = plan(
        indicator_id,
        period=period,
        by=by,
        country=country,
        admin1=admin1,
        tier=tier,
        min_cell=min_cell,
        distance_km=distance_km,
        days=days,
        as_of=as_of,
    )
    return laid_out(chosen, count(repository, chosen))


def plan(
    indicator_id: str,
    *,
    period: str | None = None,
    by: str | None = None,
    country: str | None = None,
    admin1: str | None = None,
    tier: str = INTERNAL,
    min_cell: int = disclosure.DEFAULT_MIN_CELL,
    distance_km: float = NEXUS_KM,
    days: int = NEXUS_DAYS,
    as_of: date | None = None,
) -> Plan:
    """The checked request; InvalidInputError (one translated line) for anything wrong in it."""
    chosen = indicator(indicator_id)
    if tier not in TIERS:
        raise InvalidInputError(
            _("'{tier}' is not a tier: use internal or release.").format(tier=tier)
        )
    if tier == RELEASE and min_cell < disclosure.LOWEST_MIN_CELL:
        raise InvalidInputError(
            _("A release needs --min-cell {lowest} or more (given {given}).").format(
                lowest=disclosure.LOWEST_MIN_CELL, given=min_cell
            )
        )
    if distance_km <= 0 or days < 0:
        raise InvalidInputError(_("--km must be above 0 and --days 0 or more."))
    today = as_of or datetime.now(UTC).date()
    chosen_period = Period.parse(period) if period else Period.parse(str(today.year))
    if tier == RELEASE and chosen_period.kind == "day":
        raise InvalidInputError(
            _(
                "A release covers a month at the shortest: give --period as 2026, 2026-Q1 "
                "or 2026-03."
            )
        )
    place = Filters.parse(country=country, admin1=admin1)
    filters = Filters.of_period(chosen_period, country=place.country, admin1=place.admin1)
    names = parse_by(chosen, by)
    return Plan(
        chosen, Request(chosen_period, filters, names, today, distance_km, days), tier, min_cell
    )


@dataclass(frozen=True)
class Plan:
    """A checked request: what to count (``request``, which alone determines the counts) and
    how to publish it (``tier``, ``min_cell``)."""

    indicator: Indicator
    request: Request
    tier: str
    min_cell: int


def count(repository: Repository, plan: Plan) -> Counts:
    """The plan's counts, read from the analysis tables (the costly part; the same for every
    tier)."""
    with transaction(repository) as conn:
        return plan.indicator.build(conn, plan.request)


def laid_out(plan: Plan, counts: Counts) -> Output:
    """``counts`` as the plan's tier publishes them (:func:`lay_out`); ``counts`` is not
    changed."""
    filters = plan.request.filters
    described = {
        name: value
        for name, value in (("country", filters.country), ("admin1", filters.admin1))
        if value
    }
    dims = (*plan.indicator.fixed_by, *plan.request.by)
    return lay_out(
        plan.indicator, counts, dims, plan.tier, plan.min_cell, plan.request.period, described
    )


def lay_out(
    chosen: Indicator,
    counts: Counts,
    dims: tuple[str, ...],
    tier: str,
    min_cell: int,
    period: Period,
    filters: dict[str, str],
) -> Output:
    """Counts as rows and columns, with the tier's disclosure control."""
    release = tier == RELEASE
    if release:
        counts = _coarsened(counts, dims)
    cells = dict(counts.cells)
    column_dim = chosen.column_dimension
    columns: tuple[str, ...] = counts.columns
    row_dims = dims
    if column_dim is None and len(dims) >= 2:
        column_dim, row_dims = dims[-1], dims[:-1]
        cells = {(key[:-1], key[-1]): n for (key, _c), n in counts.cells.items()}
        columns = tuple(sorted({column for (_k, column) in cells}))
    keys = sorted({key for (key, _c) in cells})
    values = tuple(tuple(cells.get((key, c), 0) for c in columns) for key in keys)
    grid = disclosure.Grid(values, chosen.row_totals, chosen.column_totals, chosen.grand_total)
    published = grid.cells()
    protection = disclosure.protect(grid, min_cell) if release else None
    withheld = protection.suppressed if protection else frozenset()

    def value(cell: disclosure.Cell) -> int | None:
        if cell not in published:
            return None
        return None if cell in withheld else published[cell]

    share_index = columns.index(chosen.share_of) if chosen.share_of in columns else None
    rows = []
    for i, key in enumerate(keys):
        shown = tuple(value((i, j)) for j in range(len(columns)))
        total = (
            value((i, None))
            if grid.publishes_row_totals()
            else (shown[0] if len(columns) == 1 else None)
        )
        share = None
        if share_index is not None:
            share = disclosure.share(shown[share_index], total)
        statistic = counts.statistics.get(key)
        if statistic is not None and (shown[0] is None or (release and (total or 0) < min_cell)):
            statistic = None
        change = None
        if chosen.change is not None:
            before, after = (shown[columns.index(c)] for c in chosen.change)
            change = None if before is None or after is None else after - before
        rows.append(OutputRow(key, shown, total, share, statistic, change))
    column_totals = None
    if grid.publishes_column_totals():
        column_totals = tuple(value((None, j)) for j in range(len(columns)))
    elif len(keys) == 1 and chosen.column_totals:
        column_totals = rows[0].values
    grand = value((None, None)) if grid.publishes_grand_total() else None
    if grand is None and len(columns) == 1 and column_totals is not None:
        grand = column_totals[0]
    suppressed = []
    if protection is not None:
        for cell in sorted(
            withheld, key=lambda c: (c[0] is None, c[0] or 0, c[1] is None, c[1] or 0)
        ):
            at_row, at_column = cell
            suppressed.append(
                Suppressed(
                    None if at_row is None else rows[at_row].key,
                    None if at_column is None else columns[at_column],
                    "primary" if cell in protection.primary else "secondary",
                )
            )
    return Output(
        indicator=chosen,
        tier=tier,
        period=period.label,
        filters=filters,
        min_cell=min_cell if release else None,
        row_dims=row_dims,
        column_dim=column_dim,
        columns=columns,
        rows=tuple(rows),
        column_totals=column_totals,
        grand_total=grand,
        publishes_row_totals=grid.publishes_row_totals(),
        suppressed=tuple(suppressed),
        notes=_notes(counts, release, min_cell),
    )


def _coarsened(counts: Counts, dims: tuple[str, ...]) -> Counts:
    """The release tier's counts: places at the first level, dates at the month at the finest
    (the dimensions are that coarse already; this holds whatever a query returns). A per-row
    statistic of rows merged here is dropped, not recomputed."""
    out = Counts(counts.columns, uncertain=counts.uncertain, not_evaluated=counts.not_evaluated)
    merged: dict[tuple[str, ...], int] = {}
    for (key, column), n in counts.cells.items():
        coarse = tuple(_coarse(d, str(v)) for d, v in zip(dims, key, strict=True))
        out.add(coarse, column, n)
        if column == counts.columns[0]:
            merged[coarse] = merged.get(coarse, 0) + 1
    for key, value in counts.statistics.items():
        coarse = tuple(_coarse(d, str(v)) for d, v in zip(dims, key, strict=True))
        if merged.get(coarse) == 1:
            out.statistics[coarse] = value
    return out


def _coarse(dimension: str, value: str) -> str:
    if dimension == "admin1":
        return disclosure.coarsen_place(value)
    if dimension == "month":
        return disclosure.coarsen_date(value)
    return value


def _uncertain_note(n: int, below: int | None) -> str:
    if below is not None:
        return _(
            "Fewer than {k} units are left out: their dates overlap the period but may lie "
            "outside it."
        ).format(k=below)
    return ngettext(
        "{n} unit is left out: its dates overlap the period but may lie outside it.",
        "{n} units are left out: their dates overlap the period but may lie outside it.",
        n,
    ).format(n=n)


def _unjudged_note(n: int, below: int | None) -> str:
    if below is not None:
        return _("Fewer than {k} units could not be judged (no coordinates).").format(k=below)
    return ngettext(
        "{n} unit could not be judged (no coordinates).",
        "{n} units could not be judged (no coordinates).",
        n,
    ).format(n=n)


def _notes(counts: Counts, release: bool, min_cell: int) -> tuple[str, ...]:
    """What was left out, as sentences; a small number is not published in a release."""
    notes = []
    for n, message in ((counts.uncertain, _uncertain_note), (counts.not_evaluated, _unjudged_note)):
        if n:
            small = release and disclosure.is_small(n, min_cell)
            notes.append(message(n, min_cell if small else None))
    return tuple(notes)
