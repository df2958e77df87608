"""The XLSForm importer: mapping, reports with row numbers, and hostile spreadsheets."""

from __future__ import annotations

import csv
import datetime as dt
import tempfile
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fieldkit.domain.formfile import load_form
from fieldkit.domain.forms import Choice, ChoiceList, FieldType
from fieldkit.domain.validation import check
from fieldkit.errors import FieldkitError
from fieldkit.services.xlsform import (
    MAX_FILE_BYTES,
    Conversion,
    Dropped,
    XLSFormError,
    convert_xlsform,
    language_code,
)

DATA = Path(__file__).resolve().parents[1] / "data" / "xlsform"
Rows = Sequence[Sequence[Any]]


def write_xlsx(
    path: Path,
    survey: Rows | None,
    choices: Rows | None = None,
    settings: Rows | None = None,
    other: dict[str, Rows] | None = None,
) -> Path:
    book = openpyxl.Workbook()
    book.remove(book.active)
    sheets = {"survey": survey, "choices": choices, "settings": settings, **(other or {})}
    for name, rows in sheets.items():
        if rows is None:
            continue
        page = book.create_sheet(name)
        for row in rows:
            page.append(list(row))
    book.save(path)
    return path


def write_csv(
    path: Path, survey: Rows, choices: Rows | None = None, settings: Rows | None = None
) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        for name, rows in (("survey", survey), ("choices", choices), ("settings", settings)):
            if rows is None:
                continue
            writer.writerow([name])
            for row in rows:
                writer.writerow(["", *row])
    return path


def rows_of(conversion: Conversion) -> dict[str | None, list[int | None]]:
    found: dict[str | None, list[int | None]] = {}
    for item in conversion.dropped:
        found.setdefault(item.name, []).append(item.row)
    return found


def reloaded(conversion: Conversion) -> Any:
    return load_form(conversion.to_yaml(), "converted.yaml")


# -- a realistic ODK form -------------------------------------------------------------------------

HEADER = [
    "type",
    "name",
    "label::English (en)",
    "label::Français (fr)",
    "label::العربية (ar)",
    "hint::English (en)",
    "required",
    "relevant",
    "constraint",
    "constraint_message::English (en)",
    "constraint_message::Français (fr)",
    "default",
    "appearance",
    "calculation",
]


COLUMN_ALIASES = {
    "hint": "hint::English (en)",
    "message_en": "constraint_message::English (en)",
    "message_fr": "constraint_message::Français (fr)",
}


def row(
    type_: str, name: str = "", en: str = "", fr: str = "", ar: str = "", **columns: str
) -> list[str]:
    """One survey row under HEADER; other columns by keyword."""
    cells = dict.fromkeys(HEADER, "")
    cells.update({"type": type_, "name": name, "label::English (en)": en})
    cells.update({"label::Français (fr)": fr, "label::العربية (ar)": ar})
    for key, value in columns.items():
        cells[COLUMN_ALIASES.get(key, key)] = value
    return [cells[h] for h in HEADER]


