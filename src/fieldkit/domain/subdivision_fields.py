"""Subdivision fields: a ``select_one`` answered with an ISO 3166-2 region of a country.

A field declared ``subdivision_of: country`` (on a select_one without ``choices``) takes its
choices from :mod:`fieldkit.domain.places`: the first-level subdivisions of the country answered
in field ``country``, itself a select_one over the ``iso3166-alpha3`` vocabulary. Like any
vocabulary answer it is stored as ``name:version:code`` (``iso3166-2:26.2.16:ML-7``), and
expressions see the short code (``ML-7``).

The field's choice list, as the rest of fieldkit sees it (normalising, labels, search), holds the
first-level subdivisions of every country; that the answer belongs to the country answered is a
rule between two answers, checked with the others (:func:`subdivision_problem`).
"""

from __future__ import annotations

from functools import lru_cache

from fieldkit.domain import places
from fieldkit.domain.forms import (
    Choice,
    ChoiceList,
    FieldDef,
    FieldType,
    FormDefinition,
    _field_rule,
)
from fieldkit.i18n import _

COUNTRY_VOCABULARY = "iso3166-alpha3"
"""The vocabulary a ``subdivision_of`` field's country field must use."""
LABEL_LANGUAGES = ("en", "fr", "ar")
"""Languages the subdivision names are given in (besides the form's own)."""


class SubdivisionList(ChoiceList):
    """The first-level ISO 3166-2 subdivisions of every country, as one vocabulary. A stored
    answer of an older version of the data keeps its meaning: its code is what follows the last
    ``:`` (the code itself is looked up regardless of case)."""

    def short_code(self, stored: str) -> str:
        if places.is_stored_subdivision(stored):
            return places.short_code(stored)
        return stored

    def find(self, value: str) -> Choice | None:
        return self.by_code.get(self.short_code(value).upper())


@lru_cache(maxsize=8)
def subdivision_list(languages: tuple[str, ...]) -> SubdivisionList:
    """The choice list of every ``subdivision_of`` field of a form in ``languages``: labels are
    the names in those languages and in English, French and Arabic (ISO names where pycountry
    has no translation)."""
    wanted = tuple(dict.fromkeys((*languages, *LABEL_LANGUAGES)))
    choices = [
        Choice(
            code=sub.code, label={lang: places.localised_name(sub.name, lang) for lang in wanted}
        )
        for sub in places.all_first_level()
    ]
    return SubdivisionList(
        name=places.SUBDIVISION_VOCABULARY,
        vocabulary=True,
        version=places.SUBDIVISION_VERSION,
        source="ISO 3166-2 first-level subdivisions (iso-codes, as shipped by pycountry)",
        choices=choices,
    )


def check_subdivision_fields(form: FormDefinition) -> None:
    """Refuse a ``subdivision_of`` that names no field, a field that is not a select_one over
    iso3166-alpha3, or one inside a repeat group that the subdivision field is not in (its
    answer would not be one country)."""
    by_name = form.index.by_name
    for name, field in by_name.items():
        country_name = field.subdivision_of
        if country_name is None:
            continue
        if places.SUBDIVISION_VOCABULARY in form.choice_lists:
            raise _field_rule(
                name,
                _(
                    "the choice list name '{list}' is kept for subdivision fields such as "
                    "'{name}': rename the form's own list"
                ).format(list=places.SUBDIVISION_VOCABULARY, name=name),
            )
        country = by_name.get(country_name)
        if country is None:
            raise _field_rule(
                name,
                _(
                    "field '{name}' is the subdivision of '{country}', which the form does not "
                    "have: name its country field"
                ).format(name=name, country=country_name),
            )
        if not _is_country_field(form, country):
            raise _field_rule(
                name,
                _(
                    "field '{name}' is the subdivision of '{country}', which is not a select_one "
                    "over {vocabulary}: name a country field"
                ).format(name=name, country=country_name, vocabulary=COUNTRY_VOCABULARY),
            )
        outer = form.scope_of(country_name)
        if form.scope_of(name)[: len(outer)] != outer:
            raise _field_rule(
                name,
                _(
                    "field '{name}' is the subdivision of '{country}', which sits in a repeat "
                    "group that '{name}' is not in: put both in the same entry"
                ).format(name=name, country=country_name),
            )


def _is_country_field(form: FormDefinition, field: FieldDef) -> bool:
    if field.type is not FieldType.SELECT_ONE or field.choices is None:
        return False
    choice_list = form.choice_lists.get(field.choices)
    return choice_list is not None and choice_list.name == COUNTRY_VOCABULARY


def subdivision_problem(
    form: FormDefinition, field: FieldDef, stored: str, country: str | None, language: str
) -> str | None:
    """What is wrong with subdivision answer ``stored`` when the country field's answer is
    ``country`` (its short code, None when unanswered); None when it fits."""
    code = places.short_code(stored)
    if country is not None and places.is_first_level_of(code, country):
        return None
    found = places.subdivision(code, language)
    region = found.local_name if found is not None else code
    if country is None:
        return _("'{region}' is chosen but no country is: choose the country first").format(
            region=region
        )
    country_field = form.field(field.subdivision_of or "")
    return _(
        "'{region}' is not a region of {country}: was the country changed? Choose the region again"
    ).format(region=region, country=form.choice_label(country_field, country, language))
