"""Form definitions: the pydantic model of a fieldkit form.

A form has a stable ``id`` and a ``version``; records name both, and a form version never changes
once records use it. Fields are typed; groups only arrange fields on screen (their fields' values
sit beside the group's siblings), repeat groups hold a list of instances. Field names are unique
across the whole form, so that ``${name}`` always means one field.

Choice lists are either form-local (``choices:``) or controlled vocabularies resolved from data
files (``vocabularies:``). A vocabulary value is stored as ``name:version:code`` so that it keeps
its meaning when the vocabulary changes; form-local values are stored as their plain code.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    StringConstraints,
    field_validator,
    model_serializer,
    model_validator,
)
from pydantic_core import PydanticCustomError

from fieldkit.i18n import _

NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]{0,63}$"
FORM_ID_PATTERN = r"^[a-z0-9][a-z0-9_.-]{0,63}$"
VERSION_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$"
CODE_PATTERN = r"^[A-Za-z0-9_][A-Za-z0-9_.+-]{0,127}$"
LANGUAGE_PATTERN = r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$"

Name = Annotated[str, StringConstraints(pattern=NAME_PATTERN)]
Code = Annotated[str, StringConstraints(pattern=CODE_PATTERN)]
Language = Annotated[str, StringConstraints(pattern=LANGUAGE_PATTERN)]
Version = Annotated[str, StringConstraints(pattern=VERSION_PATTERN)]
Text = dict[Language, Annotated[str, StringConstraints(max_length=4000)]]
"""A user-facing text in several languages, keyed by language code."""

FIELD_CONTEXT = "fieldkit_field"
"""Key, in a validation error's context, of the field that a form-level rule is about."""

MAX_FIELDS = 2000
MAX_CHOICES = 5000
MAX_NESTING = 8
COUNTRY_VOCABULARY_PREFIX = "iso3166"
MAX_REQUIRED_ENTRIES = 1000
"""The most repeat entries a blank record may need (the product of the fewest entries of the
repeats along each nesting path): an editor would otherwise have to lay them all out at once."""


class Sensitivity(StrEnum):
    PUBLIC = "public"
    RESTRICTED = "restricted"
    IDENTIFYING = "identifying"


class FieldType(StrEnum):
    TEXT = "text"
    LONG_TEXT = "long_text"
    INTEGER = "integer"
    DECIMAL = "decimal"
    DATE = "date"
    DATETIME = "datetime"
    SELECT_ONE = "select_one"
    SELECT_MULTIPLE = "select_multiple"
    GEOPOINT = "geopoint"
    ATTACHMENT = "attachment"
    NOTE = "note"
    GROUP = "group"
    REPEAT = "repeat"


CONTAINER_TYPES = frozenset({FieldType.GROUP, FieldType.REPEAT})
VALUELESS_TYPES = frozenset({FieldType.NOTE, FieldType.GROUP})
SELECT_TYPES = frozenset({FieldType.SELECT_ONE, FieldType.SELECT_MULTIPLE})


class DatePrecision(StrEnum):
    """How much of a date is known: ``2026-03-14`` (day), ``2026-03`` (month) or ``2026`` (year)."""

    DAY = "day"
    MONTH = "month"
    YEAR = "year"


def _field_rule(field: str, message: str) -> PydanticCustomError:
    """A form-level rule broken by one field: the error says which, so that it can be located."""
    return PydanticCustomError("fieldkit_form", message, {FIELD_CONTEXT: field})


def localized(text: dict[str, str], language: str, fallbacks: tuple[str, ...] = ()) -> str:
    """Pick ``text`` in ``language``, else in the first fallback that has it, else any."""
    for code in (language, *fallbacks):
        if text.get(code):
            return text[code]
    return next((value for value in text.values() if value), "")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Choice(_Strict):
    code: Code
    label: Text
    fieldkit: bool = False
    """In a vocabulary taken from a standard list: a code fieldkit added to that list, which the
    standard's own data does not have (analysts mapping to the standard must map it themselves)."""

    @model_serializer(mode="wrap")
    def _without_unset_fieldkit(self, handler: SerializerFunctionWrapHandler) -> Any:
        """Leave ``fieldkit`` out unless true, so that a form's JSON (and its digest) is what it
        was before the attribute existed."""
        data = handler(self)
        if isinstance(data, dict) and not data.get("fieldkit"):
            data.pop("fieldkit", None)
        return data


