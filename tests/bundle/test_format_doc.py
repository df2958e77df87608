"""docs/bundle-format.md, section 4 "Forms", against the form model: the member tables name
every member of every object of a FORM payload with its type, default and constraints, so that
another implementation can be written from the document alone, and the document cannot drift
from the code."""

from __future__ import annotations

import json
import re
import types
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import annotated_types
import pytest
from pydantic import BaseModel, StringConstraints
from pydantic.fields import FieldInfo
from pydantic_core import to_jsonable_python

from fieldkit.bundle import Limits
from fieldkit.bundle.forms import check_form
from fieldkit.bundle.manifest import FormEntry
from fieldkit.bundle.schema import SchemaError
from fieldkit.domain import forms
from fieldkit.domain.records import canonical_json, sha256_hex

DOC = Path(__file__).resolve().parents[2] / "docs" / "bundle-format.md"
MODELS: dict[str, type[BaseModel]] = {
    "FormDefinition": forms.FormDefinition,
    "FieldDef": forms.FieldDef,
    "ChoiceList": forms.ChoiceList,
    "Choice": forms.Choice,
    "Summary": forms.Summary,
}
_CAPTION = re.compile(r"^\*\*(?P<name>[a-z ]+)\*\* \((?:[^()]*; )?model `(?P<model>\w+)`\)")


def _section() -> str:
    text = DOC.read_text(encoding="utf-8")
    return text[text.index("### Forms") : text.index("## 5.")]


def _tables() -> dict[str, tuple[str, dict[str, list[str]]]]:
    """Model name → (the name the document gives its objects, its cells by member)."""
    tables: dict[str, tuple[str, dict[str, list[str]]]] = {}
    rows: dict[str, list[str]] | None = None
    for line in _section().splitlines():
        caption = _CAPTION.match(line)
        if caption:
            rows = {}
            tables[caption["model"]] = (caption["name"], rows)
        elif line.startswith("|") and rows is not None:
            cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
            if cells[0] in ("member", "---"):
                continue
            member = cells[0].strip("`")
            assert member not in rows, f"{member} listed twice"
            rows[member] = cells[1:]
        elif line.strip() and rows:  # prose after a table ends it
            rows = None
    return tables


TABLES = _tables()
DOC_NAMES = {MODELS[model]: name for model, (name, _rows) in TABLES.items()}


