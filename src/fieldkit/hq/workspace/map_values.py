"""Indicator values by place for the workspace map: one value per country or first-level place.

The values are the indicator's own (:func:`fieldkit.hq.indicators.service.show_indicator`,
broken down by ``country`` or ``admin1``), in the ``release`` tier for a viewer (small counts
and those that would give them away suppressed, places at the first level) and the
``internal`` tier for an analyst or an administrator. A suppressed value stays suppressed: the
map shows it as such, never as a number. Only indicators that give one figure per place can be
mapped (:func:`mappable_indicators`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fieldkit.domain.places import subdivision
from fieldkit.hq.errors import InvalidInputError
from fieldkit.hq.indicators.model import INTERNAL, RELEASE, UNKNOWN, Indicator, Output
from fieldkit.hq.indicators.service import indicator, list_indicators, show_indicator
from fieldkit.hq.repository.base import Repository
from fieldkit.hq.workspace.filters import RecordFilters, reads_restricted
from fieldkit.i18n import _, current_language

LEVELS = ("admin1", "country")


@dataclass(frozen=True)
class PlaceValue:
    place: str
    """An ISO 3166-2 first-level code (``ML-7``) or an alpha-3 country code (``MLI``)."""
    name: str
    value: int | None
    """None when the tier suppresses it."""


@dataclass(frozen=True)
class MapValues:
    indicator: str
    title: str
    unit: str
    tier: str
    period: str
    level: str
    values: tuple[PlaceValue, ...]
    unknown: int | None
    """Units without a place (None when suppressed or none)."""
    notes: tuple[str, ...]

    @property
    def suppressed(self) -> int:
        return sum(1 for value in self.values if value.value is None)

    @property
    def highest(self) -> int:
        return max((v.value for v in self.values if v.value is not None), default=0)


def mappable(chosen: Indicator) -> bool:
    """One figure per place: broken down by place, no fixed dimension before it, and a row
    total (or a single column) to show."""
    return (
        "admin1" in chosen.dimensions
        and "country" in chosen.dimensions
        and not chosen.fixed_by
        and (chosen.row_totals or chosen.column_dimension is None)
    )


def mappable_indicators() -> tuple[Indicator, ...]:
    return tuple(chosen for chosen in list_indicators() if mappable(chosen))


def tier_of(role: str) -> str:
    return INTERNAL if reads_restricted(role) else RELEASE


def map_values(
    repository: Repository,
    indicator_id: str,
    role: str,
    *,
    period: str | None = None,
    level: str = "admin1",
) -> MapValues:
    """``indicator_id``'s values by ``level`` for ``period`` (the current year without one),
    in the tier of ``role``; InvalidInputError (one line) for an indicator that cannot be
    mapped, an unknown level or a bad period."""
    chosen = indicator(indicator_id)
    if not mappable(chosen):
        names = ", ".join(i.id for i in mappable_indicators())
        raise InvalidInputError(
            _("{id} gives no single figure per place: map one of {ids}.").format(
                id=chosen.id, ids=names
            )
        )
    if level not in LEVELS:
        raise InvalidInputError(
            _("'{level}' is not a map level: use admin1 or country.").format(level=level)
        )
    tier = tier_of(role)
    output = show_indicator(repository, chosen.id, period=period, by=level, tier=tier)
    values, unknown = _by_place(output)
    return MapValues(
        indicator=chosen.id,
        title=_(chosen.title),
        unit=_(chosen.unit),
        tier=tier,
        period=output.period,
        level=level,
        values=values,
        unknown=unknown,
        notes=output.notes,
    )


def _by_place(output: Output) -> tuple[tuple[PlaceValue, ...], int | None]:
    language = current_language()
    values: list[PlaceValue] = []
    unknown = None
    for row in output.rows:
        (place,) = row.key
        value = row.total if output.publishes_row_totals else row.values[0]
        if place == UNKNOWN:
            unknown = value
            continue
        found = subdivision(place, language) if "-" in place else None
        values.append(PlaceValue(place, found.local_name if found else place, value))
    return tuple(values), unknown


@dataclass(frozen=True)
class MapPage:
    """What the map page's values form shows: the mappable indicators (id, title), the one
    chosen (None: no values layer), the period and the level."""

    choices: tuple[tuple[str, str], ...]
    indicator: str | None
    period: str | None
    level: str
    filters: RecordFilters

    @classmethod
    def of(cls, params: Mapping[str, str], filters: RecordFilters) -> MapPage:
        """The page's state from its query string (checked when the values are fetched)."""
        chosen = (params.get("indicator") or "").strip() or None
        level = (params.get("level") or "").strip()
        return cls(
            choices=tuple((i.id, _(i.title)) for i in mappable_indicators()),
            indicator=chosen,
            period=(params.get("period") or "").strip() or None,
            level=level if level in LEVELS else LEVELS[0],
            filters=filters,
        )

    def values_query(self) -> dict[str, str]:
        """The query of ``/map/values.json`` for the chosen indicator (empty without one)."""
        if self.indicator is None:
            return {}
        query = {"indicator": self.indicator, "level": self.level}
        if self.period:
            query["period"] = self.period
        return query

    def points_query(self) -> dict[str, str]:
        """The query of ``/map/points.geojson``: the records list's filters."""
        return self.filters.to_query()


def as_json(result: MapValues) -> dict[str, Any]:
    """The values as the map's script reads them (a suppressed value is null)."""
    return {
        "indicator": result.indicator,
        "title": result.title,
        "unit": result.unit,
        "tier": result.tier,
        "period": result.period,
        "level": result.level,
        "values": [
            {"place": v.place, "name": v.name, "value": v.value, "suppressed": v.value is None}
            for v in result.values
        ],
        "unknown": result.unknown,
        "suppressed": result.suppressed,
        "highest": result.highest,
        "notes": list(result.notes),
    }
