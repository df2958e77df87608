"""Tests for the strict form and vocabulary loader (fieldkit.domain.formfile).

The loader reads untrusted YAML ("a colleague's USB stick"): every hostile input must end in a
clear FormError naming the file (and, where there is one, the line, field, attribute and column),
and in nothing else: no RecursionError, no memory blow-up, no YAML-level exception.
"""

from __future__ import annotations

import json
import re
import string
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fieldkit.domain.formfile import (
    MAX_FORM_BYTES,
    MAX_YAML_DEPTH,
    FormError,
    FormProblem,
    form_from_data,
    load_form,
    load_vocabulary,
    read_yaml,
)
from fieldkit.domain.forms import (
    MAX_NESTING,
    MAX_REQUIRED_ENTRIES,
    ChoiceList,
    FieldType,
    FormDefinition,
)
from fieldkit.errors import InvalidInputError

HOSTILE = Path(__file__).resolve().parents[1] / "data" / "hostile"

# Five lines, so that the first line of a body is line 6 and `fields:` items start at line 7.
HEAD = "fieldkit_form: 1\nid: t\nversion: '1'\ntitle: {en: T}\nlanguages: [en]\n"
ONE_FIELD = "fields:\n  - {name: a, type: text, label: {en: A}}\n"

YES_NO = ChoiceList(
    name="yes-no",
    vocabulary=True,
    version="2",
    choices=[
        {"code": "yes", "label": {"en": "Yes"}},
        {"code": "no", "label": {"en": "No"}},
    ],
)


def resolver(name: str, version: str | None) -> ChoiceList | None:
    if name == YES_NO.name and version in (None, YES_NO.version):
        return YES_NO
    return None


def form_error(text: str | bytes, source: str = "f.yaml") -> FormError:
    with pytest.raises(FormError) as info:
        load_form(text, source, vocabularies=resolver)
    return info.value


def vocabulary_error(text: str | bytes, source: str = "v.yaml") -> FormError:
    with pytest.raises(FormError) as info:
        load_vocabulary(text, source)
    return info.value


def only_problem(error: FormError) -> FormProblem:
    assert len(error.problems) == 1, error.lines()
    return error.problems[0]


# -- FormProblem and FormError ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("problem", "expected"),
    [
        (FormProblem("boom"), "f.yaml: boom"),
        (FormProblem("boom", line=3), "f.yaml:3: boom"),
        (FormProblem("boom", line=3, field="age"), "f.yaml:3: field 'age': boom"),
        (FormProblem("boom", line=3, attribute="title"), "f.yaml:3: title: boom"),
        (
            FormProblem("boom", line=3, field="age", attribute="relevant", column=5),
            "f.yaml:3: field 'age', relevant: boom at column 5",
        ),
        (FormProblem("boom", column=1), "f.yaml: boom at column 1"),
    ],
)
def test_problem_describe_names_file_line_field_attribute_and_column(
    problem: FormProblem, expected: str
) -> None:
    assert problem.describe("f.yaml") == expected


def test_form_error_message_is_the_first_problem_and_counts_the_rest() -> None:
    error = FormError("x.yaml", [FormProblem("one", 1), FormProblem("two", 2), FormProblem("3")])
    assert str(error) == "x.yaml:1: one (and 2 more problems)"
    assert error.lines() == ["x.yaml:1: one", "x.yaml:2: two", "x.yaml: 3"]
    assert error.source_name == "x.yaml"
    assert isinstance(error, InvalidInputError)


def test_form_error_with_one_problem_has_no_count() -> None:
    assert str(FormError("x.yaml", [FormProblem("one")])) == "x.yaml: one"


# -- hostile YAML ----------------------------------------------------------------------------------


@pytest.mark.timeout(30)
def test_billion_laughs_is_refused_for_its_anchors() -> None:
    text = (HOSTILE / "billion-laughs.yaml").read_text("utf-8")
    problem = only_problem(form_error(text, "billion-laughs.yaml"))
    assert "anchors and aliases are not allowed" in problem.message
    assert problem.line == 4  # the first anchor


@pytest.mark.timeout(30)
def test_billion_laughs_vocabulary_is_refused_too() -> None:
    text = (HOSTILE / "billion-laughs.yaml").read_bytes()
    assert "anchors" in only_problem(vocabulary_error(text)).message


@pytest.mark.parametrize(
    "text",
    [
        "a: &x 1\n",  # an anchor alone, never used
        "a: 1\nb: *x\n",  # an alias to nothing
        "- &x {a: 1}\n- *x\n",
        "a: &x [1]\nb: *x\n",
        "fieldkit_form: 1\nid: &i t\n",
    ],
)
def test_any_anchor_or_alias_is_refused(text: str) -> None:
    assert only_problem(form_error(text)).message == "anchors and aliases are not allowed"


@pytest.mark.timeout(30)
@pytest.mark.parametrize(
    "text",
    [
        "[" * 10_000 + "]" * 10_000,
        "{a: " * 10_000 + "1" + "}" * 10_000,
        "- " * 10_000 + "x\n",
        "fieldkit_form: 1\nfields: " + "[" * 10_000 + "]" * 10_000 + "\n",
        "[" * 10_000,  # never closed
    ],
    ids=["flow-sequences", "flow-mappings", "block-sequences", "inside-a-form", "unclosed"],
)
def test_ten_thousand_deep_nesting_is_a_form_error_not_a_recursion_error(text: str) -> None:
    error = form_error(text)
    assert f"nested more than {MAX_YAML_DEPTH} levels deep" in error.problems[0].message


def test_nesting_just_under_the_cap_reads() -> None:
    depth = MAX_YAML_DEPTH - 1
    data, _lines = read_yaml("[" * depth + "]" * depth, "d.yaml")
    for _level in range(depth - 1):
        assert isinstance(data, list) and len(data) == 1
        data = data[0]
    assert data == []