def _describe(annotation: Any) -> str:
    """The document's word for a type."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _describe(get_args(annotation)[0])
    if annotation is Any:
        return "any JSON value"
    if origin in (Union, types.UnionType):
        args = get_args(annotation)
        present = [a for a in args if a is not type(None)]
        text = " or ".join(_describe(a) for a in present)
        return f"{text} or null" if len(present) < len(args) else text
    if origin is Literal:
        return {int: "integer", str: "string"}[type(get_args(annotation)[0])]
    if origin is list:
        return "array of " + _describe(get_args(annotation)[0])
    if origin is dict and annotation == forms.Text:
        return "text"
    if origin is dict:
        return "object of " + _describe(get_args(annotation)[1])
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return "string"
    if annotation in DOC_NAMES:
        return DOC_NAMES[annotation]
    return {str: "string", int: "integer", bool: "boolean"}[annotation]


def _constraints(annotation: Any, metadata: list[Any]) -> tuple[list[str], list[Any]]:
    """Patterns, and bound objects, that apply to a member (not those inside a text)."""
    if annotation == forms.Text:
        return [], []
    patterns: list[str] = []
    bounds: list[Any] = []
    for item in metadata:
        if isinstance(item, StringConstraints) and item.pattern:
            patterns.append(item.pattern)
        elif isinstance(item, FieldInfo):
            more = _constraints(Any, item.metadata)
            patterns += more[0]
            bounds += more[1]
        else:
            bounds.append(item)
    if get_origin(annotation) is Annotated:
        more = _constraints(get_args(annotation)[0], list(annotation.__metadata__))
        patterns += more[0]
        bounds += more[1]
    for arg in get_args(annotation) if get_origin(annotation) is not Annotated else ():
        if arg is not type(None):
            more = _constraints(arg, [])
            patterns += more[0]
            bounds += more[1]
    return patterns, bounds


def _bound_texts(bounds: list[Any]) -> list[str]:
    values: dict[str, int] = {}
    for bound in bounds:
        for attribute in ("ge", "le", "min_length", "max_length"):
            if isinstance(getattr(bound, attribute, None), int):
                values[attribute] = getattr(bound, attribute)
    texts = []
    low = values.get("ge", values.get("min_length"))
    high = values.get("le", values.get("max_length"))
    if low is not None and high is not None:
        texts.append(f"{low:,} to {high:,}")
    elif low is not None:
        texts.append(f"at least {low:,}")
    elif high is not None:
        texts.append(f"at most {high:,}")
    return texts


def _enum_of(annotation: Any) -> type[Enum] | None:
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return annotation
    for arg in get_args(annotation):
        found = _enum_of(arg)
        if found is not None:
            return found
    return None


def test_every_object_of_a_form_has_a_table() -> None:
    assert set(TABLES) == set(MODELS)
    assert DOC_NAMES[forms.FormDefinition] == "form"


@pytest.mark.parametrize("model", sorted(MODELS))
def test_each_table_lists_exactly_the_models_members(model: str) -> None:
    _name, rows = TABLES[model]
    assert list(rows) == list(MODELS[model].model_fields), "every member, in the model's order"
    assert all(len(cells) == 3 for cells in rows.values())


@pytest.mark.parametrize("model", sorted(MODELS))
def test_types_defaults_and_constraints_match_the_model(model: str) -> None:
    _name, rows = TABLES[model]
    for member, info in MODELS[model].model_fields.items():
        kind, default, rule = rows[member]
        assert kind == _describe(info.annotation), member
        if info.is_required():
            assert default == "required", member
        else:
            expected = to_jsonable_python(info.get_default(call_default_factory=True))
            assert json.loads(default.strip("`")) == expected, member
        patterns, bounds = _constraints(info.annotation, list(info.metadata))
        for pattern in patterns:
            assert f"`{pattern}`" in rule, (member, pattern)
        for text in _bound_texts(bounds):
            assert text in rule, (member, text)
        enum = _enum_of(info.annotation)
        if enum is not None:
            assert all(f'`"{value.value}"`' in rule for value in enum), member


def test_the_text_type_is_described() -> None:
    section = _section()
    assert f"`{forms.LANGUAGE_PATTERN}`" in section and "4,000 characters" in section
    key, value = get_args(forms.Text)
    assert get_args(key)[1].pattern == forms.LANGUAGE_PATTERN
    assert get_args(value)[1].max_length == 4000
    assert f"at most {forms.MAX_FIELDS:,}" in section and f"at most {forms.MAX_NESTING}" in section


OMITTED_WHEN_NULL = "left out of the form's JSON when `null`"


def _from_the_document() -> dict[str, Any]:
    """A form written from the tables alone: the required members, and every other member at
    the default the document gives (but those the document says are left out when null)."""

    def defaults(model: str, **given: Any) -> dict[str, Any]:
        _name, rows = TABLES[model]
        value = {
            m: json.loads(c[1].strip("`"))
            for m, c in rows.items()
            if c[1] != "required" and OMITTED_WHEN_NULL not in c[2]
        }
        return value | given

    field = defaults("FieldDef", name="place", type="text", label={"en": "Place"})
    return defaults(
        "FormDefinition", id="doc-form", version="1", title={"en": "Doc"}, languages=["en"]
    ) | {"fields": [field]}


def _check(value: dict[str, Any]) -> Any:
    content = canonical_json(value)
    entry = FormEntry(value.get("id", "doc-form"), "1", sha256_hex(content), len(content))
    return check_form(content, entry, Limits())


def test_a_form_written_from_the_document_is_accepted_and_a_member_left_out_is_not() -> None:
    form = _from_the_document()
    assert _check(form).definition.fields[0].name == "place"
    # A member left out is either required (not valid) or has a default that the one encoding
    # of a form spells out (not canonical).
    left_out = "a form definition is not (valid|in canonical form)"
    for member in form:
        if member not in ("id", "version"):
            with pytest.raises(SchemaError, match=left_out):
                _check({k: v for k, v in form.items() if k != member})
    for member in form["fields"][0]:
        field = {k: v for k, v in form["fields"][0].items() if k != member}
        with pytest.raises(SchemaError, match=left_out):
            _check(form | {"fields": [field]})
    with pytest.raises(SchemaError, match="a form definition is not valid"):
        _check(form | {"extra": 1})
    # ...and one the document says is left out when null is not canonical when spelled out.
    spelled = form["fields"][0] | {"xlsform_name": None}
    with pytest.raises(SchemaError, match="a form definition is not in canonical form"):
        _check(form | {"fields": [spelled]})


def test_the_bound_objects_are_the_ones_read() -> None:
    """The checks above read ge/le and min/max lengths from annotated_types objects."""
    field = forms.FieldDef.model_fields["min_count"]
    assert {type(m) for m in field.metadata} == {annotated_types.Ge, annotated_types.Le}
