"""pyxform's English error messages, said in fieldkit's words.

pyxform words its errors in English, some from its ``ErrorCode`` templates and some as plain
text. The common ones are recognised here by their text (which works for both) and replaced by a
translated sentence that says what to do; where pyxform names or implies the sheet and the column,
they are returned too, so that the error can point at them. Anything not recognised gets a
translated sentence that quotes pyxform's text.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from fieldkit.i18n import _

SURVEY, CHOICES = "survey", "choices"


@dataclass(frozen=True)
class Explained:
    reason: str
    sheet: str | None = None
    column: str | None = None
    header: bool = False
    """The problem is in the sheet's header row."""
    at_first_select: bool = False
    """pyxform gives no row, but the problem is with the first select question (its list)."""
    choice: tuple[str, str] | None = None
    """pyxform gives no row, but names the choice (list name, choice name) at fault."""


_Explain = Callable[[re.Match[str]], Explained]
_RULES: list[tuple[re.Pattern[str], _Explain]] = []


def _rule(pattern: str) -> Callable[[_Explain], _Explain]:
    def register(explain: _Explain) -> _Explain:
        _RULES.append((re.compile(pattern), explain))
        return explain

    return register


def _similar(match: re.Match[str], sheet: str) -> str:
    """pyxform's list of sheets whose names look like a misspelling of ``sheet``."""
    text = match.groupdict().get("similar") or ""
    found = re.search(r"similar names were found: (.+?)\.?$", text)
    if not found:
        return ""
    return " " + _("Sheets with similar names: {names}; perhaps one of them is meant.").format(
        names=found.group(1)
    )


@_rule(r"^There should be a choices sheet in this xlsform\.(?P<similar>.*?)(?: Please ensure|$)")
def _no_choices_sheet(match: re.Match[str]) -> Explained:
    return Explained(
        _(
            "this select question needs a choice list, but the XLSForm has no 'choices' sheet; "
            "add a sheet named 'choices' with the columns list_name, name and label, and list "
            "the choices there."
        )
        + _similar(match, CHOICES),
        SURVEY,
        "type",
        at_first_select=True,
    )


@_rule(r"^You must have a sheet named 'survey'\.?(?P<similar>.*)$")
def _no_survey_sheet(match: re.Match[str]) -> Explained:
    return Explained(
        _(
            "the workbook has no sheet named 'survey'; add one whose first row names the "
            "columns type, name and label, with one question per row below it."
        )
        + _similar(match, SURVEY),
        SURVEY,
    )


@_rule(r"^List name not in choices sheet: (?P<list>.+)$")
def _list_not_in_choices(match: re.Match[str]) -> Explained:
    return Explained(
        _(
            "the choice list '{list}' is not on the 'choices' sheet; add its choices there, or "
            "correct the list name after the question type."
        ).format(list=match.group("list").strip()),
        SURVEY,
        "type",
    )


@_rule(r"^Question with no type\.")
def _no_type(_match: re.Match[str]) -> Explained:
    return Explained(
        _("this row has no question type; fill in its 'type' column, or delete the row."),
        SURVEY,
        "type",
    )


@_rule(r"^Question or group with no name\.")
def _no_name(_match: re.Match[str]) -> Explained:
    return Explained(
        _(
            "this question or group has no name; fill in its 'name' column (letters, digits "
            "and _, starting with a letter)."
        ),
        SURVEY,
        "name",
    )


@_rule(r"^Missing calculation\.")
def _no_calculation(_match: re.Match[str]) -> Explained:
    return Explained(
        _("this 'calculate' row has no calculation; fill in its 'calculation' column."),
        SURVEY,
        "calculation",
    )


@_rule(r"^Unmatched 'end_(?P<type>\w+)'\.")
def _unmatched_end(match: re.Match[str]) -> Explained:
    kind = match.group("type")
    return Explained(
        _(
            "this 'end_{type}' has no matching 'begin_{type}' above it; remove it, or add the "
            "missing 'begin_{type}' row."
        ).format(type=kind),
        SURVEY,
        "type",
    )