@pytest.mark.timeout(30)
@pytest.mark.parametrize("as_bytes", [True, False], ids=["bytes", "text"])
def test_a_three_mebibyte_file_is_refused_for_its_size(as_bytes: bool) -> None:
    text = HEAD + ONE_FIELD + "# padding\n" * (3 * 1024 * 1024 // 10)
    assert len(text) > 3 * 1024 * 1024 - 10
    problem = only_problem(form_error(text.encode() if as_bytes else text))
    assert problem.message == "the file is larger than 2 MiB"
    assert problem.line is None


def test_size_cap_counts_utf8_bytes_not_characters() -> None:
    # 1.1 M characters of three bytes each: under the cap in characters, over it in bytes.
    text = "# " + "€" * (MAX_FORM_BYTES // 3 + 10) + "\n"
    assert len(text) < MAX_FORM_BYTES
    assert only_problem(form_error(text)).message == "the file is larger than 2 MiB"


def test_a_form_just_under_the_size_cap_loads() -> None:
    text = HEAD + ONE_FIELD
    text += "#" * (MAX_FORM_BYTES - len(text) - 1) + "\n"
    assert len(text.encode()) == MAX_FORM_BYTES
    assert load_form(text, "f.yaml").id == "t"


@pytest.mark.parametrize(
    ("data", "offset"),
    [
        (b"fieldkit_form: 1\nid: \xff\xfe\n", 21),
        (b"\x80", 0),
        (b"title: caf\xc3", 10),  # a truncated two-byte sequence
        (b"a: \xed\xa0\x80\n", 3),  # an encoded surrogate
    ],
)
def test_invalid_utf8_is_refused_with_its_byte_offset(data: bytes, offset: int) -> None:
    problem = only_problem(form_error(data))
    assert problem.message == f"the file is not UTF-8 text (byte {offset})"
    assert only_problem(vocabulary_error(data)).message == problem.message


@pytest.mark.parametrize("text", ["fieldkit_form: 1\nid: a\x00b\n", "\x00", b"a: 1\n\x00"])
def test_nul_characters_are_refused(text: str | bytes) -> None:
    assert only_problem(form_error(text)).message == "the file contains a NUL character"


@pytest.mark.parametrize("char", ["\x01", "\x07", "\x1b", "\x7f", "\ufffe", "\ud800"])
def test_control_characters_are_a_form_error(char: str) -> None:
    with pytest.raises(FormError, match="not valid YAML: special characters are not allowed"):
        load_form(HEAD + f"description: {{en: 'a{char}b'}}\n" + ONE_FIELD, "f.yaml")


@pytest.mark.parametrize(
    ("date", "reason"),
    [
        ("2026-02-30", "'2026-02-30' is not a real date"),
        ("2026-13-01", "'2026-13-01' is not a real date"),
        ("0000-01-01", "'0000-01-01' is not a real date"),
        ("2026-01-01 25:00:00", "expects a date written as 2026-03-14"),
    ],
)
def test_an_impossible_unquoted_date_is_a_form_error(date: str, reason: str) -> None:
    text = HEAD + f"fields:\n  - {{name: a, type: date, label: {{en: A}}, default: {date}}}\n"
    with pytest.raises(FormError, match=f"field 'a', default: {reason}"):
        load_form(text, "f.yaml")


def test_duplicate_keys_are_refused_with_the_line_of_the_second() -> None:
    problem = only_problem(form_error(HEAD + "id: other\n" + ONE_FIELD))
    assert problem.message == "key 'id' appears twice"
    assert problem.line == 6


def test_duplicate_keys_deep_inside_a_field_are_refused() -> None:
    text = HEAD + "fields:\n  - name: a\n    type: text\n    label: {en: A}\n    type: integer\n"
    problem = only_problem(form_error(text))
    assert problem.message == "key 'type' appears twice"
    assert problem.line == 10


def test_keys_that_differ_only_as_yaml_types_count_as_duplicates() -> None:
    error = form_error('1: a\n"1": b\n')
    assert only_problem(error).message == "key '1' appears twice"


@pytest.mark.parametrize("word", ["yes", "no", "on", "off", "y", "n", "Yes", "NO", "On", "OFF"])
def test_yaml_11_booleans_stay_strings(word: str) -> None:
    data, _lines = read_yaml(f"a: {word}\n", "b.yaml")
    assert data == {"a": word}


@pytest.mark.parametrize(
    ("word", "value"), [("true", True), ("false", False), ("True", True), ("FALSE", False)]
)
def test_yaml_12_booleans_are_booleans(word: str, value: bool) -> None:
    assert read_yaml(f"a: {word}\n", "b.yaml")[0] == {"a": value}


def test_choice_codes_yes_no_on_off_stay_strings_in_a_form() -> None:
    text = HEAD + (
        "choices:\n"
        "  answer:\n"
        "    - {code: yes, label: {en: Yes}}\n"
        "    - {code: no, label: {en: No}}\n"
        "    - {code: on, label: {en: On}}\n"
        "    - {code: off, label: {en: Off}}\n"
        "fields:\n"
        "  - {name: a, type: select_one, choices: answer, label: {en: A}, default: no}\n"
    )
    form = load_form(text, "f.yaml")
    assert [c.code for c in form.choice_lists["answer"].choices] == ["yes", "no", "on", "off"]
    assert form.field("a").default == "no"


def test_choice_codes_yes_no_stay_strings_in_a_vocabulary() -> None:
    text = (
        "fieldkit_vocabulary: 1\nname: yn\nversion: 3\nchoices:\n"
        "  - {code: yes, label: {en: Y}}\n  - {code: no, label: {en: N}}\n"
    )
    vocabulary = load_vocabulary(text, "yn.yaml")
    assert [c.code for c in vocabulary.choices] == ["yes", "no"]
    assert vocabulary.version == "3"  # an integer version is read as text
    assert vocabulary.vocabulary is True


@pytest.mark.parametrize(
    "text",
    [
        "!!python/object:os.system {}\n",
        "a: !!python/object/apply:os.system ['true']\n",
        "a: !!python/name:os.system\n",
        "a: !!python/tuple [1, 2]\n",
        "a: !custom x\n",
    ],
)
def test_yaml_tags_that_build_objects_are_refused(text: str) -> None:
    problem = only_problem(form_error(text))
    assert problem.message.startswith("not valid YAML: could not determine a constructor")
    assert problem.line == 1


def test_python_object_fixture_is_refused_at_its_line() -> None:
    text = (HOSTILE / "python-object.yaml").read_text("utf-8")
    problem = only_problem(form_error(text, "python-object.yaml"))
    assert "could not determine a constructor" in problem.message
    assert problem.line == 3


@pytest.mark.parametrize("text", ["", "   \n", "# only a comment\n", b""])
def test_an_empty_file_is_refused(text: str | bytes) -> None:
    assert only_problem(form_error(text)).message == "the file is empty"
    assert only_problem(vocabulary_error(text)).message == "the file is empty"


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("a: [1, 2\n", 2),
        ("a: b: c\n", 1),
        ("a:\n\t- x\n", 2),
        ('"unterminated\n', 2),
        ("a: 1\n---\nb: 2\n", 2),  # a second document
    ],
)
def test_yaml_syntax_errors_give_the_line(text: str, line: int) -> None:
    problem = only_problem(form_error(text))
    assert problem.message.startswith("not valid YAML: ")
    assert problem.line == line


