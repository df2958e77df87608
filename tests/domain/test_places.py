"""ISO 3166-2 subdivisions from pycountry: lists, localised names, matching typed names."""

from __future__ import annotations

import gettext

import pycountry
import pytest

from fieldkit.domain import places
from fieldkit.domain.places import (
    SUBDIVISION_PREFIX,
    Subdivision,
    country_of,
    is_first_level_of,
    match_subdivision,
    normalise_place,
    short_code,
    stored_subdivision,
    subdivision,
    subdivisions,
)

MALI_REGIONS = {
    "ML-1": "Kayes",
    "ML-2": "Koulikoro",
    "ML-3": "Sikasso",
    "ML-4": "Ségou",
    "ML-5": "Mopti",
    "ML-6": "Tombouctou",
    "ML-7": "Gao",
    "ML-8": "Kidal",
    "ML-9": "Ménaka",
    "ML-10": "Taoudénit",
    "ML-BKO": "Bamako",
}


def test_mali_has_its_regions_and_bamako() -> None:
    found = subdivisions("MLI")
    assert {s.code: s.name for s in found} == MALI_REGIONS
    assert Subdivision(code="ML-7", name="Gao", local_name="Gao") in found


def test_alpha2_and_alpha3_give_the_same_list() -> None:
    assert subdivisions("ML") == subdivisions("MLI")
    assert subdivisions("mli") == subdivisions("MLI")
    assert subdivisions("iso3166-alpha3:2023:MLI") == subdivisions("MLI")


def test_only_first_level_subdivisions() -> None:
    french = {s.code for s in subdivisions("FRA")}
    assert "FR-ARA" in french  # a region
    assert "FR-75C" not in french  # Paris, a collectivity inside Île-de-France
    assert "FR-01" not in french  # Ain, a department inside a region
    assert all(s.code.startswith("FR-") for s in subdivisions("FRA"))


def test_sorted_by_localised_name_ignoring_accents_and_case() -> None:
    names = [s.local_name for s in subdivisions("MLI", "fr")]
    assert names == sorted(names, key=lambda n: normalise_place(n))
    # "Ségou" sorts among the S, not after "Z" as raw code points would put "é".
    assert names.index("Ségou") < names.index("Sikasso")


def test_french_names_come_from_the_catalogue() -> None:
    agadez = next(s for s in subdivisions("NER", "fr") if s.code == "NE-1")
    assert agadez.name == "Agadez"
    assert agadez.local_name == "Agadès"
    english = next(s for s in subdivisions("NER") if s.code == "NE-1")
    assert english.local_name == "Agadez"


def test_arabic_names_where_the_catalogue_has_them_else_iso_names() -> None:
    catalogue = gettext.translation(
        "iso3166-2", pycountry.LOCALES_DIR, languages=["ar"], fallback=True
    )
    for found in subdivisions("IRQ", "ar"):
        assert found.local_name == catalogue.gettext(found.name)
        assert found.local_name  # never empty: the ISO name when untranslated
    assert {s.local_name for s in subdivisions("MLI", "ar")} == set(MALI_REGIONS.values())


def test_unknown_country_has_no_subdivisions() -> None:
    assert subdivisions("XYZ") == []
    assert subdivisions("") == []


def test_subdivision_by_code_and_stored_answer() -> None:
    gao = subdivision("ML-7")
    assert gao == Subdivision("ML-7", "Gao", "Gao")
    assert subdivision(stored_subdivision("ML-7")) == gao
    assert subdivision("iso3166-2:1:ML-7") == gao
    assert subdivision("ML-99") is None
    agadez = subdivision("NE-1", "fr")
    assert agadez is not None and agadez.local_name == "Agadès"


def test_country_of() -> None:
    assert country_of("ML-7") == "MLI"
    assert country_of("NE-6") == "NER"
    assert country_of(stored_subdivision("BF-01")) == "BFA"
    assert subdivision("ML-7").country == "MLI"  # type: ignore[union-attr]
    with pytest.raises(ValueError, match="ISO 3166-2"):
        country_of("XX-1")


def test_stored_form_is_name_version_code() -> None:
    stored = stored_subdivision("ML-7")
    assert stored == f"iso3166-2:{places.SUBDIVISION_VERSION}:ML-7"
    assert stored.startswith(SUBDIVISION_PREFIX)
    assert short_code(stored) == "ML-7"
    assert short_code("ML-7") == "ML-7"
    assert places.is_stored_subdivision(stored)
    assert not places.is_stored_subdivision("ML-7")
    assert not places.is_stored_subdivision("iso3166-alpha3:2023:MLI")


def test_first_level_of_a_country() -> None:
    assert is_first_level_of("ML-7", "MLI")
    assert is_first_level_of(stored_subdivision("ML-7"), "ML")
    assert not is_first_level_of("NE-6", "MLI")
    assert not is_first_level_of("FR-01", "FRA")
    assert not is_first_level_of("ML-7", "XYZ")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Tillabéri", "tillaberi"),
        ("TILLABERI ", "tillaberi"),
        ("tillaberi", "tillaberi"),
        ("  Tombouctou\t(Timbuktu) ", "tombouctou timbuktu"),
        ("Saint-Louis", "saint louis"),
        ("Karbalā’", "karbala"),
        ("ＧＡＯ", "gao"),
        ("", ""),
    ],
)
def test_normalise_place(text: str, expected: str) -> None:
    assert normalise_place(text) == expected


@pytest.mark.parametrize(
    "text", ["Tillabéri", "Tillaberi", "TILLABERI", " tillaberi ", "NE-6", "6"]
)
def test_match_niger_tillaberi(text: str) -> None:
    assert match_subdivision("NER", text) == "NE-6"


def test_match_with_alpha2_and_french_names() -> None:
    assert match_subdivision("NE", "Tillaberi") == "NE-6"
    assert match_subdivision("NER", "Agadès") == "NE-1"
    assert match_subdivision("NER", "agadez") == "NE-1"
    assert match_subdivision("MLI", "ml-bko") == "ML-BKO"


def test_match_unknown_gives_none() -> None:
    assert match_subdivision("NER", "Gao") is None  # a region of Mali, not of Niger
    assert match_subdivision("NER", "somewhere") is None
    assert match_subdivision("NER", "") is None
    assert match_subdivision("XYZ", "Tillaberi") is None


def test_match_ambiguous_gives_none() -> None:
    # Maputo is both a province (MZ-L) and the capital city (MZ-MPM).
    assert {s.code for s in subdivisions("MOZ") if s.name.startswith("Maputo")} >= {
        "MZ-L",
        "MZ-MPM",
    }
    assert match_subdivision("MOZ", "Maputo") is None
    assert match_subdivision("MOZ", "MZ-MPM") == "MZ-MPM"


def test_match_shorter_spellings_of_inverted_or_bracketed_names() -> None:
    assert match_subdivision("ESP", "Madrid") == "ES-MD"
    assert match_subdivision("ESP", "Madrid, Comunidad de") == "ES-MD"
    assert match_subdivision("FRA", "Guyane") == "FR-973"
    # An exact name wins over a shorter spelling of another name: Sofia (BG-23) is a province,
    # "Sofia (stolitsa)" (BG-22) the capital.
    assert match_subdivision("BGR", "Sofia") == "BG-23"
    assert match_subdivision("BGR", "Sofia (stolitsa)") == "BG-22"