class ChoiceList(_Strict):
    """A named list of choices; ``vocabulary`` lists come from versioned data files."""

    name: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$")]
    vocabulary: bool = False
    version: Version | None = None
    source: str | None = None
    choices: list[Choice] = Field(min_length=1, max_length=MAX_CHOICES)

    @model_validator(mode="after")
    def _check(self) -> ChoiceList:
        if self.vocabulary and not self.version:
            raise ValueError(_("a vocabulary needs a version"))
        seen: set[str] = set()
        for choice in self.choices:
            if choice.code in seen:
                raise ValueError(_("choice code '{code}' appears twice").format(code=choice.code))
            seen.add(choice.code)
        return self

    def stored_code(self, code: str) -> str:
        """The code as a record stores it: ``name:version:code`` for a vocabulary."""
        if self.vocabulary:
            return f"{self.name}:{self.version}:{code}"
        return code

    def short_code(self, stored: str) -> str:
        prefix = f"{self.name}:{self.version}:"
        if self.vocabulary and stored.startswith(prefix):
            return stored[len(prefix) :]
        return stored

    @property
    def fieldkit_codes(self) -> list[str]:
        """The codes fieldkit added to the standard list this vocabulary follows."""
        return [choice.code for choice in self.choices if choice.fieldkit]

    @property
    def lists_countries(self) -> bool:
        """A vocabulary of countries (ISO 3166): people look a country up by its name, so it is
        shown sorted by name in the reader's language, not in the order of its codes."""
        return self.vocabulary and self.name.startswith(COUNTRY_VOCABULARY_PREFIX)

    @cached_property
    def by_code(self) -> dict[str, Choice]:
        return {choice.code: choice for choice in self.choices}

    def find(self, value: str) -> Choice | None:
        """The choice whose code, short or stored, is ``value``."""
        return self.by_code.get(self.short_code(value))