def test_a_json_document_loads() -> None:
    document = {
        "fieldkit_form": 1,
        "id": "from-json",
        "version": "2",
        "title": {"en": "From JSON"},
        "languages": ["en"],
        "fields": [{"name": "a", "type": "integer", "label": {"en": "A"}}],
    }
    form = load_form(json.dumps(document, indent=2), "f.json")
    assert form.id == "from-json"
    assert form.field("a").type is FieldType.INTEGER


@pytest.mark.parametrize(
    "text",
    [
        "- 1\n- 2\n",
        "just a string\n",
        "42\n",
        "id: t\nversion: '1'\n",  # missing fieldkit_form
        "fieldkit_form: 2\n",
        "fieldkit_form: '1'\n",
        "fieldkit_vocabulary: 1\nname: x\n",
    ],
)
def test_documents_that_are_not_fieldkit_forms_are_refused(text: str) -> None:
    problem = only_problem(form_error(text))
    assert problem.message == "not a fieldkit form (expected 'fieldkit_form: 1')"


def test_fieldkit_form_true_is_not_format_one() -> None:
    form_error(HEAD.replace("fieldkit_form: 1", "fieldkit_form: true") + ONE_FIELD)


@pytest.mark.parametrize("text", ["- 1\n", "fieldkit_form: 1\nname: x\n", "name: x\nversion: 1\n"])
def test_documents_that_are_not_vocabularies_are_refused(text: str) -> None:
    problem = only_problem(vocabulary_error(text))
    assert problem.message == "not a fieldkit vocabulary (expected 'fieldkit_vocabulary: 1')"


# -- form structure --------------------------------------------------------------------------------


UNKNOWN = "'{member}' is not something fieldkit knows here; check its spelling, or remove it"


def test_unknown_keys_are_refused_with_their_line_field_and_attribute() -> None:
    text = HEAD + (
        "bogus: 1\n"
        "fields:\n"
        "  - {name: a, type: text, label: {en: A}}\n"
        "  - name: r\n"
        "    type: repeat\n"
        "    fields:\n"
        "      - name: b\n"
        "        type: integer\n"
        "        label: {en: B}\n"
        "        colour: red\n"
    )
    error = form_error(text)
    found = {(p.line, p.field, p.attribute, p.message) for p in error.problems}
    assert found == {
        (6, None, "bogus", UNKNOWN.format(member="bogus")),
        (15, "b", "colour", UNKNOWN.format(member="colour")),
    }
    assert f"f.yaml:15: field 'b': {UNKNOWN.format(member='colour')}" in error.lines()


def test_unknown_key_in_a_vocabulary_choice_is_refused_at_its_line() -> None:
    text = (
        "fieldkit_vocabulary: 1\nname: v\nversion: 1\nchoices:\n"
        "  - {code: a, label: {en: A}}\n  - {code: b, label: {en: B}, colour: red}\n"
    )
    problem = only_problem(vocabulary_error(text))
    assert (problem.line, problem.attribute) == (6, "colour")


@pytest.mark.parametrize(
    "name",
    [
        "../x",
        "a b",
        "a-b",
        "a.b",
        "1a",
        "",
        "x" * 65,
        "ａ",  # fullwidth a
        "раз",  # Cyrillic lookalikes of Latin letters
        "naïve",
        "a\u200bb",  # zero-width space
        "$x",
        "${x}",
    ],
)
def test_unsafe_field_names_are_refused(name: str) -> None:
    text = HEAD + f"fields:\n  - {{name: {json.dumps(name)}, type: text, label: {{en: A}}}}\n"
    problem = only_problem(form_error(text))
    assert problem.attribute == "name"
    assert problem.line == 7
    assert problem.message.startswith("'name' takes letters, digits and underscores")


@pytest.mark.parametrize("name", ["x" * 64, "_x", "A1_b2", "_"])
def test_safe_field_names_are_accepted(name: str) -> None:
    text = HEAD + f"fields:\n  - {{name: {name}, type: text, label: {{en: A}}}}\n"
    assert load_form(text, "f.yaml").field(name).name == name


@pytest.mark.parametrize(
    "container",
    [
        "  - name: g\n    type: group\n    fields:\n      - {name: a, type: integer}\n",
        "  - name: r\n    type: repeat\n    fields:\n      - {name: a, type: integer}\n",
        "  - name: a\n    type: group\n    fields:\n      - {name: b, type: integer}\n",
    ],
    ids=["in-a-group", "in-a-repeat", "container-named-like-a-field"],
)
def test_field_names_are_unique_across_groups_and_repeats(container: str) -> None:
    text = HEAD + "fields:\n  - {name: a, type: text, label: {en: A}}\n" + container
    problem = only_problem(form_error(text))
    assert problem.message == "field name 'a' is used twice; names are unique in a form"