INCIDENT_SURVEY: list[list[str]] = [
    HEADER,
    row("start", "start"),  # 2
    row("end", "end"),  # 3
    row("deviceid", "deviceid"),  # 4
    [],  # 5: an empty row still counts
    row("begin group", "incident", "Incident", "Incident", "الحادث"),  # 6
    row(
        "date",
        "incident_date",
        "Date of the incident",
        "Date de l'incident",
        "تاريخ الحادث",
        required="yes",
        constraint=". <= today()",
        message_en="Not in the future",
        message_fr="Pas dans le futur",
        default="today()",
    ),  # 7
    row("select_one incident_type", "incident_type", "Type", "Type", "النوع", required="TRUE"),
    row(
        "text",
        "incident_type_other",
        "Other type",
        "Autre type",
        "نوع آخر",
        required="yes",
        relevant="${incident_type} = 'other'",
    ),  # 9
    row(
        "text",
        "description",
        "Description",
        "Description",
        "الوصف",
        appearance="multiline",
        hint="What happened",
    ),  # 10
    row("geopoint", "location", "Location", "Lieu", "الموقع"),  # 11
    row("end group"),  # 12
    row(
        "integer",
        "victim_count",
        "Number of victims",
        "Nombre de victimes",
        "عدد الضحايا",
        required="yes",
        constraint=". >= 0 and . <= 500",
        message_en="0 to 500",
    ),  # 13
    row(
        "begin repeat", "victims", "Victims", "Victimes", "الضحايا", relevant="${victim_count} > 0"
    ),  # 14
    row("text", "victim_name", "Name", "Nom", "الاسم"),  # 15
    row("integer", "victim_age", "Age", "Âge", "العمر", constraint=". >= 0 and . < 120"),  # 16
    row("select_multiple harm", "harm", "Harm", "Préjudice", "الضرر"),  # 17
    row("begin repeat", "statements", "Statements", "Déclarations", "الإفادات"),  # 18
    row("date", "statement_date", "Date", "Date", "التاريخ"),  # 19
    row("text", "statement_text", "Statement", "Déclaration", "الإفادة", appearance="multiline"),
    row("end repeat"),  # 21
    row("end repeat"),  # 22
    row(
        "decimal",
        "amount",
        "Amount (USD)",
        "Montant (USD)",
        "المبلغ",
        constraint=". >= 0",
        default="0",
    ),  # 23
    row("image", "photo", "Photo", "Photo", "صورة"),  # 24
    row("calculate", "total", calculation="${victim_count} * 2"),  # 25
    row("text", "remark", "Remark", "Remarque", "ملاحظة", relevant="${total} > 4"),  # 26
    row("note", "thanks", "Thank you", "Merci", "شكرا"),  # 27
]
INCIDENT_CHOICES = [
    ["list_name", "name", "label::English (en)", "label::Français (fr)", "label::العربية (ar)"],
    ["incident_type", "attack", "Attack", "Attaque", "هجوم"],
    ["incident_type", "trafficking", "Trafficking", "Traite", "اتجار"],
    ["incident_type", "other", "Other", "Autre", "أخرى"],
    ["harm", "physical", "Physical", "Physique", "جسدي"],
    ["harm", "psychological", "Psychological", "Psychologique", "نفسي"],
    ["harm", "economic", "Economic", "Économique", "اقتصادي"],
]
INCIDENT_SETTINGS = [
    ["form_title", "form_id", "version", "default_language"],
    ["Incident report", "incident_report", "2024031501", "English (en)"],
]


@pytest.fixture
def incident(tmp_path: Path) -> Conversion:
    path = write_xlsx(
        tmp_path / "incident.xlsx", INCIDENT_SURVEY, INCIDENT_CHOICES, INCIDENT_SETTINGS
    )
    return convert_xlsform(path)


def test_realistic_form_converts_with_languages_groups_and_nested_repeats(
    incident: Conversion,
) -> None:
    form = incident.form
    assert (form.id, form.version, form.title) == (
        "incident_report",
        "2024031501",
        {"en": "Incident report"},
    )
    assert form.languages == ["en", "fr", "ar"]
    assert [f.name for f in form.fields] == [
        "incident",
        "victim_count",
        "victims",
        "amount",
        "photo",
        "remark",
        "thanks",
    ]
    incident_group = form.field("incident")
    assert incident_group.type is FieldType.GROUP
    assert [f.name for f in incident_group.fields] == [
        "incident_date",
        "incident_type",
        "incident_type_other",
        "description",
        "location",
    ]
    victims = form.field("victims")
    assert victims.type is FieldType.REPEAT
    assert victims.relevant == "${victim_count} > 0"
    assert form.field("statements").type is FieldType.REPEAT
    assert form.scope_of("statement_text") == ("victims", "statements")
    assert form.field("description").type is FieldType.LONG_TEXT
    assert form.field("statement_text").type is FieldType.LONG_TEXT
    assert form.field("description").hint == {"en": "What happened"}
    assert form.field("photo").type is FieldType.ATTACHMENT
    assert form.field("photo").max_files == 1
    assert form.field("location").type is FieldType.GEOPOINT
    assert form.field("thanks").type is FieldType.NOTE
    date = form.field("incident_date")
    assert date.label == {
        "en": "Date of the incident",
        "fr": "Date de l'incident",
        "ar": "تاريخ الحادث",
    }
    assert date.required is True
    assert date.constraint == ". <= today()"
    assert date.constraint_message == {"en": "Not in the future", "fr": "Pas dans le futur"}
    assert date.default == "=today()"
    assert form.field("amount").default == 0
    assert form.field("incident_type").required is True
    assert form.field("incident_type_other").relevant == "${incident_type} = 'other'"
    assert form.field("harm").type is FieldType.SELECT_MULTIPLE
    harm = form.choice_list_for(form.field("harm"))
    assert [c.code for c in harm.choices] == ["physical", "psychological", "economic"]
    assert harm.choices[2].label == {"en": "Economic", "fr": "Économique", "ar": "اقتصادي"}
    assert all(f.sensitivity.value == "restricted" for _p, f in form.walk())


