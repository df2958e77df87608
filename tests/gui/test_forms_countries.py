"""Lists of countries are sorted by name in the language of the interface (as the language sorts:
accents and case aside), not in the order of their ISO codes; the answer keeps the form's order."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from typing import Any

import pytest
from PySide6.QtCore import Qt

from fieldkit.gui.forms.fields_choice import SelectOneInput
from fieldkit.gui.forms.fields_multi import SelectMultipleInput
from fieldkit.gui.forms.renderer import FormRenderer
from fieldkit.i18n import set_language
from tests.domain.test_shipped_forms import form
from tests.gui.forms_support.driver import FormDriver

ARABIC_LETTERS = "ابتثجحخدذرزسشصضطظعغفقكلمنهوي"
ALEFS = str.maketrans("أإآ", "ااا")


def _driver(qtbot: Any, language: str) -> FormDriver:
    set_language(language)
    renderer = FormRenderer(form("illicit-market-observation"), language, None)
    qtbot.addWidget(renderer)
    return FormDriver(qtbot, renderer)


def _country_names(d: FormDriver) -> list[str]:
    country = d.input("country")
    assert isinstance(country, SelectOneInput) and country.combo is not None
    return [country.combo.itemText(i) for i in range(1, country.combo.count())]


def _in_order(names: list[str], *expected: str) -> None:
    positions = [names.index(name) for name in expected]
    assert positions == sorted(positions), list(zip(expected, positions, strict=True))


@pytest.mark.parametrize("language", ["en", "fr"])
def test_countries_sort_by_name_accents_and_case_aside(qtbot: Any, language: str) -> None:
    names = _country_names(_driver(qtbot, language))
    assert len(names) == 249
    assert names[0] == "Afghanistan" and names[-1] == "Zimbabwe"
    if language == "en":
        _in_order(names, "Afghanistan", "Åland Islands", "Albania", "Aruba", "Zambia")
    else:
        _in_order(names, "Égypte", "Émirats arabes unis", "Équateur", "Érythrée", "Espagne")
        _in_order(names, "Îles Caïmans", "Îles Cook", "Inde", "Irlande")


def test_countries_sort_in_the_order_of_the_arabic_alphabet(qtbot: Any) -> None:
    names = _country_names(_driver(qtbot, "ar"))
    firsts = [ARABIC_LETTERS.index(name.translate(ALEFS)[0]) for name in names]
    assert firsts == sorted(firsts)
    assert names[0].translate(ALEFS)[0] == "ا" and names[-1][0] == "و"


def test_a_multiple_choice_of_countries_is_sorted_but_stored_in_the_forms_order(
    qtbot: Any,
) -> None:
    d = _driver(qtbot, "fr")
    transit = d.input("route_transit")
    assert isinstance(transit, SelectMultipleInput) and transit.list is not None
    labels = [transit.list.item(row).text() for row in range(transit.list.count())]
    assert labels == _country_names(d)
    for name in ("Espagne", "Égypte"):
        transit.list.item(labels.index(name)).setCheckState(Qt.CheckState.Checked)
    assert transit.raw_value() == ["iso3166-alpha3:2023:EGY", "iso3166-alpha3:2023:ESP"]