@pytest.mark.parametrize(
    "fields",
    [
        "  - {name: a, type: text, label: {en: B}}\n  - {name: a, type: text, label: {en: A}}\n",
        "  - {name: b, type: text, label: {en: B}}\n  - {name: a, type: select_one, choices: x,"
        " label: {en: A}}\n",
        "  - {name: b, type: text, label: {en: B}}\n  - {name: a, type: text, label: {fr: A}}\n",
    ],
    ids=["duplicate-name", "unknown-choice-list", "label-not-in-default-language"],
)
def test_form_level_problems_point_at_the_field(fields: str) -> None:
    text = HEAD + "fields:\n" + fields  # field 'a' is on line 8
    problem = form_error(text).problems[0]
    assert (problem.line, problem.field) == (8, "a")


def test_a_field_using_an_undefined_choice_list_is_refused() -> None:
    text = HEAD + "fields:\n  - {name: a, type: select_one, choices: nope, label: {en: A}}\n"
    problem = only_problem(form_error(text))
    assert problem.message == "field 'a' uses choice list 'nope', which the form does not define"


@pytest.mark.parametrize(
    ("vocabularies", "what"),
    [("[nope]", "nope"), ("{nope: '2'}", "nope@2"), ("{yes-no: '9'}", "yes-no@9")],
)
def test_an_unavailable_vocabulary_is_refused_at_its_line(vocabularies: str, what: str) -> None:
    text = HEAD + f"vocabularies: {vocabularies}\n" + ONE_FIELD
    problem = only_problem(form_error(text))
    assert problem.message == f"vocabulary '{what}' is not available"
    assert problem.line == 6


def test_without_a_resolver_every_vocabulary_is_unavailable() -> None:
    with pytest.raises(FormError) as info:
        load_form(HEAD + "vocabularies: [yes-no]\n" + ONE_FIELD, "f.yaml")
    assert only_problem(info.value).message == "vocabulary 'yes-no' is not available"


def test_a_vocabulary_is_resolved_by_name_and_version() -> None:
    text = HEAD + (
        "vocabularies: {yes-no: '2'}\n"
        "fields:\n  - {name: a, type: select_one, choices: yes-no, label: {en: A}, default: 'no'}\n"
    )
    form = load_form(text, "f.yaml", vocabularies=resolver)
    assert form.choice_lists["yes-no"] == YES_NO
    assert form.choice_list_for(form.field("a")).vocabulary


def test_a_list_both_local_and_vocabulary_is_refused() -> None:
    text = HEAD + (
        "vocabularies: [yes-no]\nchoices:\n  yes-no: [{code: a, label: {en: A}}]\n" + ONE_FIELD
    )
    problem = only_problem(form_error(text))
    assert problem.message == "'yes-no' is both a vocabulary and a form choice list"
    assert problem.line == 8


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("choices: [1]\n", "'choices' must map list names to choices"),
        ("vocabularies: 5\n", "'vocabularies' must be a list of names"),
    ],
)
def test_choices_and_vocabularies_of_the_wrong_shape_are_refused(body: str, message: str) -> None:
    problem = only_problem(form_error(HEAD + body + ONE_FIELD))
    assert (problem.message, problem.line) == (message, 6)


def test_bad_choice_code_in_a_mapping_style_list_points_at_its_line() -> None:
    text = HEAD + (
        "choices:\n  c:\n    choices:\n"
        "      - {code: a, label: {en: A}}\n      - {code: 'b c', label: {en: C}}\n"
        "fields:\n  - {name: a, type: select_one, choices: c, label: {en: A}}\n"
    )
    problem = only_problem(form_error(text))
    assert (problem.line, problem.attribute) == (10, "code")


def test_bad_choice_code_in_a_list_style_list_points_at_its_line() -> None:
    text = HEAD + (
        "choices:\n  c:\n"
        "    - {code: a, label: {en: A}}\n    - {code: b, label: {en: B}}\n"
        "    - {code: 'b c', label: {en: C}}\n"
        "fields:\n  - {name: a, type: select_one, choices: c, label: {en: A}}\n"
    )
    assert only_problem(form_error(text)).line == 10


def test_duplicate_choice_codes_are_refused() -> None:
    text = HEAD + (
        "choices:\n  c: [{code: a, label: {en: A}}, {code: a, label: {en: B}}]\n"
        "fields:\n  - {name: a, type: select_one, choices: c, label: {en: A}}\n"
    )
    assert "choice code 'a' appears twice" in only_problem(form_error(text)).message


# -- expressions -----------------------------------------------------------------------------------

EXPRESSION_FORM = HEAD + (
    "fields:\n"
    "  - {name: a, type: integer, label: {en: A}}\n"
    "  - {name: ab, type: integer, label: {en: AB}}\n"
    "  - {name: n, type: note, label: {en: N}}\n"
    "  - name: b\n"
    "    type: text\n"
    "    label: {en: B}\n"
    "    ATTRIBUTE: 'SOURCE'\n"
)


def expression_problem(attribute: str, source: str) -> FormProblem:
    text = EXPRESSION_FORM.replace("ATTRIBUTE", attribute).replace("SOURCE", source)
    return only_problem(form_error(text, "forms/my form.yaml"))


def test_expression_syntax_error_is_described_with_file_line_field_attribute_and_column() -> None:
    text = EXPRESSION_FORM.replace("ATTRIBUTE", "relevant").replace("SOURCE", "${a} > > 1")
    error = form_error(text, "forms/my form.yaml")
    assert error.lines() == [
        "forms/my form.yaml:10: field 'b', relevant: unexpected '>' at column 8"
    ]
    problem = only_problem(error)
    assert (problem.line, problem.field, problem.attribute, problem.column) == (
        10,
        "b",
        "relevant",
        8,
    )