def test_yaml_round_trip_gives_an_equal_form(incident: Conversion) -> None:
    text = incident.to_yaml()
    assert reloaded(incident) == incident.form
    assert text.startswith("# ")
    assert "restricted" in text.split("fieldkit_form:")[0]  # the review advice is in the header
    assert "fieldkit_form: 1" in text
    assert incident.form_data["fields"][0]["name"] == "incident"


def test_dropped_items_carry_the_spreadsheet_rows(incident: Conversion) -> None:
    rows = rows_of(incident)
    assert rows["start"] == [2]
    assert rows["end"] == [3]
    assert rows["deviceid"] == [4]
    assert rows["total"] == [25]
    assert rows["remark"] == [26]
    assert all(item.sheet == "survey" for item in incident.dropped)
    (remark,) = [d for d in incident.dropped if d.name == "remark"]
    assert "${total} was left out" in remark.what
    assert incident.form.field("remark").relevant is None
    (start,) = [d for d in incident.dropped if d.name == "start"]
    assert "timestamps and device signature" in start.what
    header = incident.to_yaml().split("fieldkit_form:")[0]
    assert "survey, row 25 (total): calculated fields are not supported" in header


def test_a_valid_record_passes_and_broken_ones_fail(incident: Conversion) -> None:
    form = incident.form
    clock = lambda: dt.datetime(2024, 6, 1, 12, tzinfo=dt.UTC)  # noqa: E731
    record = {
        "incident_date": "2024-03-01",
        "incident_type": "other",
        "incident_type_other": "extortion",
        "description": "Two men\nthreatened the shop owner.",
        "location": {"lat": 12.5, "lon": -1.5},
        "victim_count": 2,
        "victims": [
            {
                "victim_name": "A",
                "victim_age": 30,
                "harm": ["physical", "economic"],
                "statements": [{"statement_date": "2024-03-02", "statement_text": "..."}],
            },
            {"victim_name": "B", "victim_age": 41},
        ],
        "amount": 10.5,
        "remark": "none",
    }
    outcome = check(form, record, clock=clock)
    assert outcome.ok, outcome.problems
    broken = {**record, "victims": [{"victim_age": 150}], "incident_date": "2025-01-01"}
    broken["victim_count"] = 600
    problems = {(p.path, p.rule) for p in check(form, broken, clock=clock).problems}
    assert problems == {
        ("victims[1].victim_age", "constraint"),
        ("incident_date", "constraint"),
        ("victim_count", "constraint"),
    }
    del broken["victim_count"]
    outcome = check(form, broken, clock=clock)
    assert ("victim_count", "required") in {(p.path, p.rule) for p in outcome.problems}
    assert "victims" not in outcome.data  # irrelevant without victims, so cleared
    other = check(form, {**record, "incident_type": "attack"}, clock=clock)
    assert other.ok and "incident_type_other" not in other.data


# -- static fixtures in three formats -------------------------------------------------------------


@pytest.mark.parametrize("name", ["simple.csv", "simple.xlsx", "simple.xls"])
def test_static_fixtures_convert_to_the_same_form(name: str) -> None:
    conversion = convert_xlsform(DATA / name)
    reference = convert_xlsform(DATA / "simple.xlsx")
    assert conversion.form == reference.form
    assert conversion.form.id == "simple_form"
    assert conversion.form.version == "3"
    assert conversion.form.languages == ["en", "fr"]
    assert reloaded(conversion) == conversion.form
    (start,) = conversion.dropped
    # A CSV's rows are its lines: 'survey' is line 1 and the header line 2.
    assert start.row == (3 if name.endswith(".csv") else 2)


# -- columns, types and settings ------------------------------------------------------------------