@_rule(
    r"^Unmatched 'begin_(?P<type>\w+)'\. No matching 'end_\w+' was found for the name "
    r"'(?P<name>[^']*)'"
)
def _unmatched_begin(match: re.Match[str]) -> Explained:
    kind = match.group("type")
    return Explained(
        _(
            "'begin_{type}' {name} has no matching 'end_{type}'; add an 'end_{type}' row after "
            "its last question."
        ).format(type=kind, name=match.group("name")),
        SURVEY,
        "type",
    )


@_rule(r"On the 'choices' sheet, the 'name' value is invalid\. Choices must have a name")
def _choice_without_name(_match: re.Match[str]) -> Explained:
    return Explained(_("this choice has no name; fill in its 'name' column."), CHOICES, "name")


@_rule(r"Choice names must be unique for each choice list")
def _duplicate_choice(_match: re.Match[str]) -> Explained:
    return Explained(
        _(
            "this choice has the same name as another choice of its list; give each choice of "
            "a list its own name."
        ),
        CHOICES,
        "name",
    )


@_rule(r"Choices should have a label")
def _choice_without_label(_match: re.Match[str]) -> Explained:
    return Explained(_("this choice has no label; fill in its 'label' column."), CHOICES, "label")


@_rule(
    r"^Choice names with spaces cannot be added to multiple choice selects\. See \[(?P<name>.*)\] "
    r"in \[(?P<list>.*)\]"
)
def _choice_name_with_space(match: re.Match[str]) -> Explained:
    return Explained(
        _(
            "the choice '{name}' of list '{list}' has a space in its name, which a "
            "select_multiple cannot store; use _ instead of the space."
        ).format(name=match.group("name"), list=match.group("list")),
        CHOICES,
        "name",
        choice=(match.group("list"), match.group("name")),
    )


@_rule(r"^Please specify choices for this 'or other' question\.")
def _or_other_without_choices(_match: re.Match[str]) -> Explained:
    return Explained(
        _("this 'or_other' question has no choices; add its list to the 'choices' sheet."),
        SURVEY,
        "type",
    )


_WHERE = r"On the '(?P<sheet>\w+)' sheet, the '(?P<column>[^']+)' value is invalid\. "


@_rule(
    _WHERE + r"Reference variables must contain a name from the 'survey' sheet\. Could not "
    r"find the name '(?P<name>[^']*)'"
)
def _unknown_reference(match: re.Match[str]) -> Explained:
    return Explained(
        _(
            "the '{column}' value refers to ${{{name}}}, but no question has that name; "
            "correct the reference, or add the question."
        ).format(column=match.group("column"), name=match.group("name")),
        match.group("sheet"),
        match.group("column"),
    )


@_rule(_WHERE + r"Reference variables must start with")
def _malformed_reference(match: re.Match[str]) -> Explained:
    return Explained(
        _(
            "the '{column}' value has a malformed reference; write a reference as ${{name}}, "
            "with the question's name between the braces."
        ).format(column=match.group("column")),
        match.group("sheet"),
        match.group("column"),
    )


@_rule(_WHERE + r"Reference variable lists must have a comma")
def _reference_list(match: re.Match[str]) -> Explained:
    return Explained(
        _(
            "the '{column}' value lists references without commas; separate them with commas."
        ).format(column=match.group("column")),
        match.group("sheet"),
        match.group("column"),
    )


@_rule(
    _WHERE + r"Reference variables names must be unique anywhere in the 'survey'\. The name "
    r"'(?P<name>[^']*)'"
)
def _ambiguous_reference(match: re.Match[str]) -> Explained:
    return Explained(
        _(
            "the '{column}' value refers to ${{{name}}}, but several questions have that name; "
            "rename them so that each name is used once."
        ).format(column=match.group("column"), name=match.group("name")),
        match.group("sheet"),
        match.group("column"),
    )