@pytest.mark.parametrize("attribute", ["relevant", "constraint", "required"])
def test_expression_errors_are_reported_for_each_expression_attribute(attribute: str) -> None:
    problem = expression_problem(attribute, "${a} +")
    assert (problem.field, problem.attribute, problem.line) == ("b", attribute, 10)
    assert problem.message == "unexpected end of expression"
    assert problem.column == 7


def test_unknown_field_reference_is_refused_with_its_column() -> None:
    problem = expression_problem("relevant", "${a} = 1 and ${zz} = 2")
    assert problem.message == "unknown field ${zz}"
    assert (problem.attribute, problem.column) == ("relevant", 14)


def test_unknown_field_column_is_not_confused_by_a_longer_name() -> None:
    text = (
        HEAD + "fields:\n  - {name: ab, type: integer, label: {en: AB}}\n"
        "  - {name: b, type: text, label: {en: B}, relevant: '${ab} > 1 and ${a} = 2'}\n"
    )
    problem = only_problem(form_error(text))
    assert problem.message == "unknown field ${a}"
    assert problem.column == 15


def test_a_reference_to_a_note_is_refused() -> None:
    problem = expression_problem("relevant", "${n} = 1")
    assert problem.message == "${n} holds no value"


@pytest.mark.parametrize("attribute", ["relevant", "required"])
def test_dot_outside_a_constraint_is_refused(attribute: str) -> None:
    problem = expression_problem(attribute, ". > 1")
    assert problem.message == "'.' (this field's value) may appear only in a constraint"
    assert (problem.attribute, problem.column) == (attribute, 1)


def test_dot_in_a_constraint_is_accepted() -> None:
    text = EXPRESSION_FORM.replace("ATTRIBUTE", "constraint").replace("SOURCE", ". != ${a}")
    assert load_form(text, "f.yaml").field("b").constraint == ". != ${a}"


def test_dot_outside_a_constraint_column_skips_decimal_points() -> None:
    problem = expression_problem("relevant", "${a} > 1.5 or . = 2")
    assert problem.column == 15


@pytest.mark.parametrize(
    ("field", "message"),
    [
        ("{name: a, type: integer, label: {en: A}, default: abc}", "expects a whole number"),
        ("{name: a, type: integer, label: {en: A}, default: true}", "expects a whole number"),
        ("{name: a, type: date, label: {en: A}, default: '2026-02-30'}", "is not a real date"),
        ("{name: a, type: date, label: {en: A}, default: 14/03/2026}", "expects a date"),
        (
            "{name: a, type: text, label: {en: A}, max_length: 3, default: abcd}",
            "is longer than 3 characters",
        ),
        (
            "{name: a, type: select_one, choices: yes-no, label: {en: A}, default: maybe}",
            "'maybe' is not one of its choices",
        ),
    ],
)
def test_a_default_of_the_wrong_type_is_refused(field: str, message: str) -> None:
    text = HEAD + f"vocabularies: [yes-no]\nfields:\n  - {field}\n"
    problem = only_problem(form_error(text))
    assert (problem.field, problem.attribute, problem.line) == ("a", "default", 8)
    assert message in problem.message


@pytest.mark.parametrize(
    ("field", "default"),
    [
        ("{name: a, type: date, label: {en: A}, default: '=today()'}", "=today()"),
        ("{name: a, type: datetime, label: {en: A}, default: '=now()'}", "=now()"),
        ("{name: a, type: integer, label: {en: A}, default: '12'}", "12"),
        ("{name: a, type: integer, label: {en: A}, default: 12}", 12),
        ("{name: a, type: date, label: {en: A}, default: 2026-03-14}", None),
    ],
)
def test_good_defaults_are_accepted(field: str, default: Any) -> None:
    form = load_form(HEAD + f"fields:\n  - {field}\n", "f.yaml")
    if default is not None:
        assert form.field("a").default == default
    else:
        assert str(form.field("a").default) == "2026-03-14"


@pytest.mark.parametrize("default", ["=${b}", "=concat(${b}, 1)", "=."])
def test_a_default_expression_may_not_use_fields(default: str) -> None:
    text = HEAD + (
        "fields:\n"
        f"  - {{name: a, type: text, label: {{en: A}}, default: '{default}'}}\n"
        "  - {name: b, type: text, label: {en: B}}\n"
    )
    problem = only_problem(form_error(text))
    assert problem.message.startswith("a default expression may use functions")
    assert (problem.field, problem.attribute, problem.line) == ("a", "default", 7)


def test_a_default_expression_syntax_error_counts_columns_from_the_equals_sign() -> None:
    text = HEAD + "fields:\n  - {name: a, type: text, label: {en: A}, default: '=1 +'}\n"
    problem = only_problem(form_error(text))
    assert problem.message == "unexpected end of expression"
    assert problem.column == 5  # just after "=1 +"


# -- summary ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("summary", "fields", "message"),
    [
        (
            "{title: [who]}",
            "  - {name: who, type: text, label: {en: W}, sensitivity: identifying}\n",
            "summary field 'who' is identifying; lists never show those",
        ),
        (
            "{place: [who]}",
            "  - {name: who, type: text, label: {en: W}, sensitivity: identifying}\n",
            "summary field 'who' is identifying; lists never show those",
        ),
        (
            "{date: when}",
            "  - {name: when, type: date, label: {en: W}, sensitivity: identifying}\n",
            "summary field 'when' is identifying; lists never show those",
        ),
        (
            "{title: [age]}",
            "  - name: people\n    type: repeat\n    fields:\n"
            "      - {name: age, type: integer, label: {en: Age}}\n",
            "summary field 'age' sits inside a repeat group; only a single-choice field of the "
            "title may",
        ),
        (
            "{place: [kind]}",
            "  - name: people\n    type: repeat\n    fields:\n"
            "      - {name: kind, type: select_one, choices: k, label: {en: K}}\n"
            "choices: {k: [{code: a, label: {en: A}}]}\n",
            "summary field 'kind' sits inside a repeat group; only a single-choice field of the "
            "title may",
        ),
        (
            "{title: [zz]}",
            "  - {name: a, type: text, label: {en: A}}\n",
            "summary names unknown field 'zz'",
        ),
    ],
)
def test_summary_never_names_identifying_or_repeated_fields(
    summary: str, fields: str, message: str
) -> None:
    text = HEAD + f"summary: {summary}\nfields:\n" + fields
    assert only_problem(form_error(text)).message == message