def test_translation_columns_map_to_language_codes(tmp_path: Path) -> None:
    # pyxform needs the column without a language before the translated ones.
    header = ["type", "name", "label", "label::Français", "label::es", "label::Swahili"]
    header += ["label::Klingon", "hint::Français"]
    survey = [
        header,
        ["text", "a", "Name", "Nom", "Nombre", "Jina", "pong", "Indice"],
        ["note", "n", "Note", "", "", "", "", ""],
    ]
    conversion = convert_xlsform(write_xlsx(tmp_path / "langs.xlsx", survey))
    form = conversion.form
    assert form.languages[0] == "en"  # a label column without a language, no default_language
    assert set(form.languages) == {"en", "fr", "es", "sw"}
    assert form.field("a").label == {"en": "Name", "fr": "Nom", "es": "Nombre", "sw": "Jina"}
    assert form.field("a").hint == {"fr": "Indice"}
    (klingon,) = [d for d in conversion.dropped if "Klingon" in d.what]
    assert (klingon.sheet, klingon.row) == ("survey", 1)


def test_default_language_setting_comes_first_and_unlabelled_questions_use_their_name(
    tmp_path: Path,
) -> None:
    survey = [
        ["type", "name", "label::English (en)", "label::French (fr)"],
        ["text", "a", "A", "A fr"],
        ["integer", "b", "B only in English", ""],
    ]
    settings = [["form_id", "default_language"], ["x", "French (fr)"]]
    conversion = convert_xlsform(write_xlsx(tmp_path / "x.xlsx", survey, settings=settings))
    assert conversion.form.languages == ["fr", "en"]
    assert conversion.form.field("b").label == {"en": "B only in English", "fr": "b"}
    assert rows_of(conversion)["b"] == [3]


def test_unknown_default_language_is_an_error_naming_the_settings_cell(tmp_path: Path) -> None:
    settings = [["form_id", "default_language"], ["x", "Klingon"]]
    path = write_xlsx(
        tmp_path / "x.xlsx", [["type", "name", "label"], ["text", "a", "A"]], settings=settings
    )
    with pytest.raises(XLSFormError) as caught:
        convert_xlsform(path)
    assert (caught.value.sheet, caught.value.row, caught.value.column) == (
        "settings",
        2,
        "default_language",
    )
    assert "French (fr)" in str(caught.value)


def test_dropped_types_columns_and_appearances_are_reported_once(tmp_path: Path) -> None:
    survey = [
        [
            "type",
            "name",
            "label",
            "appearance",
            "choice_filter",
            "read_only",
            "media::image",
            "required_message",
            "parameters",
            "designer_notes",
        ],
        ["time", "t", "Time"],
        ["range", "r", "Range", "", "", "", "", "", "start=1 end=5"],
        ["geotrace", "g", "Line"],
        ["barcode", "bc", "Code"],
        ["select_one_from_file places.csv", "place", "Place"],
        ["select_one l", "s", "S", "minimal", "${t} = 'x'", "yes", "s.png", "Say!", "", "todo"],
        ["select_one l", "s2", "S2", "minimal", "", "", "", "", "", "todo"],
        ["text", "ro", "RO", "", "", "yes"],
        ["username", "username"],
        ["text", "calc", "C", "", "", "", "", "", "", ""],
    ]
    choices = [["list_name", "name", "label", "region"], ["l", "x", "X", "north"], ["l", "y", "Y"]]
    conversion = convert_xlsform(write_xlsx(tmp_path / "drops.xlsx", survey, choices))
    rows = rows_of(conversion)
    assert rows["t"] == [2]
    assert rows["r"] == [3]
    assert rows["g"] == [4]
    assert rows["bc"] == [5]
    assert rows["place"] == [6]
    assert rows["username"] == [10]
    whats = {d.what for d in conversion.dropped if d.name == "s"}
    assert any("appearance 'minimal'" in w for w in whats)
    assert any("choice_filter" in w for w in whats)
    assert any("read_only" in w for w in whats)
    assert any("images, audio and video" in w for w in whats)
    assert any("required_message" in w for w in whats)
    assert any("designer_notes" in w for w in whats)
    # Once per distinct appearance and per unknown column, not again for s2.
    assert not [d for d in conversion.dropped if d.name == "s2"]
    assert rows["ro"] == [9]
    (region,) = [d for d in conversion.dropped if d.sheet == "choices"]
    assert (region.row, "region" in region.what) == (2, True)
    assert {f.name for _p, f in conversion.form.walk()} == {"s", "s2", "ro", "calc"}


