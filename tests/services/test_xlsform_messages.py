"""pyxform's English errors never reach the user as they are: each common one is said in
fieldkit's words, at the sheet, row and column that pyxform gives or implies."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from fieldkit.services import xlsform_messages
from fieldkit.services.xlsform import XLSFormError, convert_xlsform
from tests.services.test_xlsform import write_xlsx

HEAD = ["type", "name", "label"]
CHOICES = ["list_name", "name", "label"]
PYXFORM_WORDS = ("Please", "Learn more", "should", "must have", "Unmatched", "xlsform.org/en")

CASES: dict[str, tuple[dict[str, Any], tuple[str | None, int | None, str | None], str]] = {
    "no-choices-sheet": (
        {"survey": [HEAD, ["text", "a", "A"], ["select_one nolist", "s", "S"]]},
        ("survey", 3, "type"),
        "no 'choices' sheet; add a sheet named 'choices' with the columns list_name",
    ),
    "no-choices-sheet-but-a-misspelt-one": (
        {
            "survey": [HEAD, ["select_one l", "s", "S"]],
            "other": {"choises": [CHOICES, ["l", "x", "X"]]},
        },
        ("survey", 2, "type"),
        "Sheets with similar names: 'choises'",
    ),
    "no-survey-sheet": (
        {"survey": None, "choices": [CHOICES], "settings": [["form_id"], ["x"]]},
        ("survey", None, None),
        "the workbook has no sheet named 'survey'; add one",
    ),
    "list-not-in-choices": (
        {"survey": [HEAD, ["select_one nowhere", "s", "S"]], "choices": [CHOICES, ["l", "x", "X"]]},
        ("survey", 2, "type"),
        "the choice list 'nowhere' is not on the 'choices' sheet",
    ),
    "no-type": (
        {"survey": [HEAD, ["text", "a", "A"], ["", "s", "S"]]},
        ("survey", 3, "type"),
        "this row has no question type",
    ),
    "no-name": (
        {"survey": [HEAD, ["text", "", "S"]]},
        ("survey", 2, "name"),
        "this question or group has no name",
    ),
    "no-calculation": (
        {"survey": [HEAD, ["text", "a", "A"], ["calculate", "c", ""]]},
        ("survey", 3, "calculation"),
        "this 'calculate' row has no calculation",
    ),
    "unmatched-begin": (
        {"survey": [HEAD, ["text", "a", "A"], ["begin group", "g", "G"], ["text", "b", "B"]]},
        ("survey", 3, "type"),
        "'begin_group' g has no matching 'end_group'",
    ),
    "unmatched-end": (
        {"survey": [HEAD, ["text", "a", "A"], ["end repeat", "", ""]]},
        ("survey", 3, "type"),
        "this 'end_repeat' has no matching 'begin_repeat'",
    ),
    "choice-without-name": (
        {"survey": [HEAD, ["select_one l", "s", "S"]], "choices": [CHOICES, ["l", "", "X"]]},
        ("choices", 2, "name"),
        "this choice has no name",
    ),
    "duplicate-choice": (
        {
            "survey": [HEAD, ["select_one l", "s", "S"]],
            "choices": [CHOICES, ["l", "x", "X"], ["l", "x", "Y"]],
        },
        ("choices", 3, "name"),
        "the same name as another choice of its list",
    ),
    "choice-name-with-a-space": (
        {
            "survey": [HEAD, ["select_multiple l", "s", "S"]],
            "choices": [CHOICES, ["l", "ok", "OK"], ["l", "a b", "X"]],
        },
        ("choices", 3, "name"),
        "the choice 'a b' of list 'l' has a space in its name",
    ),
    "unknown-reference": (
        {"survey": [[*HEAD, "relevant"], ["text", "a", "A", "${nope} = 1"]]},
        ("survey", 2, "relevant"),
        "the 'relevant' value refers to ${nope}, but no question has that name",
    ),
    "malformed-reference": (
        {"survey": [[*HEAD, "relevant"], ["text", "a", "A", "${nope"]]},
        ("survey", 2, "relevant"),
        "the 'relevant' value has a malformed reference; write a reference as ${name}",
    ),
    "missing-type-column": (
        {"survey": [["text", "a", "A"]]},
        ("survey", 1, None),
        "the 'survey' sheet has no column 'type'",
    ),
    "duplicate-column": (
        {"survey": [[*HEAD, "label"], ["text", "a", "A", "B"]]},
        (None, 1, "label"),
        "the column 'label' appears twice in the header row",
    ),
    "bad-parameters": (
        {"survey": [[*HEAD, "parameters"], ["range", "r", "R", "start=x"]]},
        ("survey", 2, "parameters"),
        "the 'parameters' value does not fit this question type",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_each_common_pyxform_failure_is_said_in_fieldkit_words(tmp_path: Path, case: str) -> None:
    sheets, where, expected = CASES[case]
    path = write_xlsx(
        tmp_path / "x.xlsx",
        sheets["survey"],
        sheets.get("choices"),
        sheets.get("settings"),
        sheets.get("other"),
    )
    with pytest.raises(XLSFormError) as caught:
        convert_xlsform(path)
    error = caught.value
    assert expected in error.reason, error.user_message
    assert (error.sheet, error.row, error.column) == where, error.user_message
    assert not any(word in error.user_message for word in PYXFORM_WORDS), error.user_message
    assert "\n" not in error.user_message


def test_a_csv_header_problem_points_at_the_csv_line(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("\n\nsurvey\n,text,a,A\n,text,b,B\n", encoding="utf-8")
    with pytest.raises(XLSFormError) as caught:
        convert_xlsform(path)
    assert (caught.value.sheet, caught.value.row) == ("survey", 4)  # the survey's header line
    assert "has no column 'type'" in caught.value.reason


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("survey\n,type,name,label,label\n,text,a,A,B\n", ("survey", 2, "label")),
        (
            "survey\n,type,name,label\n,text,a,A\nchoices\n,list_name,name,name\n,l,x,X\n",
            ("choices", 5, "name"),
        ),
    ],
)
def test_a_csv_header_named_twice_is_refused_at_its_line(
    tmp_path: Path, text: str, where: tuple[str, int, str]
) -> None:
    # pyxform's CSV reader would keep the last of the two columns without a word.
    path = tmp_path / "x.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(XLSFormError) as caught:
        convert_xlsform(path)
    assert (caught.value.sheet, caught.value.row, caught.value.column) == where
    assert "appears twice in the header row" in caught.value.reason


def test_an_unknown_pyxform_message_is_quoted_in_a_translated_sentence(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    explained = xlsform_messages.explain("Something new went wrong.")
    assert explained.reason.startswith("the XLSForm reader (pyxform) reports, in English:")
    assert "Something new went wrong." in explained.reason
    monkeypatch.setattr(xlsform_messages, "_", lambda text: "«" + text + "»")
    assert xlsform_messages.explain("Something new went wrong.").reason.startswith("«")
    assert xlsform_messages.explain("Question with no type. {}").reason.startswith("«")