class FieldDef(_Strict):
    """One field of a form. Which attributes apply depends on ``type``."""

    name: Name
    type: FieldType
    label: Text = Field(default_factory=dict)
    hint: Text = Field(default_factory=dict)
    required: bool | str = False
    relevant: str | None = None
    constraint: str | None = None
    constraint_message: Text = Field(default_factory=dict)
    default: Any = None
    sensitivity: Sensitivity = Sensitivity.RESTRICTED
    choices: str | None = None
    precisions: list[DatePrecision] | None = None
    max_length: Annotated[int, Field(ge=1, le=1_000_000)] | None = None
    min_count: Annotated[int, Field(ge=0, le=10_000)] = 0
    max_count: Annotated[int, Field(ge=1, le=10_000)] | None = None
    max_files: Annotated[int, Field(ge=1, le=1000)] | None = None
    fields: list[FieldDef] = Field(default_factory=list)
    xlsform_name: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None
    """The name the field had in the XLSForm it was converted from, where fieldkit's name rules
    (letters, digits and _) needed another: exports can name the field as the XLSForm did."""
    subdivision_of: Name | None = None
    """On a select_one without choices: the country field (over iso3166-alpha3) whose answer's
    first-level ISO 3166-2 subdivisions are the choices (see :mod:`.subdivision_fields`)."""

    @model_serializer(mode="wrap")
    def _without_unset_attributes(self, handler: SerializerFunctionWrapHandler) -> Any:
        """Leave ``xlsform_name`` and ``subdivision_of`` out unless set, so that a form's JSON
        (and its digest) is what it was before these attributes existed."""
        data = handler(self)
        if isinstance(data, dict):
            for name in ("xlsform_name", "subdivision_of"):
                if data.get(name) is None:
                    data.pop(name, None)
        return data

    @field_validator("required")
    @classmethod
    def _required_expression(cls, value: bool | str) -> bool | str:
        if isinstance(value, str) and not value.strip():
            return False
        return value

    @model_validator(mode="after")
    def _check_type_attributes(self) -> FieldDef:
        t = self.type
        if t in CONTAINER_TYPES and not self.fields:
            raise ValueError(_("a {type} needs at least one field").format(type=t.value))
        if t not in CONTAINER_TYPES and self.fields:
            raise ValueError(_("only a group or a repeat can hold fields"))
        if self.subdivision_of is not None and (t is not FieldType.SELECT_ONE or self.choices):
            raise ValueError(
                _("'subdivision_of' applies only to a select_one field without 'choices'")
            )
        if t in SELECT_TYPES and not self.choices and self.subdivision_of is None:
            raise ValueError(_("a {type} field needs 'choices'").format(type=t.value))
        if t not in SELECT_TYPES and self.choices:
            raise ValueError(_("'choices' applies only to select fields"))
        if self.precisions is not None and t is not FieldType.DATE:
            raise ValueError(_("'precisions' applies only to date fields"))
        if self.precisions is not None and not self.precisions:
            raise ValueError(_("'precisions' needs at least one precision"))
        if self.max_length is not None and t not in (FieldType.TEXT, FieldType.LONG_TEXT):
            raise ValueError(_("'max_length' applies only to text fields"))
        if t is not FieldType.REPEAT and (self.min_count or self.max_count is not None):
            raise ValueError(_("'min_count' and 'max_count' apply only to repeat groups"))
        if self.max_count is not None and self.max_count < self.min_count:
            raise ValueError(_("'max_count' is smaller than 'min_count'"))
        if self.max_files is not None and t is not FieldType.ATTACHMENT:
            raise ValueError(_("'max_files' applies only to attachment fields"))
        has_rules = self.required is not False or self.constraint or self.default is not None
        if t in VALUELESS_TYPES and has_rules:
            raise ValueError(
                _("a {type} holds no value: no required, constraint or default").format(
                    type=t.value
                )
            )
        if t is FieldType.REPEAT and (self.constraint or self.default is not None):
            raise ValueError(_("a repeat group takes min_count and max_count, not a constraint"))
        if t is FieldType.NOTE and not self.label:
            raise ValueError(_("a note needs a label"))
        return self

    @property
    def holds_value(self) -> bool:
        return self.type not in VALUELESS_TYPES

    @property
    def date_precisions(self) -> list[DatePrecision]:
        return self.precisions or [DatePrecision.DAY]

    def is_required_always(self) -> bool:
        return self.required is True

    @property
    def fewest_entries(self) -> int:
        """The entries a blank record always has in this repeat: ``min_count``, or one when the
        repeat is always required."""
        return max(self.min_count, 1 if self.required is True else 0)


class Summary(_Strict):
    """Which fields describe a record in lists: never identifying ones.

    A title field may be a single-choice field inside repeat groups: the title then shows, of
    all its entries' answers, the one that comes first in the field's choice list (a list
    ordered from the most serious act down gives the record's most serious act)."""

    title: list[Name] = Field(default_factory=list, max_length=4)
    date: Name | None = None
    place: list[Name] = Field(default_factory=list, max_length=4)


