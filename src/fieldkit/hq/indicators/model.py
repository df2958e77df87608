"""The shapes indicators are computed in: what is asked, the counts a query returns, the output.

A query builder (``queries_*`` modules) returns :class:`Counts`: counts keyed by the values of
the row dimensions and by a column. The use case (:mod:`fieldkit.hq.indicators.service`) lays
them out as a grid, applies the tier's disclosure control and returns an :class:`Output`, which
:mod:`fieldkit.hq.indicators.render` writes as a table, CSV or JSON.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy.engine import Connection

from fieldkit.hq.analysis.filters import Filters, Period

INTERNAL = "internal"
RELEASE = "release"
TIERS = (INTERNAL, RELEASE)
UNKNOWN = "unknown"
"""The value of a dimension a record does not answer (or a date too vague for the bucket)."""


NEXUS_KM = 25.0
"""The violence nexus's default distance between an attack and a market observation."""
NEXUS_DAYS = 30
"""The violence nexus's default number of days between them."""


@dataclass(frozen=True)
class Request:
    """One computation: the period, the filters (the period's days and the place), the row
    dimensions, and the indicator's own settings."""

    period: Period
    filters: Filters
    by: tuple[str, ...]
    as_of: date
    """The day impunity is judged on (today, unless a test says otherwise)."""
    distance_km: float = NEXUS_KM
    days: int = NEXUS_DAYS


@dataclass
class Counts:
    """What a query returns: ``cells[(row key, column)] = count``.

    ``columns`` are the codes of the column dimension in order (one ``value`` column when the
    indicator has none); ``statistics`` an optional figure per row (a median) published only
    with its row; ``uncertain`` the units left out because their dates overlap the period
    without lying inside it.
    """

    columns: tuple[str, ...]
    cells: dict[tuple[tuple[str, ...], str], int] = field(default_factory=dict)
    statistics: dict[tuple[str, ...], float] = field(default_factory=dict)
    uncertain: int = 0
    not_evaluated: int = 0
    """Units the indicator could not judge (an attack without coordinates for the nexus)."""

    def add(self, key: tuple[str, ...], column: str, count: int = 1) -> None:
        self.cells[(key, column)] = self.cells.get((key, column), 0) + count


Builder = Callable[[Connection, Request], Counts]


@dataclass(frozen=True)
class Indicator:
    """One indicator's definition (all of them are in :mod:`.definitions`)."""

    id: str
    title: str
    """English, marked with ``N_``; translated when shown."""
    source: str
    unit: str
    """English, marked with ``N_``."""
    dimensions: tuple[str, ...]
    """The row dimensions ``--by`` may name."""
    default_by: tuple[str, ...]
    build: Builder
    column_dimension: str | None = None
    """The name of the indicator's own column dimension (None: one ``value`` column, and the
    last of two or more ``--by`` dimensions becomes the columns)."""
    row_totals: bool = True
    column_totals: bool = True
    grand_total: bool = True
    share_of: str | None = None
    """The column whose share of the row total is published as ``share``."""
    statistic: str | None = None
    """The name of the per-row statistic (``median_days``), if any."""
    change: tuple[str, str] | None = None
    """Two columns (before, after) whose difference is published as ``change``."""
    fixed_by: tuple[str, ...] = ()
    """Row dimensions always first (the quarter of a per-quarter indicator)."""


@dataclass(frozen=True)
class OutputRow:
    key: tuple[str, ...]
    values: tuple[int | None, ...]
    total: int | None
    share: float | None = None
    statistic: float | None = None
    change: int | None = None


@dataclass(frozen=True)
class Suppressed:
    """One withheld cell: its row key (None for the totals row), its column (None for the row
    total) and why (``primary``: a small count; ``secondary``: to protect one)."""

    row: tuple[str, ...] | None
    column: str | None
    reason: str


@dataclass(frozen=True)
class Output:
    indicator: Indicator
    tier: str
    period: str
    filters: dict[str, str]
    min_cell: int | None
    row_dims: tuple[str, ...]
    column_dim: str | None
    columns: tuple[str, ...]
    rows: tuple[OutputRow, ...]
    column_totals: tuple[int | None, ...] | None
    grand_total: int | None
    publishes_row_totals: bool
    suppressed: tuple[Suppressed, ...]
    notes: tuple[str, ...]