def test_acknowledge_or_other_and_repeat_counts(tmp_path: Path) -> None:
    survey = [
        ["type", "name", "label", "repeat_count"],
        ["acknowledge", "seen", "I have read the consent"],
        ["select_one colour or_other", "colour", "Colour"],
        ["begin repeat", "three", "Three", "3"],
        ["text", "x", "X"],
        ["end repeat"],
        ["integer", "n", "N"],
        ["begin repeat", "counted", "Counted", "${n}"],
        ["text", "y", "Y"],
        ["end repeat"],
    ]
    choices = [["list_name", "name", "label"], ["colour", "red", "Red"]]
    conversion = convert_xlsform(write_xlsx(tmp_path / "x.xlsx", survey, choices))
    form = conversion.form
    seen = form.field("seen")
    assert seen.type is FieldType.SELECT_ONE
    assert [c.code for c in form.choice_list_for(seen).choices] == ["OK"]
    assert [c.code for c in form.choice_list_for(form.field("colour")).choices] == ["red", "other"]
    other = form.field("colour_other")
    assert (other.type, other.relevant) == (FieldType.TEXT, "selected(${colour}, 'other')")
    three = form.field("three")
    assert (three.min_count, three.max_count) == (3, 3)
    counted = form.field("counted")
    assert (counted.min_count, counted.max_count) == (0, None)
    assert any("repeat_count" in d.what for d in conversion.dropped if d.name == "counted")
    assert rows_of(conversion)["counted"] == [8]
    assert reloaded(conversion) == form


def test_odk_only_expressions_are_dropped_and_the_field_kept(tmp_path: Path) -> None:
    survey = [
        ["type", "name", "label", "relevant", "constraint", "required", "default"],
        ["integer", "age", "Age"],
        ["text", "a", "A", "pulldata('f', 'c', 'k', ${age})"],
        ["integer", "b", "B", "", ". > ../age"],
        ["text", "c", "C", "jr:choice-name(${age}, '${age}')"],
        ["text", "d", "D", "${age} >"],
        ["text", "e", "E", "", "", "${age} > 18"],
        ["integer", "f", "F", "", "", "", "position(..)"],
        ["integer", "g", "G", "", "", "", "12"],
        ["text", "h", "H", "once(today())"],
        ["text", "i", "I", ". = 'x'"],
        ["integer", "j", "J", "", "", "", "many"],
    ]
    conversion = convert_xlsform(write_xlsx(tmp_path / "x.xlsx", survey))
    form = conversion.form
    for name in "abcdfhi":
        assert form.field(name).relevant is None
        assert form.field(name).constraint is None
    assert form.field("e").required == "${age} > 18"
    assert form.field("g").default == 12
    assert form.field("f").default is None
    what = {d.name: d.what for d in conversion.dropped}
    assert "pulldata()" in what["a"]
    assert "../name" in what["b"]
    assert "jr:choice-name()" in what["c"]
    assert "column" in what["d"]  # the parser's message, with its column
    assert "position()" in what["f"]
    assert "once()" in what["h"]
    assert "'.'" in what["i"]
    assert form.field("j").default is None
    assert "whole number" in what["j"]  # fieldkit's own check of the static default
    assert rows_of(conversion)["d"] == [6]


def test_form_id_is_slugified_and_missing_settings_are_derived(tmp_path: Path) -> None:
    survey = [["type", "name", "label"], ["text", "a", "A"]]
    settings = [["form_id", "version", "form_title"], ["Incident Report 2024", "1 (draft)", "T"]]
    conversion = convert_xlsform(write_xlsx(tmp_path / "x.xlsx", survey, settings=settings))
    assert (conversion.form.id, conversion.form.version) == ("incident-report-2024", "1-draft")
    assert len([d for d in conversion.dropped if d.sheet == "settings" and d.row == 2]) == 2
    bare = convert_xlsform(write_xlsx(tmp_path / "Field Survey.xlsx", survey))
    assert (bare.form.id, bare.form.version, bare.form.title) == (
        "field-survey",
        "1",
        {"en": "field-survey"},
    )
    assert any("file name" in d.what for d in bare.dropped)