def test_summary_title_may_name_a_single_choice_field_inside_repeats() -> None:
    text = HEAD + (
        "summary: {title: [kind]}\nfields:\n"
        "  - name: people\n    type: repeat\n    fields:\n"
        "      - name: acts\n        type: repeat\n        fields:\n"
        "          - {name: kind, type: select_one, choices: k, label: {en: K}}\n"
        "choices: {k: [{code: worst, label: {en: Worst}}, {code: bad, label: {en: Bad}}]}\n"
    )
    assert load_form(text, "f.yaml").summary.title == ["kind"]


def test_vocabulary_choice_marked_fieldkit_is_exposed_and_left_out_of_json_when_unmarked() -> None:
    text = (
        "fieldkit_vocabulary: 1\nname: v\nversion: '2'\nsource: 'A standard list'\nchoices:\n"
        "  - {code: a, label: {en: A}}\n  - {code: z, label: {en: Z}, fieldkit: true}\n"
    )
    vocabulary = load_vocabulary(text, "v.yaml")
    assert vocabulary.fieldkit_codes == ["z"]
    assert [c.fieldkit for c in vocabulary.choices] == [False, True]
    dumped = vocabulary.model_dump(mode="json")["choices"]
    assert dumped == [
        {"code": "a", "label": {"en": "A"}},
        {"code": "z", "label": {"en": "Z"}, "fieldkit": True},
    ]
    assert ChoiceList.model_validate(vocabulary.model_dump(mode="json")) == vocabulary


def test_vocabulary_choice_fieldkit_mark_must_be_true_or_false() -> None:
    text = (
        "fieldkit_vocabulary: 1\nname: v\nversion: '2'\nchoices:\n"
        "  - {code: z, label: {en: Z}, fieldkit: perhaps}\n"
    )
    with pytest.raises(FormError) as caught:
        load_vocabulary(text, "v.yaml")
    problem = only_problem(caught.value)
    assert problem.line == 5
    assert "fieldkit" in problem.describe("v.yaml")


def test_summary_of_a_field_in_a_group_is_accepted() -> None:
    text = HEAD + (
        "summary: {title: [a], date: d, place: [p]}\nfields:\n"
        "  - {name: a, type: text, label: {en: A}}\n  - {name: d, type: date, label: {en: D}}\n"
        "  - name: g\n    type: group\n    fields:\n      - {name: p, type: text, label: {en: P}}\n"
    )
    summary = load_form(text, "f.yaml").summary
    assert (summary.title, summary.date, summary.place) == (["a"], "d", ["p"])


# -- type attributes -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "message"),
    [
        ("{name: g, type: group, label: {en: G}}", "a group needs at least one field"),
        ("{name: g, type: group, label: {en: G}, fields: []}", "a group needs at least one field"),
        ("{name: r, type: repeat, label: {en: R}}", "a repeat needs at least one field"),
        ("{name: a, type: text, choices: c, label: {en: A}}", "'choices' applies only to select"),
        ("{name: a, type: select_one, label: {en: A}}", "a select_one field needs 'choices'"),
        ("{name: a, type: text, precisions: [day], label: {en: A}}", "'precisions' applies only"),
        ("{name: a, type: date, precisions: [], label: {en: A}}", "needs at least one precision"),
        ("{name: a, type: integer, max_length: 3, label: {en: A}}", "'max_length' applies only"),
        ("{name: a, type: text, min_count: 1, label: {en: A}}", "apply only to repeat groups"),
        ("{name: a, type: text, max_count: 1, label: {en: A}}", "apply only to repeat groups"),
        ("{name: a, type: text, max_files: 1, label: {en: A}}", "'max_files' applies only"),
        ("{name: n, type: note, label: {en: N}, required: true}", "a note holds no value"),
        ("{name: n, type: note}", "a note needs a label"),
        (
            "{name: a, type: text, fields: [{name: b, type: text}], label: {en: A}}",
            "only a group or a repeat can hold fields",
        ),
        (
            "{name: r, type: repeat, constraint: 'true()', fields: [{name: b, type: text, "
            "label: {en: B}}]}",
            "a repeat group takes min_count and max_count, not a constraint",
        ),
        (
            "{name: r, type: repeat, min_count: 3, max_count: 2, "
            "fields: [{name: b, type: text, label: {en: B}}]}",
            "'max_count' is smaller than 'min_count'",
        ),
        ("{name: a, type: blob, label: {en: A}}", "'type' must be one of: text, long_text,"),
        (
            "{name: a, type: text, sensitivity: secret, label: {en: A}}",
            "'sensitivity' must be one of: public, restricted, identifying; 'secret' is not",
        ),
    ],
)
def test_attributes_that_do_not_fit_the_type_are_refused(field: str, message: str) -> None:
    text = HEAD + "choices:\n  c: [{code: a, label: {en: A}}]\n" + f"fields:\n  - {field}\n"
    error = form_error(text)
    problem = error.problems[0]
    assert message in problem.message, error.lines()
    assert problem.line == 9


def _nested(depth: int) -> str:
    lines = ["fields:"]
    indent = "  "
    for level in range(depth):
        lines += [f"{indent}- name: g{level}", f"{indent}  type: group", f"{indent}  fields:"]
        indent += "    "
    lines.append(f"{indent}- {{name: leaf, type: text, label: {{en: L}}}}")
    return "\n".join(lines) + "\n"


def test_nesting_up_to_max_nesting_is_accepted() -> None:
    form = load_form(HEAD + _nested(MAX_NESTING), "f.yaml")
    paths = {f.name: path for path, f in form.walk()}
    assert len(paths["leaf"]) == MAX_NESTING


