"""fieldkit's own ``subdivision_of`` column in an XLSForm: a select_one of the regions of the
country answered in another question."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from fieldkit.domain import places
from fieldkit.domain.formfile import load_form, load_vocabulary
from fieldkit.domain.forms import ChoiceList
from fieldkit.domain.validation import check
from fieldkit.services.xlsform import XLSFormError, convert_xlsform
from tests.services.test_xlsform import write_csv, write_xlsx

VOCABULARIES = Path(__file__).parents[2] / "forms" / "vocabularies"


@cache
def countries() -> ChoiceList:
    return load_vocabulary((VOCABULARIES / "iso3166-alpha3.yaml").read_bytes(), "iso3166-alpha3")


def resolve(name: str, version: str | None) -> ChoiceList | None:
    return countries() if name == "iso3166-alpha3" else None


HEADER = ["type", "name", "label", "subdivision_of"]
COUNTRY = ["select_one iso3166-alpha3", "country", "Country"]


@pytest.mark.parametrize("list_name", ["iso3166-2", "regions"])
def test_the_column_makes_a_subdivision_field(tmp_path: Path, list_name: str) -> None:
    survey = [HEADER, COUNTRY, [f"select_one {list_name}", "admin1", "Region", "country"]]
    choices = [["list_name", "name", "label"], ["regions", "north", "North"]]
    conversion = convert_xlsform(
        write_xlsx(tmp_path / "x.xlsx", survey, choices), vocabularies=resolve
    )
    admin1 = conversion.form.field("admin1")
    assert admin1.subdivision_of == "country"
    assert admin1.choices is None
    assert "regions" not in conversion.form.choice_lists  # its list is not used
    assert not [d for d in conversion.dropped if d.name == "admin1"]
    assert load_form(conversion.to_yaml(), "x.yaml", resolve) == conversion.form
    outcome = check(conversion.form, {"country": "MLI", "admin1": "ML-7"})
    assert outcome.ok, outcome.problems
    assert outcome.data["admin1"] == places.stored_subdivision("ML-7")
    assert not check(conversion.form, {"country": "NER", "admin1": "ML-7"}).ok


def test_a_renamed_country_question_is_followed(tmp_path: Path) -> None:
    survey = [
        HEADER,
        ["select_one iso3166-alpha3", "pays-1", "Pays"],
        ["select_one iso3166-2", "admin1", "Région", "pays-1"],
    ]
    path = write_csv(tmp_path / "x.csv", survey)
    conversion = convert_xlsform(path, vocabularies=resolve)
    assert conversion.form.field("admin1").subdivision_of == "pays_1"


def test_on_other_questions_the_column_is_reported_and_left_out(tmp_path: Path) -> None:
    survey = [
        HEADER,
        COUNTRY,
        ["text", "place", "Place", "country"],
        ["select_multiple iso3166-alpha3", "transit", "Transit", "country"],
    ]
    conversion = convert_xlsform(write_xlsx(tmp_path / "x.xlsx", survey), vocabularies=resolve)
    for name in ("place", "transit"):
        assert conversion.form.field(name).subdivision_of is None
        (dropped,) = [d for d in conversion.dropped if d.name == name]
        assert "subdivision_of applies only to a select_one" in dropped.what


def test_a_country_question_that_is_no_country_list_is_an_error(tmp_path: Path) -> None:
    survey = [
        HEADER,
        ["text", "country", "Country"],
        ["select_one iso3166-2", "admin1", "Region", "country"],
    ]
    with pytest.raises(XLSFormError, match="not a select_one over iso3166-alpha3"):
        convert_xlsform(write_xlsx(tmp_path / "x.xlsx", survey), vocabularies=resolve)