def test_a_vocabulary_fills_a_list_missing_from_the_choices_sheet(tmp_path: Path) -> None:
    market = ChoiceList(
        name="gitoc-market",
        vocabulary=True,
        version="2023",
        choices=[Choice(code="fauna_crimes", label={"en": "Fauna crimes"})],
    )

    def resolve(name: str, version: str | None) -> ChoiceList | None:
        return market if name == "gitoc-market" and version in (None, "2023") else None

    survey = [["type", "name", "label"], ["select_one gitoc-market", "market", "Market"]]
    path = write_xlsx(tmp_path / "x.xlsx", survey)
    conversion = convert_xlsform(path, vocabularies=resolve)
    assert conversion.form_data["vocabularies"] == {"gitoc-market": "2023"}
    assert conversion.form.choice_list_for(conversion.form.field("market")).vocabulary
    assert load_form(conversion.to_yaml(), "x.yaml", resolve) == conversion.form
    with pytest.raises(XLSFormError) as caught:
        convert_xlsform(path)  # without the vocabulary the list is missing
    assert "no 'choices' sheet" in str(caught.value)


def test_the_header_comment_cannot_be_broken_by_sheet_content(tmp_path: Path) -> None:
    survey = [["type", "name", "label", "notes\nfields: []"], ["text", "a", "A", "x"]]
    conversion = convert_xlsform(write_xlsx(tmp_path / "x.xlsx", survey))
    header = conversion.to_yaml().split("\n\n")[0]
    assert all(line.startswith("#") for line in header.splitlines())
    assert "the column 'notes fields' is not supported" in header
    assert reloaded(conversion) == conversion.form


def test_language_codes() -> None:
    assert language_code("French (fr)") == "fr"
    assert language_code("English (en-GB)") == "en-GB"
    assert language_code("Français") == "fr"
    assert language_code("العربية") == "ar"
    assert language_code("PT") == "pt"
    assert language_code("Klingon") is None


# -- broken and hostile input ---------------------------------------------------------------------


def raises(path: Path) -> XLSFormError:
    with pytest.raises(XLSFormError) as caught:
        convert_xlsform(path)
    error = caught.value
    assert isinstance(error, FieldkitError)
    assert "\n" not in error.user_message
    assert error.user_message.startswith(path.name)
    return error


def test_missing_survey_sheet(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "x.xlsx", None, [["list_name", "name", "label"]], [["form_id"], ["x"]]
    )
    error = raises(path)
    assert error.sheet == "survey"
    assert "sheet named 'survey'" in str(error)


def test_unknown_type_names_row_and_column(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "x.xlsx", [["type", "name"], ["text", "a"], ["txet", "b"]])
    error = raises(path)
    assert (error.sheet, error.row, error.column) == ("survey", 3, "type")
    assert "txet" in str(error) and "row 3" in str(error)


def test_unmatched_begin_and_end_group(tmp_path: Path) -> None:
    begin = write_xlsx(
        tmp_path / "b.xlsx",
        [
            ["type", "name", "label"],
            ["text", "a", "A"],
            ["begin group", "g", "G"],
            ["text", "b", "B"],
        ],
    )
    error = raises(begin)
    assert (error.sheet, error.row) == ("survey", 3)
    assert "begin_group" in str(error)
    end = write_xlsx(
        tmp_path / "e.xlsx", [["type", "name", "label"], ["text", "a", "A"], ["end group"]]
    )
    error = raises(end)
    assert (error.sheet, error.row) == ("survey", 3)
    assert "end_group" in str(error)


def test_list_missing_from_choices_sheet(tmp_path: Path) -> None:
    survey = [["type", "name", "label"], ["text", "a", "A"], ["select_one nowhere", "b", "B"]]
    path = write_xlsx(
        tmp_path / "x.xlsx", survey, [["list_name", "name", "label"], ["l", "x", "X"]]
    )
    error = raises(path)
    assert (error.sheet, error.row) == ("survey", 3)
    assert "nowhere" in str(error)


def test_duplicate_names_name_both_rows(tmp_path: Path) -> None:
    survey = [
        ["type", "name", "label"],
        ["begin group", "one", "One"],
        ["text", "name", "Name"],
        ["end group"],
        ["begin group", "two", "Two"],
        ["text", "name", "Name again"],
        ["end group"],
    ]
    error = raises(write_xlsx(tmp_path / "x.xlsx", survey))
    assert (error.sheet, error.row, error.column) == ("survey", 6, "name")
    assert "row 3 and in row 6" in str(error)