@_rule(_WHERE + r"Names must begin with a letter or underscore")
def _bad_name(match: re.Match[str]) -> Explained:
    return Explained(
        _(
            "the '{column}' value is not a valid XLSForm name; start it with a letter or _, and "
            "use only letters, digits, _, - and . after that."
        ).format(column=match.group("column")),
        match.group("sheet"),
        match.group("column"),
    )


@_rule(r"On the 'survey' sheet, the 'parameters' value is invalid\.")
def _bad_parameters(_match: re.Match[str]) -> Explained:
    return Explained(
        _(
            "the 'parameters' value does not fit this question type; correct it (see "
            "https://xlsform.org), or clear the cell."
        ),
        SURVEY,
        "parameters",
    )


@_rule(r"On the 'survey' sheet, the 'name' value '(?P<name>[^']*)' is (?:invalid|problematic)\.")
def _name_clash(match: re.Match[str]) -> Explained:
    return Explained(
        _(
            "the name '{name}' clashes with another name in the form; give every question, "
            "group and repeat a name of its own."
        ).format(name=match.group("name")),
        SURVEY,
        "name",
    )


@_rule(
    r"^Invalid headers provided for sheet: '(?P<sheet>\w+)'\. One or more required column "
    r"headers were not found: (?P<missing>.+?)\. Learn more"
)
def _missing_columns(match: re.Match[str]) -> Explained:
    return Explained(
        _(
            "the '{sheet}' sheet has no column {missing}; its first row must name the columns, "
            "such as type, name and label."
        ).format(sheet=match.group("sheet"), missing=match.group("missing")),
        match.group("sheet"),
        header=True,
    )


@_rule(
    r"^Invalid headers provided for sheet: '(?P<sheet>\w+)'\. For XLSForms, this may be due "
    r"a missing header row"
)
def _no_header_row(match: re.Match[str]) -> Explained:
    return Explained(
        _(
            "the '{sheet}' sheet has no header row; its first row must name the columns, such "
            "as type, name and label."
        ).format(sheet=match.group("sheet")),
        match.group("sheet"),
        header=True,
    )


@_rule(
    r"^Invalid headers provided for sheet: '(?P<sheet>\w+)'\. Headers that are different "
    r"names for the same column were found: '(?P<one>[^']*)', '(?P<other>[^']*)'"
)
def _synonym_columns(match: re.Match[str]) -> Explained:
    return Explained(
        _(
            "the columns '{one}' and '{other}' are two names for one column; keep one of them."
        ).format(one=match.group("one"), other=match.group("other")),
        match.group("sheet"),
        match.group("other"),
        header=True,
    )


@_rule(r"^Duplicate column header: (?P<column>.+)$")
def _duplicate_column(match: re.Match[str]) -> Explained:
    column = match.group("column").strip()
    return Explained(
        _("the column '{column}' appears twice in the header row; rename or remove one.").format(
            column=column
        ),
        None,
        column,
        header=True,
    )


@_rule(
    r"On the 'choices' sheet, the '(?P<column>[^']*)' value is invalid\. Column headers must "
    r"not be empty"
)
def _bad_choices_header(match: re.Match[str]) -> Explained:
    return Explained(
        _("a column header of the 'choices' sheet is empty or has spaces; rename it."),
        CHOICES,
        match.group("column") or None,
        header=True,
    )


def explain(message: str) -> Explained:
    """A translated sentence for pyxform's ``message`` (without its ``[row : N]`` prefix)."""
    for pattern, rule in _RULES:
        match = pattern.search(message)
        if match:
            return rule(match)
    return Explained(
        _(
            "the XLSForm reader (pyxform) reports, in English: \u201c{message}\u201d. Correct "
            "the XLSForm and import it again."
        ).format(message=message)
    )
