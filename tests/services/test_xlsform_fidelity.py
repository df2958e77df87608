"""XLSForms that are valid for ODK and KoboToolbox come into fieldkit: names fieldkit spells
otherwise, and loops over a choice list."""

from __future__ import annotations

from pathlib import Path

from fieldkit.domain.formfile import load_form
from fieldkit.domain.forms import FieldType
from fieldkit.services.forms import form_json
from fieldkit.services.xlsform import convert_xlsform
from tests.services.test_xlsform import write_xlsx

YES_NO = [["list_name", "name", "label"], ["yn", "y", "Yes"], ["yn", "n", "No"]]


def test_xml_names_are_mapped_and_keep_their_xlsform_name(tmp_path: Path) -> None:
    survey = [
        ["type", "name", "label", "relevant", "constraint"],
        ["text", "label-test", "Name"],
        ["text", "label_test", "Taken already"],
        ["integer", "victim.age", "Age", "${label-test} != ''", ". >= ${victim.age}"],
        ["begin group", "lieu-1", "Place"],
        ["text", "prénom", "First name", "${victim.age} > 10"],
        ["end group"],
        ["select_one yn or_other", "seen-it", "Seen?"],
        ["text", "ns:q", "Namespaced"],
    ]
    conversion = convert_xlsform(write_xlsx(tmp_path / "names.xlsx", survey, YES_NO))
    form = conversion.form
    names = {f.name: f.xlsform_name for _path, f in form.walk()}
    assert names == {
        "label_test_2": "label-test",
        "label_test": None,
        "victim_age": "victim.age",
        "lieu_1": "lieu-1",
        "prenom": "prénom",
        "seen_it": "seen-it",
        "seen_it_other": "seen-it_other",
        "ns_q": "ns:q",
    }
    assert form.field("victim_age").relevant == "${label_test_2} != ''"
    assert form.field("prenom").relevant == "${victim_age} > 10"
    assert form.field("seen_it_other").relevant == "selected(${seen_it}, 'other')"
    assert not [d for d in conversion.dropped if d.sheet == "survey"]
    reloaded = load_form(conversion.to_yaml().encode(), "names.yaml")
    assert reloaded.field("lieu_1").xlsform_name == "lieu-1"


def test_names_in_other_scripts_get_a_plain_name(tmp_path: Path) -> None:
    survey = [["type", "name", "label"], ["text", "الاسم", "Name"], ["text", "العمر", "Age"]]
    form = convert_xlsform(write_xlsx(tmp_path / "ar.xlsx", survey)).form
    assert [(f.name, f.xlsform_name) for _path, f in form.walk()] == [
        ("field", "الاسم"),
        ("field_2", "العمر"),
    ]


def test_names_longer_than_fieldkit_allows_are_shortened_apart(tmp_path: Path) -> None:
    long = "a_question_whose_name_goes_on_and_on_well_past_what_fieldkit_takes"
    survey = [["type", "name", "label"], ["text", long + "_1", "One"], ["text", long + "_2", "Two"]]
    form = convert_xlsform(write_xlsx(tmp_path / "long.xlsx", survey)).form
    names = [(f.name, f.xlsform_name) for _path, f in form.walk()]
    assert names == [(long[:64], long + "_1"), (long[:62] + "_2", long + "_2")]


def test_a_form_without_xlsform_names_keeps_its_json(tmp_path: Path) -> None:
    survey = [["type", "name", "label"], ["text", "plain", "Plain"]]
    form = convert_xlsform(write_xlsx(tmp_path / "plain.xlsx", survey)).form
    assert b"xlsform_name" not in form_json(form)
    assert form.field("plain").type is FieldType.TEXT


ANIMALS = [
    ["list_name", "name", "label::English (en)", "label::French (fr)"],
    ["animals", "cow", "Cows", "Vaches"],
    ["animals", "goat", "Goats", "Chèvres"],
    ["animals", "none", "None", "Aucun"],
]


def test_a_loop_over_a_choice_list_becomes_one_group_per_choice(tmp_path: Path) -> None:
    survey = [
        ["type", "name", "label::English (en)", "label::French (fr)", "relevant"],
        ["text", "who", "Who", "Qui"],
        ["begin loop over animals", "herd", "Animals", "Animaux", "${who} != ''"],
        ["integer", "count", "How many %(label)s?", "Combien de %(label)s ?"],
        ["text", "why", "Why %(name)s? (100%)", "Pourquoi ?", "${count} > 1"],
        ["end loop"],
    ]
    conversion = convert_xlsform(write_xlsx(tmp_path / "loop.xlsx", survey, ANIMALS))
    form = conversion.form
    herd = form.field("herd")
    assert herd.type is FieldType.GROUP and herd.relevant == "${who} != ''"
    assert [(g.name, g.xlsform_name, g.label) for g in herd.fields] == [
        ("herd_cow", "cow", {"en": "Cows", "fr": "Vaches"}),
        ("herd_goat", "goat", {"en": "Goats", "fr": "Chèvres"}),
    ]
    goat = form.field("count_goat")
    assert (goat.type, goat.xlsform_name) == (FieldType.INTEGER, "count")
    assert goat.label == {"en": "How many Goats?", "fr": "Combien de Chèvres ?"}
    assert form.field("why_cow").label["en"] == "Why cow? (100%)"
    assert form.field("why_cow").relevant == "${count_cow} > 1"
    assert not [d for d in conversion.dropped if d.sheet == "survey"]
    reloaded = load_form(conversion.to_yaml().encode(), "loop.yaml")
    assert [f.name for f in reloaded.field("herd_goat").fields] == ["count_goat", "why_goat"]


def test_a_loop_whose_fields_are_all_left_out_is_reported(tmp_path: Path) -> None:
    survey = [
        ["type", "name", "label", "calculation"],
        ["text", "who", "Who"],
        ["begin loop over animals", "herd", "Animals"],
        ["calculate", "c", "C", "1 + 1"],
        ["end loop"],
    ]
    conversion = convert_xlsform(write_xlsx(tmp_path / "empty.xlsx", survey, ANIMALS))
    assert [f.name for _path, f in conversion.form.walk()] == ["who"]
    reported = [d.describe() for d in conversion.dropped]
    assert any("(herd): the group was left out because none of its fields" in d for d in reported)