class FormDefinition(_Strict):
    """A complete, self-contained form: every choice list it uses is inside it."""

    fieldkit_form: Literal[1] = 1
    id: Annotated[str, StringConstraints(pattern=FORM_ID_PATTERN)]
    version: Version
    title: Text
    description: Text = Field(default_factory=dict)
    languages: list[Language] = Field(min_length=1, max_length=20)
    choice_lists: dict[str, ChoiceList] = Field(default_factory=dict)
    summary: Summary = Field(default_factory=Summary)
    fields: list[FieldDef] = Field(min_length=1)

    @field_validator("version", mode="before")
    @classmethod
    def _version_as_text(cls, value: Any) -> Any:
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        return value

    @model_validator(mode="after")
    def _check_form(self) -> FormDefinition:
        default = self.languages[0]
        if not self.title.get(default):
            raise ValueError(
                _("the title needs a text in the default language '{lang}'").format(lang=default)
            )
        by_name: dict[str, FieldDef] = {}
        for path, field in self.walk():
            if len(path) > MAX_NESTING:
                raise _field_rule(
                    field.name,
                    _("field '{name}' is nested more than {n} deep").format(
                        name=field.name, n=MAX_NESTING
                    ),
                )
            if field.name in by_name:
                raise _field_rule(
                    field.name,
                    _("field name '{name}' is used twice; names are unique in a form").format(
                        name=field.name
                    ),
                )
            by_name[field.name] = field
            if field.choices is not None and field.choices not in self.choice_lists:
                raise _field_rule(
                    field.name,
                    _(
                        "field '{name}' uses choice list '{list}', which the form does not define"
                    ).format(name=field.name, list=field.choices),
                )
            labelled = field.type not in (FieldType.NOTE, FieldType.GROUP, FieldType.REPEAT)
            if labelled and not field.label.get(default):
                raise _field_rule(
                    field.name,
                    _("field '{name}' needs a label in the default language '{lang}'").format(
                        name=field.name, lang=default
                    ),
                )
        if len(by_name) > MAX_FIELDS:
            raise ValueError(_("a form holds at most {n} fields").format(n=MAX_FIELDS))
        _check_required_entries(self.fields, 1)
        from fieldkit.domain.subdivision_fields import check_subdivision_fields  # imports forms

        check_subdivision_fields(self)
        for key, choice_list in self.choice_lists.items():
            if key != choice_list.name:
                raise ValueError(
                    _("choice list '{key}' is named '{name}'").format(
                        key=key, name=choice_list.name
                    )
                )
        for name in [*self.summary.title, *self.summary.place, *filter(None, [self.summary.date])]:
            summarized = by_name.get(name)
            if summarized is None:
                raise ValueError(_("summary names unknown field '{name}'").format(name=name))
            if summarized.sensitivity is Sensitivity.IDENTIFYING or name in self.index.identifying:
                raise ValueError(
                    _("summary field '{name}' is identifying; lists never show those").format(
                        name=name
                    )
                )
            in_title = name in self.summary.title
            if self.scope_of(name) and not (in_title and summarized.type is FieldType.SELECT_ONE):
                raise ValueError(
                    _(
                        "summary field '{name}' sits inside a repeat group; only a single-choice "
                        "field of the title may"
                    ).format(name=name)
                )
        return self

    # -- navigation -------------------------------------------------------------------------

    def walk(self) -> Iterator[tuple[tuple[str, ...], FieldDef]]:
        """Every field in document order, with the names of the containers around it."""

        def _walk(
            fields: list[FieldDef], path: tuple[str, ...]
        ) -> Iterator[tuple[tuple[str, ...], FieldDef]]:
            for field in fields:
                yield path, field
                if field.fields:
                    yield from _walk(field.fields, (*path, field.name))

        yield from _walk(self.fields, ())

    @cached_property
    def index(self) -> FormIndex:
        """The form's structure, computed once (the form is immutable)."""
        return FormIndex.of(self)

    @cached_property
    def derived(self) -> dict[Any, Any]:
        """What other modules compute once from this (immutable) form, each under its own key
        (the checker's prepared rules, for one)."""
        return {}

    def field(self, name: str) -> FieldDef:
        return self.index.by_name[name]

    def fields_by_name(self) -> dict[str, FieldDef]:
        """Every field by name (shared: do not modify)."""
        return self.index.by_name

    def is_identifying(self, name: str) -> bool:
        """Whether answers to ``name`` identify someone (its own label or a container's)."""
        return name in self.index.identifying

    def scope_of(self, name: str) -> tuple[str, ...]:
        """The names of the repeat groups that enclose field ``name``, outermost first."""
        return self.index.chains[name]

    def choice_list_for(self, field: FieldDef) -> ChoiceList:
        """The field's choice list; for a ``subdivision_of`` field, every first-level ISO 3166-2
        subdivision (the country answered narrows them, see :mod:`.subdivision_fields`)."""
        if field.subdivision_of is not None:
            from fieldkit.domain.subdivision_fields import subdivision_list  # imports forms

            return subdivision_list(tuple(self.languages))
        if field.choices is None:
            raise KeyError(field.name)
        return self.choice_lists[field.choices]

    def label(self, field: FieldDef, language: str) -> str:
        return localized(field.label, language, tuple(self.languages)) or field.name

    def localized_title(self, language: str) -> str:
        return localized(self.title, language, tuple(self.languages))

    def choice_label(self, field: FieldDef, stored: str, language: str) -> str:
        choice = self.choice_list_for(field).find(stored)
        if choice is None:
            return stored
        return localized(choice.label, language, tuple(self.languages))