def test_nesting_deeper_than_max_nesting_is_refused() -> None:
    problem = only_problem(form_error(HEAD + _nested(MAX_NESTING + 1)))
    assert problem.message == f"field 'leaf' is nested more than {MAX_NESTING} deep"


def test_a_label_is_needed_in_the_default_language() -> None:
    text = HEAD.replace("[en]", "[en, fr]") + (
        "fields:\n  - {name: a, type: text, label: {fr: A}}\n"
    )
    problem = only_problem(form_error(text))
    assert problem.message == "field 'a' needs a label in the default language 'en'"


def test_the_title_is_needed_in_the_default_language() -> None:
    text = HEAD.replace("{en: T}", "{fr: T}").replace("[en]", "[en, fr]") + ONE_FIELD
    problem = only_problem(form_error(text))
    assert problem.message == "the title needs a text in the default language 'en'"


def test_the_default_language_is_the_first_listed() -> None:
    text = HEAD.replace("{en: T}", "{fr: T}").replace("[en]", "[fr, en]") + (
        "fields:\n  - {name: a, type: text, label: {fr: A}}\n"
    )
    assert load_form(text, "f.yaml").languages == ["fr", "en"]


@pytest.mark.parametrize(
    ("head_change", "line"),
    [
        (("id: t", "id: T!"), 2),
        (("id: t", "id: ../etc"), 2),
        (("version: '1'", "version: '1 2'"), 3),
        (("title: {en: T}", "title: T"), 4),
        (("languages: [en]", "languages: []"), 5),
        (("languages: [en]", "languages: [english]"), 5),
    ],
)
def test_bad_form_attributes_are_refused_at_their_line(
    head_change: tuple[str, str], line: int
) -> None:
    text = HEAD.replace(*head_change) + ONE_FIELD
    assert only_problem(form_error(text)).line == line


def test_an_integer_version_is_read_as_text() -> None:
    form = load_form(HEAD.replace("version: '1'", "version: 3") + ONE_FIELD, "f.yaml")
    assert form.version == "3"


def test_empty_fields_are_refused() -> None:
    problem = only_problem(form_error(HEAD + "fields: []\n"))
    assert problem.message == "'fields' needs at least 1 entry; add one"
    assert problem.line == 6


def test_form_from_data_reports_problems_without_lines() -> None:
    data = {
        "fieldkit_form": 1,
        "id": "t",
        "version": "1",
        "title": {"en": "T"},
        "languages": ["en"],
        "fields": [{"name": "a", "type": "text", "label": {"en": "A"}, "relevant": "${zz}"}],
    }
    with pytest.raises(FormError) as info:
        form_from_data(data, "inline")
    problem = only_problem(info.value)
    assert (problem.line, problem.field, problem.message) == (None, "a", "unknown field ${zz}")
    assert info.value.lines() == ["inline: field 'a', relevant: unknown field ${zz} at column 1"]


def test_every_problem_is_reported_not_only_the_first() -> None:
    text = HEAD + (
        "fields:\n"
        "  - {name: a, type: text, label: {en: A}, relevant: '${x}'}\n"
        "  - {name: b, type: text, label: {en: B}, constraint: '1 +'}\n"
        "  - {name: c, type: integer, label: {en: C}, default: abc}\n"
    )
    error = form_error(text)
    assert [(p.field, p.attribute) for p in error.problems] == [
        ("a", "relevant"),
        ("b", "constraint"),
        ("c", "default"),
    ]
    assert str(error).endswith("(and 2 more problems)")


def test_the_test_form_with_every_type_loads() -> None:
    path = Path(__file__).resolve().parents[1] / "data" / "forms" / "all-types.yaml"
    yes_no = ChoiceList(
        name="fieldkit-yes-no",
        vocabulary=True,
        version="1",
        choices=[{"code": "yes", "label": {"en": "Yes"}}, {"code": "no", "label": {"en": "No"}}],
    )
    form = load_form(path.read_bytes(), path.name, lambda name, version: yes_no)
    assert isinstance(form, FormDefinition)
    types = {f.type for _p, f in form.walk()}
    assert types == set(FieldType)


# -- random input ----------------------------------------------------------------------------------

# Control characters and impossible unquoted dates are left out here: they hit known bugs (see
# test_control_characters_are_a_form_error and test_an_impossible_unquoted_date_is_a_form_error)
# and would hide everything else.
_DATE_LIKE = re.compile(r"\d{4}-\d\d?-\d\d?")


def _no_dates(text: str | bytes) -> bool:
    return not _DATE_LIKE.search(text if isinstance(text, str) else text.decode("latin-1"))


PRINTABLE_TEXT = st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=300)
PRINTABLE_BYTES = st.binary(max_size=300).filter(
    lambda b: not any((c < 32 and c not in (9, 10, 13)) or c == 127 for c in b)
)
YAMLISH = st.text(
    st.sampled_from(list(string.ascii_letters + string.digits + " \n\t:-[]{},&*!|>'\"#%@`?.")),
    max_size=200,
)
KEYS = st.sampled_from(
    [
        "fieldkit_form",
        "fieldkit_vocabulary",
        "id",
        "version",
        "title",
        "languages",
        "fields",
        "name",
        "type",
        "label",
        "choices",
        "vocabularies",
        "summary",
        "relevant",
        "constraint",
        "required",
        "default",
        "code",
        "en",
        "text",
        "repeat",
        "group",
        "select_one",
    ]
)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-3, 3)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=8)
    | KEYS
)
DOCUMENTS = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(KEYS, children, max_size=6),
    max_leaves=40,
)


def _only_form_errors(text: str | bytes) -> None:
    try:
        load_form(text, "random.yaml", vocabularies=resolver)
    except FormError as exc:
        assert exc.problems and all(p.message for p in exc.problems)
        assert exc.lines()[0].startswith("random.yaml")
    try:
        load_vocabulary(text, "random.yaml")
    except FormError as exc:
        assert exc.problems and all(p.message for p in exc.problems)


