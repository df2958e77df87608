"""The region list of a ``subdivision_of`` field: filled from the country chosen, in the
interface language, sorted by name, filled again when the country changes; the viewer names the
region in the interface language."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from typing import Any

import pytest
from PySide6.QtWidgets import QApplication

from fieldkit.domain import places
from fieldkit.domain.forms import FormDefinition
from fieldkit.gui.forms.fields_subdivision import SubdivisionInput
from fieldkit.gui.forms.renderer import FormRenderer
from fieldkit.i18n import set_language
from tests.domain.test_subdivision_fields import ADMIN1, COUNTRY, f, make_form
from tests.gui.forms_support.driver import FormDriver

MALI = "iso3166-alpha3:2023:MLI"
NIGER = "iso3166-alpha3:2023:NER"


def _driver(qtbot: Any, form: FormDefinition, language: str = "en", **options: Any) -> FormDriver:
    set_language(language)
    renderer = FormRenderer(form, language, None, **options)
    qtbot.addWidget(renderer)
    renderer.show()
    return FormDriver(qtbot, renderer)


def _regions(d: FormDriver, path: str = "admin1") -> SubdivisionInput:
    field_input = d.input(path)
    assert isinstance(field_input, SubdivisionInput)
    return field_input


def _names(field_input: SubdivisionInput) -> list[str]:
    combo = field_input.combo
    assert combo is not None
    return [combo.itemText(i) for i in range(1, combo.count())]


def test_without_a_country_the_list_is_empty_and_says_why(qtbot: Any) -> None:
    d = _driver(qtbot, make_form())
    regions = _regions(d)
    assert regions.combo is not None
    assert _names(regions) == []
    assert not regions.combo.isEnabled()
    line = regions.combo.lineEdit()
    assert line is not None and line.placeholderText() == "Choose the country first"
    assert regions.raw_value() is None


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", ["Agadez", "Diffa", "Dosso", "Maradi", "Niamey", "Tahoua", "Tillabéri", "Zinder"]),
        ("fr", ["Agadès", "Diffa", "Dosso", "Maradi", "Niamey", "Tahoua", "Tillabéri", "Zinder"]),
    ],
)
def test_choosing_a_country_fills_its_regions_by_name_in_the_interface_language(
    qtbot: Any, language: str, expected: list[str]
) -> None:
    d = _driver(qtbot, make_form(), language)
    d.choose("country", "NER")
    regions = _regions(d)
    assert regions.combo is not None and regions.combo.isEnabled()
    assert _names(regions) == expected
    line = regions.combo.lineEdit()
    assert line is not None and line.placeholderText() != "Choose the country first"


def test_regions_sort_with_accents_aside(qtbot: Any) -> None:
    d = _driver(qtbot, make_form())
    d.choose("country", "MLI")
    names = _names(_regions(d))
    assert len(names) == 11
    assert names.index("Ségou") < names.index("Sikasso") < names.index("Taoudénit")


@pytest.mark.parametrize("typed", ["tillaberi", "TILLABERI", "Tillabéri", "NE-6", "llab"])
def test_a_typed_name_is_matched_accents_and_case_aside(qtbot: Any, typed: str) -> None:
    d = _driver(qtbot, make_form())
    d.choose("country", "NER")
    d.choose_region("admin1", typed)
    assert _regions(d).raw_value() == places.stored_subdivision("NE-6")
    assert d.renderer.data() == {"country": NIGER, "admin1": places.stored_subdivision("NE-6")}
    assert d.renderer.outcome.ok


def test_a_typed_name_that_is_no_region_goes_back(qtbot: Any) -> None:
    d = _driver(qtbot, make_form())
    d.choose("country", "NER")
    d.choose("admin1", "NE-6")
    d.choose_region("admin1", "Gao")  # a region of Mali
    assert _regions(d).raw_value() == places.stored_subdivision("NE-6")


def test_changing_the_country_refills_and_drops_a_region_that_no_longer_fits(
    qtbot: Any,
) -> None:
    d = _driver(qtbot, make_form())
    d.choose("country", "MLI")
    d.choose("admin1", "ML-7")
    assert d.renderer.data()["admin1"] == places.stored_subdivision("ML-7")
    changes: list[bool] = []
    d.renderer.changed.connect(lambda: changes.append(True))
    d.choose("country", "NER")
    qtbot.waitUntil(lambda: "admin1" not in d.renderer.outcome.data)
    assert len(changes) == 2  # the country, then the region dropped (the draft is saved again)
    regions = _regions(d)
    assert "Tillabéri" in _names(regions) and "Gao" not in _names(regions)
    assert regions.raw_value() is None
    assert d.renderer.outcome.ok, d.renderer.outcome.problems
    assert d.error("admin1") == ""


def test_other_changes_keep_the_region_and_its_list(qtbot: Any) -> None:
    form = make_form(COUNTRY, ADMIN1, f("notes"))
    d = _driver(qtbot, form)
    d.choose("country", "MLI")
    d.choose("admin1", "ML-BKO")
    d.type("notes", "market day")
    QApplication.processEvents()
    regions = _regions(d)
    assert regions.raw_value() == places.stored_subdivision("ML-BKO")
    assert regions.combo is not None and regions.combo.currentText() == "Bamako"
    assert len(_names(regions)) == 11


def test_clearing_the_country_empties_the_list(qtbot: Any) -> None:
    d = _driver(qtbot, make_form())
    d.choose("country", "MLI")
    d.choose("admin1", "ML-7")
    country = d.input("country")
    combo = getattr(country, "combo", None)
    assert combo is not None
    combo.setCurrentIndex(0)
    qtbot.waitUntil(lambda: "admin1" not in d.renderer.outcome.data)
    regions = _regions(d)
    assert _names(regions) == []
    assert regions.combo is not None and not regions.combo.isEnabled()


def test_a_stored_record_shows_its_region(qtbot: Any) -> None:
    d = _driver(qtbot, make_form(), "fr")
    d.renderer.set_data({"country": NIGER, "admin1": places.stored_subdivision("NE-1")})
    regions = _regions(d)
    assert regions.combo is not None and regions.combo.currentText() == "Agadès"
    assert regions.raw_value() == places.stored_subdivision("NE-1")
    assert d.renderer.outcome.ok


def test_a_stored_region_of_another_country_is_kept_with_a_clear_problem(qtbot: Any) -> None:
    d = _driver(qtbot, make_form())
    d.renderer.set_data({"country": NIGER, "admin1": places.stored_subdivision("ML-7")})
    QApplication.processEvents()
    regions = _regions(d)
    assert regions.raw_value() == places.stored_subdivision("ML-7")
    assert regions.combo is not None and regions.combo.currentText() == "Gao"
    d.renderer.show_all_problems()
    assert "'Gao' is not a region of Niger" in d.error("admin1")
    # Choosing a region of Niger settles it.
    d.choose("admin1", "NE-6")
    assert d.renderer.outcome.ok
    assert d.error("admin1") == ""


def test_regions_inside_entries_follow_the_country_around_them(qtbot: Any) -> None:
    form = make_form(COUNTRY, {"name": "visits", "type": "repeat", "fields": [ADMIN1]})
    d = _driver(qtbot, form)
    d.choose("country", "MLI")
    d.add_entry("visits")
    assert "Gao" in _names(_regions(d, "visits[1].admin1"))
    d.choose("visits[1].admin1", "ML-7")
    assert d.renderer.data()["visits"] == [{"admin1": places.stored_subdivision("ML-7")}]


@pytest.mark.parametrize(("language", "name"), [("en", "Agadez"), ("fr", "Agadès")])
def test_the_viewer_names_the_region_in_the_interface_language(
    qtbot: Any, language: str, name: str
) -> None:
    d = _driver(qtbot, make_form(), language, read_only=True)
    d.renderer.set_data({"country": NIGER, "admin1": places.stored_subdivision("NE-1")})
    regions = _regions(d)
    assert regions.display is not None and regions.combo is None
    assert regions.display.text() == name
    assert regions.display.isReadOnly()


def test_the_viewer_shows_a_region_of_another_country_as_stored(qtbot: Any) -> None:
    d = _driver(qtbot, make_form(), read_only=True)
    d.renderer.set_data({"country": MALI, "admin1": "iso3166-2:24.6.1:NE-6"})
    regions = _regions(d)
    assert regions.display is not None and regions.display.text() == "Tillabéri"