def _check_required_entries(fields: list[FieldDef], outer: int) -> None:
    """Refuse a repeat whose entries, multiplied by those of the repeats around it, make a blank
    record need more than :data:`MAX_REQUIRED_ENTRIES` entries."""
    for field in fields:
        count = outer
        if field.type is FieldType.REPEAT:
            count = outer * field.fewest_entries
            if count > MAX_REQUIRED_ENTRIES:
                raise _field_rule(
                    field.name,
                    _(
                        "repeat '{name}' makes a blank record need {count} entries (its fewest "
                        "entries times those of the repeats around it); at most {n} are allowed: "
                        "lower its min_count or that of a repeat around it"
                    ).format(name=field.name, count=count, n=MAX_REQUIRED_ENTRIES),
                )
        if field.fields and count:
            _check_required_entries(field.fields, count)


@dataclass(frozen=True)
class FormIndex:
    """Where each field sits. A *scope* is the whole record or one repeat group, named by the
    chain of repeat groups around it; group fields share the scope of their group."""

    by_name: dict[str, FieldDef]
    chains: dict[str, tuple[str, ...]]
    """For each field, the repeat groups around it, outermost first."""
    parents: dict[str, str | None]
    """For each field, the group or repeat directly around it."""
    members: dict[tuple[str, ...], list[FieldDef]]
    """For each scope, its fields (through groups) in document order."""
    identifying: frozenset[str]
    """Fields whose answers identify someone: marked so, or inside a group or repeat marked so."""
    attachments: frozenset[str] = frozenset()
    """Attachment fields, wherever they sit."""
    repeats: frozenset[str] = frozenset()
    """Repeat groups, wherever they sit."""

    @classmethod
    def of(cls, form: FormDefinition) -> FormIndex:
        by_name: dict[str, FieldDef] = {}
        chains: dict[str, tuple[str, ...]] = {}
        parents: dict[str, str | None] = {}
        members: dict[tuple[str, ...], list[FieldDef]] = {(): []}
        identifying: set[str] = set()
        for path, field in form.walk():
            by_name.setdefault(field.name, field)
            if field.sensitivity is Sensitivity.IDENTIFYING or any(p in identifying for p in path):
                identifying.add(field.name)
            chain = tuple(p for p in path if by_name[p].type is FieldType.REPEAT)
            chains[field.name] = chain
            parents[field.name] = path[-1] if path else None
            members.setdefault(chain, []).append(field)
            if field.type is FieldType.REPEAT:
                members.setdefault((*chain, field.name), [])
        by_type = {t: frozenset(n for n, f in by_name.items() if f.type is t) for t in FieldType}
        return cls(
            by_name,
            chains,
            parents,
            members,
            frozenset(identifying),
            by_type[FieldType.ATTACHMENT],
            by_type[FieldType.REPEAT],
        )


def label_sort_key(text: str) -> str:
    """A sort key for labels that ignores accents and case, for sorting without a collator
    ("Égypte" sorts with "Egypte", "أفغانستان" with "افغانستان")."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def is_expression(value: object) -> bool:
    return isinstance(value, str) and bool(value.strip())


_SLUG = re.compile(r"[^a-z0-9_.-]+")


def slugify_form_id(text: str) -> str:
    """A form id made from free text (used by importers)."""
    slug = _SLUG.sub("-", text.strip().lower()).strip("-._")
    return (slug or "form")[:64]