@pytest.mark.timeout(120)
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(PRINTABLE_TEXT, PRINTABLE_BYTES, YAMLISH).filter(_no_dates))
def test_random_text_gives_only_form_errors(text: str | bytes) -> None:
    _only_form_errors(text)
    prefix = "fieldkit_form: 1\n" if isinstance(text, str) else b"fieldkit_form: 1\n"
    _only_form_errors(prefix + text)  # type: ignore[operator]


@pytest.mark.timeout(120)
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(DOCUMENTS, st.sampled_from(["fieldkit_form", "fieldkit_vocabulary", None]))
def test_random_documents_give_only_form_errors(document: Any, marker: str | None) -> None:
    if marker and isinstance(document, dict):
        document = {marker: 1, **document}
    _only_form_errors(yaml.safe_dump(document))
    _only_form_errors(json.dumps(document))


FIELD_TYPES = st.sampled_from([t.value for t in FieldType] + ["blob"])
RANDOM_FIELD = st.fixed_dictionaries(
    {"name": st.sampled_from(["a", "b", "c", "r"]), "type": FIELD_TYPES},
    optional={
        "label": st.just({"en": "L"}),
        "relevant": st.sampled_from(["${a} = 1", ". > 1", "${r}", "${zz}", "(", "true()"]),
        "constraint": st.sampled_from([". > 1", "${a}", "count(${r}) > 0", "1 +"]),
        "required": st.booleans() | st.sampled_from(["${b} = 'x'", "", "("]),
        "default": SCALARS | st.sampled_from(["=today()", "=${a}", "=(", "2026-03-14"]),
        "choices": st.sampled_from(["c", "yes-no", "missing"]),
        "precisions": st.lists(st.sampled_from(["day", "month", "year", "week"]), max_size=3),
        "min_count": st.integers(-1, 3),
        "max_count": st.integers(-1, 3),
        "max_files": st.integers(0, 2),
        "max_length": st.integers(0, 2),
        "sensitivity": st.sampled_from(["public", "identifying", "secret"]),
    },
)
RANDOM_FIELDS = st.lists(
    st.recursive(
        RANDOM_FIELD,
        lambda children: st.tuples(RANDOM_FIELD, st.lists(children, max_size=3)).map(
            lambda pair: {**pair[0], "fields": pair[1]}
        ),
        max_leaves=6,
    ),
    min_size=1,
    max_size=4,
)


@pytest.mark.timeout(120)
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(RANDOM_FIELDS, st.lists(st.sampled_from(["a", "b", "c", "r"]), max_size=2))
def test_random_field_definitions_give_a_form_or_form_errors(
    fields: list[dict[str, Any]], title: list[str]
) -> None:
    document = {
        "fieldkit_form": 1,
        "id": "random",
        "version": "1",
        "title": {"en": "Random"},
        "languages": ["en"],
        "choices": {"c": [{"code": "x", "label": {"en": "X"}}]},
        "vocabularies": ["yes-no"],
        "summary": {"title": title},
        "fields": fields,
    }
    try:
        form = load_form(yaml.safe_dump(document), "random.yaml", vocabularies=resolver)
    except FormError as exc:
        assert exc.problems
        return
    assert form.id == "random"
    assert len(form.fields_by_name()) == len(list(form.walk()))


@pytest.mark.parametrize(
    ("field", "default"),
    [("date", "=now()"), ("integer", "=today()"), ("date", "=today() - 7")],
)
def test_a_default_expression_of_the_wrong_type_is_refused(field: str, default: str) -> None:
    line = f"  - {{name: a, type: {field}, label: {{en: A}}, default: '{default}'}}\n"
    text = HEAD + "fields:\n" + line
    problem = only_problem(form_error(text))
    assert problem.attribute == "default"
    assert "does not fit" in problem.message


def test_a_default_expression_of_the_right_type_is_accepted() -> None:
    text = HEAD + "fields:\n  - {name: a, type: date, label: {en: A}, default: '=today()'}\n"
    assert load_form(text, "f.yaml").fields[0].default == "=today()"


# -- the bound on required repeat entries ----------------------------------------------------------


def _nested_repeats(*counts: int, required: bool = False) -> str:
    """A form whose repeats r0 > r1 > ... nest with the given min_counts (line 7 is r0)."""
    lines, indent = ["fields:"], "  "
    for depth, count in enumerate(counts):
        lines += [
            f"{indent}- name: r{depth}",
            f"{indent}  type: repeat",
            f"{indent}  min_count: {count}",
        ]
        if required:
            lines.append(f"{indent}  required: true")
        lines.append(f"{indent}  fields:")
        indent += "    "
    lines.append(f"{indent}- {{name: leaf, type: text, label: {{en: Leaf}}}}")
    return HEAD + "\n".join(lines) + "\n"


def test_nested_repeats_needing_more_than_the_bound_of_entries_are_refused() -> None:
    problem = only_problem(form_error(_nested_repeats(10, 10, 11)))
    assert problem.field == "r2" and problem.line == 15
    assert problem.message == (
        "repeat 'r2' makes a blank record need 1100 entries (its fewest entries times those of "
        "the repeats around it); at most 1000 are allowed: lower its min_count or that of a "
        "repeat around it"
    )
    assert MAX_REQUIRED_ENTRIES == 1000


def test_one_repeat_of_ten_thousand_required_entries_is_refused() -> None:
    problem = only_problem(form_error(_nested_repeats(10_000)))
    assert problem.field == "r0" and "need 10000 entries" in problem.message


def test_eight_deep_repeats_of_one_required_entry_each_are_accepted() -> None:
    form = load_form(_nested_repeats(*[1] * MAX_NESTING, required=True), "f.yaml")
    assert form.field("r7").fewest_entries == 1


def test_the_bound_counts_products_along_each_path_and_stops_at_an_optional_repeat() -> None:
    assert load_form(_nested_repeats(10, 10, 10), "f.yaml").field("r2").min_count == 10
    assert load_form(_nested_repeats(1000, 0, 1000), "f.yaml").field("r1").fewest_entries == 0