def test_names_xlsform_refuses_are_errors(tmp_path: Path) -> None:
    survey = [["type", "name", "label"], ["text", "victim-name", "Name"], ["text", "1x", "X"]]
    error = raises(write_xlsx(tmp_path / "x.xlsx", survey))
    assert (error.row, error.column) == (3, "name")
    assert "the 'name' value is not a valid XLSForm name" in str(error)


def test_bad_choice_name_names_the_choices_row(tmp_path: Path) -> None:
    survey = [["type", "name", "label"], ["select_one l", "s", "S"]]
    choices = [["list_name", "name", "label"], ["l", "ok", "OK"], ["l", "café", "Café"]]
    error = raises(write_xlsx(tmp_path / "x.xlsx", survey, choices))
    assert (error.sheet, error.row, error.column) == ("choices", 3, "name")


def test_duplicate_choice_names_name_the_choices_row(tmp_path: Path) -> None:
    survey = [["type", "name", "label"], ["select_one l", "s", "S"]]
    choices = [["list_name", "name", "label"], ["l", "x", "X"], ["m", "x", "X"], ["l", "x", "Y"]]
    error = raises(write_xlsx(tmp_path / "x.xlsx", survey, choices))
    assert (error.sheet, error.row) == ("choices", 4)


def test_pyxform_rows_are_translated_to_csv_lines(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text(
        "survey\n,type,name,label\n,text,a,A\n\n\n,select_one nowhere,b,B\n"
        "choices\n,list_name,name,label\n,l,x,X\n",
        encoding="utf-8",
    )
    error = raises(path)
    assert (error.sheet, error.row) == ("survey", 6)


def test_a_png_renamed_xlsx(tmp_path: Path) -> None:
    path = tmp_path / "photo.xlsx"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(200))
    assert "not an Excel workbook" in str(raises(path))


def test_an_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.xlsx"
    path.write_bytes(b"")
    assert "empty" in str(raises(path))


def test_a_file_over_the_size_cap_is_not_read(tmp_path: Path) -> None:
    path = tmp_path / "huge.csv"
    with path.open("wb") as handle:
        handle.truncate(MAX_FILE_BYTES + 1)
    assert "larger than 20 MiB" in str(raises(path))


def test_an_xlsx_that_expands_too_far(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "bomb.xlsx", [["type", "name", "label"], ["text", "a", "A"]])
    with (
        zipfile.ZipFile(path, "a", compression=zipfile.ZIP_DEFLATED) as archive,
        archive.open("xl/media/zeros.bin", "w", force_zip64=True) as member,
    ):
        chunk = bytes(1024 * 1024)
        for _ in range(101):
            member.write(chunk)
    assert path.stat().st_size < 2 * 1024 * 1024
    assert "more than 100 MiB" in str(raises(path))


def test_an_xlsx_declaring_xml_entities(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "laughs.xlsx", [["type", "name", "label"], ["text", "a", "A"]])
    evil = tmp_path / "evil.xlsx"
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(evil, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "xl/workbook.xml":
                data = b'<!DOCTYPE x [<!ENTITY a "aaaa">]>' + data
            target.writestr(item, data)
    assert "XML entities" in str(raises(evil))


def test_a_zip_that_is_not_a_workbook(tmp_path: Path) -> None:
    path = tmp_path / "x.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")
    assert "could not read this XLSForm" in str(raises(path))


def test_a_truncated_xlsx(tmp_path: Path) -> None:
    whole = write_xlsx(tmp_path / "whole.xlsx", [["type", "name", "label"], ["text", "a", "A"]])
    path = tmp_path / "cut.xlsx"
    path.write_bytes(whole.read_bytes()[:1500])
    assert "the .xlsx file is damaged" in str(raises(path))


def test_garbage_xls(tmp_path: Path) -> None:
    path = tmp_path / "x.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(range(256)) * 4)
    assert "could not read this XLSForm" in str(raises(path))


def test_csv_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes(b"survey\n,type,name,label\n,text,a,caf\xe9\n")
    error = raises(path)
    assert "not UTF-8" in str(error) and "byte 35" in str(error)


