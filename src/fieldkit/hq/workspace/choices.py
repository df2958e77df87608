"""What the records filter form offers (the records list and the map share it): forms, countries,
first-level places, review statuses and devices, named in the reader's language.

Nothing here scans records: forms and devices are the repository's (a few rows), countries the
ISO list, places those of the chosen country (or none until a country is chosen).
"""

from __future__ import annotations

from dataclasses import dataclass

from fieldkit.domain import places
from fieldkit.hq.analysis.filters import REVIEW_STATUSES
from fieldkit.hq.repository import Repository
from fieldkit.hq.workspace.filters import RecordFilters
from fieldkit.hq.workspace.labels import FormLabels, review_label

Choice = tuple[str, str]
"""(value, label)."""


@dataclass(frozen=True)
class FilterChoices:
    forms: list[Choice]
    countries: list[Choice]
    admin1: list[Choice]
    """The chosen country's first-level places; empty without a country."""
    reviews: list[Choice]
    devices: list[Choice]


def filter_choices(repository: Repository, filters: RecordFilters, language: str) -> FilterChoices:
    labels = FormLabels(repository)
    newest: dict[str, str] = {}
    for stored in repository.forms():
        newest[stored.form_id] = max(newest.get(stored.form_id, ""), stored.version)
    titled = [(form_id, labels.title(form_id, v, language)) for form_id, v in newest.items()]
    forms = sorted(titled, key=lambda choice: choice[1].casefold())
    country = filters.base.country
    admin1 = (
        [(s.code, s.local_name) for s in places.subdivisions(country, language)] if country else []
    )
    devices = sorted(
        ((device.key_id, device.name) for device in repository.devices()),
        key=lambda choice: choice[1].casefold(),
    )
    return FilterChoices(
        forms=forms,
        countries=places.countries(language),
        admin1=admin1,
        reviews=[(status, review_label(status)) for status in REVIEW_STATUSES],
        devices=devices,
    )


__all__ = ["Choice", "FilterChoices", "filter_choices"]