def test_csv_with_nul_bytes(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes(b"survey\n,type,name,label\n,text,a\x00,A\n")
    assert "line 3 contains a NUL" in str(raises(path))


def test_csv_with_content_before_any_sheet_name(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text(",type,name,label\n,text,a,A\n,text,b,B\n", encoding="utf-8")
    assert "could not read this XLSForm" in str(raises(path))


def test_a_utf8_bom_csv_is_read(tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    path.write_bytes("\ufeffsurvey\n,type,name,label\n,text,a,Å\n".encode())
    assert convert_xlsform(path).form.field("a").label == {"en": "Å"}


def test_nine_thousand_nested_groups_fail_cleanly(tmp_path: Path) -> None:
    book = openpyxl.Workbook(write_only=True)
    page = book.create_sheet("survey")
    page.append(["type", "name", "label"])
    for i in range(9_000):
        page.append(["begin group", f"g{i}", "G"])
    page.append(["text", "deep", "Deep"])
    for _i in range(9_000):
        page.append(["end group"])
    path = tmp_path / "deep.xlsx"
    book.save(path)
    error = raises(path)
    assert (error.sheet, error.row) == ("survey", 10)  # the ninth 'begin group'
    assert "nested more than 8 deep" in str(error)


def test_paths_are_only_read(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    write_xlsx(tmp_path / "form.xlsx", [["type", "name", "label"], ["text", "a", "A"]])
    before = sorted(p.name for p in tmp_path.rglob("*"))
    conversion = convert_xlsform(tmp_path / "sub" / ".." / "form.xlsx")
    assert conversion.form.field("a").label == {"en": "A"}
    assert sorted(p.name for p in tmp_path.rglob("*")) == before
    assert "no such file" in str(raises(Path("../x.xlsx")))
    with pytest.raises(XLSFormError, match="is a folder"):
        convert_xlsform(tmp_path / "sub")


def test_nothing_left_after_dropping_is_an_error(tmp_path: Path) -> None:
    survey = [["type", "name", "calculation"], ["start", "start"], ["calculate", "c", "1 + 1"]]
    error = raises(write_xlsx(tmp_path / "x.xlsx", survey))
    assert error.sheet == "survey"
    assert "none of the questions" in str(error)


def test_dropped_is_a_frozen_record() -> None:
    item = Dropped(row=4, sheet="survey", name="start", what="left out")
    assert item.describe() == "survey, row 4 (start): left out"
    with pytest.raises(AttributeError, match="cannot assign to field 'row'"):
        item.row = 5  # type: ignore[misc]


# -- whatever the sheet holds: a conversion or an XLSFormError ------------------------------------

TYPES = [
    "text",
    "integer",
    "decimal",
    "date",
    "select_one yn",
    "select_multiple yn",
    "select_one zz",
    "begin group",
    "end group",
    "begin repeat",
    "end repeat",
    "calculate",
    "note",
    "start",
    "geopoint",
    "acknowledge",
    "range",
    "time",
    "txet",
    "",
    "image",
    "select_one yn or_other",
]
NAMES = ["a", "b", "c", "g", "a-b", "1x", "", "yn_other"]
EXPRESSIONS = [
    "",
    "${a} = 'x'",
    "${zz} > 1",
    "pulldata('a')",
    "../a",
    "(((",
    ". > 1",
    "yes",
    "${g}",
]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(TYPES),
            st.sampled_from(NAMES),
            st.sampled_from(["", "Label", "Étiquette ${a}"]),
            st.sampled_from(EXPRESSIONS),
            st.sampled_from(EXPRESSIONS),
            st.sampled_from(["", "yes", "no", "${a} = 'y'", "3", "today()"]),
        ),
        min_size=1,
        max_size=12,
    )
)
def test_any_sheet_gives_a_conversion_or_an_xlsform_error(rows: list[tuple[str, ...]]) -> None:
    survey = [["type", "name", "label", "relevant", "constraint", "default"]]
    survey += [list(r) for r in rows]
    choices = [["list_name", "name", "label"], ["yn", "y", "Yes"], ["yn", "n", "No"]]
    with tempfile.TemporaryDirectory() as folder:
        path = write_csv(Path(folder) / "fuzz.csv", survey, choices)
        try:
            conversion = convert_xlsform(path)
        except XLSFormError as exc:
            assert exc.user_message.startswith("fuzz.csv: ")
            return
    assert reloaded(conversion) == conversion.form
    assert all(isinstance(d, Dropped) and d.what for d in conversion.dropped)
