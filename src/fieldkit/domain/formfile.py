"""Reading form definitions and vocabularies from YAML text.

The text is untrusted: it may come from a colleague's USB stick. The reader refuses anchors and
aliases (no "billion laughs"), duplicate keys and over-deep nesting, caps the size, and reads
``yes``/``no``/``on``/``off`` as strings (YAML 1.2), so a choice coded ``no`` stays ``"no"``.
Every problem is reported with the file, the line, the field and, for expressions, the column.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import yaml
from pydantic import ValidationError

from fieldkit.domain import expressions, modelerrors
from fieldkit.domain.forms import FIELD_CONTEXT, ChoiceList, FieldDef, FieldType, FormDefinition
from fieldkit.domain.validation import default_value
from fieldkit.domain.values import AnswerError, normalize
from fieldkit.errors import InvalidInputError
from fieldkit.i18n import _

MAX_FORM_BYTES = 2 * 1024 * 1024
MAX_YAML_DEPTH = 40

VocabularyResolver = Callable[[str, str | None], ChoiceList | None]
"""Finds a vocabulary by name and, optionally, version; None when there is no such vocabulary."""


@dataclass(frozen=True)
class FormProblem:
    message: str
    line: int | None = None
    field: str | None = None
    attribute: str | None = None
    column: int | None = None
    attribute_named: bool = False
    """The message names the attribute itself, so the line does not repeat it."""

    def describe(self, source_name: str) -> str:
        where = source_name + (f":{self.line}" if self.line else "")
        parts = [where]
        if self.field:
            parts.append(_("field '{name}'").format(name=self.field))
        if self.attribute and not self.attribute_named:
            parts.append(self.attribute)
        text = ", ".join(parts[1:])
        head = f"{parts[0]}: {text}: " if text else f"{parts[0]}: "
        tail = self.message
        if self.column is not None:
            tail = _("{message} at column {column}").format(message=tail, column=self.column)
        return head + tail


class FormError(InvalidInputError):
    """A form definition or vocabulary that cannot be used; carries every problem found."""

    def __init__(self, source_name: str, problems: list[FormProblem]) -> None:
        self.source_name = source_name
        self.problems = problems
        first = problems[0].describe(source_name)
        if len(problems) > 1:
            first += " " + _("(and {n} more problems)").format(n=len(problems) - 1)
        super().__init__(first)

    def lines(self) -> list[str]:
        return [problem.describe(self.source_name) for problem in self.problems]


# -- strict YAML ---------------------------------------------------------------------------------


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader without anchors, aliases or YAML 1.1 booleans."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()  # type: ignore[no-untyped-call]
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise _YamlRefusedError(
                _("anchors and aliases are not allowed"), event.start_mark.line + 1
            )
        if len(self._depth_stack) >= MAX_YAML_DEPTH:
            raise _YamlRefusedError(
                _("nested more than {n} levels deep").format(n=MAX_YAML_DEPTH),
                event.start_mark.line + 1,
            )
        self._depth_stack.append(None)
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth_stack.pop()

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth_stack: list[None] = []


# Booleans are only true/false (YAML 1.2), and dates stay text: fieldkit reads dates itself.
_DROPPED_TAGS = ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:timestamp")
_StrictLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag not in _DROPPED_TAGS]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_StrictLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)


class _YamlRefusedError(Exception):
    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


Path_ = tuple[str | int, ...]


def _index_nodes(node: yaml.Node, path: Path_, lines: dict[Path_, int]) -> None:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            if key in seen:
                raise _YamlRefusedError(
                    _("key '{key}' appears twice").format(key=key), key_node.start_mark.line + 1
                )
            seen.add(key)
            _index_nodes(value_node, (*path, key), lines)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _index_nodes(item, (*path, i), lines)


def read_yaml(untrusted_text: str | bytes, source_name: str) -> tuple[Any, dict[Path_, int]]:
    """Parse one YAML document strictly; return the data and a map from data path to line."""
    if isinstance(untrusted_text, bytes):
        if len(untrusted_text) > MAX_FORM_BYTES:
            raise _too_big(source_name)
        try:
            text = untrusted_text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise FormError(
                source_name,
                [FormProblem(_("the file is not UTF-8 text (byte {n})").format(n=exc.start))],
            ) from None
    else:
        text = untrusted_text
    if len(text.encode("utf-8", "surrogatepass")) > MAX_FORM_BYTES:
        raise _too_big(source_name)
    if "\x00" in text:
        raise FormError(source_name, [FormProblem(_("the file contains a NUL character"))])
    loader: _StrictLoader | None = None
    try:
        loader = _StrictLoader(text)
        node = loader.get_single_node()
        if node is None:
            raise FormError(source_name, [FormProblem(_("the file is empty"))])
        lines: dict[Path_, int] = {}
        _index_nodes(node, (), lines)
        data = loader.construct_document(node)
    except _YamlRefusedError as exc:
        raise FormError(source_name, [FormProblem(exc.message, line=exc.line)]) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        message = _("not valid YAML: {problem}").format(problem=exc.problem or exc.context or "")
        raise FormError(source_name, [FormProblem(message, line=line)]) from None
    except yaml.YAMLError as exc:
        reason = getattr(exc, "reason", None) or _("not valid YAML")
        raise FormError(
            source_name, [FormProblem(_("not valid YAML: {problem}").format(problem=reason))]
        ) from None
    except (RecursionError, ValueError, TypeError, OverflowError):
        raise FormError(source_name, [FormProblem(_("not valid YAML"))]) from None
    finally:
        if loader is not None:
            loader.dispose()
    return data, lines


def _is_format_one(marker: object) -> bool:
    return type(marker) is int and marker == 1


def _too_big(source_name: str) -> FormError:
    return FormError(
        source_name,
        [
            FormProblem(
                _("the file is larger than {n} MiB").format(n=MAX_FORM_BYTES // 1024 // 1024)
            )
        ],
    )


def _line_for(lines: dict[Path_, int], loc: Iterable[str | int]) -> int | None:
    path = tuple(loc)
    while path:
        if path in lines:
            return lines[path]
        path = path[:-1]
    return lines.get(())


def _field_path(data: Any, loc: tuple[str | int, ...]) -> str | None:
    """The name of the innermost field that ``loc`` points into, if any."""
    name = None
    node = data
    for part in loc:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            break
        if isinstance(node, dict) and "name" in node and "type" in node:
            name = str(node["name"])
    return name


def _file_location(data: Any, loc: tuple[str | int, ...]) -> tuple[str | int, ...]:
    """Where in the file a location of the validated model is: form-local lists were written
    under ``choices``, either as a list or as a mapping with its own ``choices``."""
    if not loc or loc[0] != "choice_lists" or len(loc) < 2:
        return loc
    written = data.get("choices", {}) if isinstance(data, dict) else {}
    entry = written.get(loc[1]) if isinstance(written, dict) else None
    if isinstance(entry, list) and len(loc) > 2 and loc[2] == "choices":
        return ("choices", loc[1], *loc[3:])
    if entry is not None:
        return ("choices", *loc[1:])
    return loc


def _pydantic_problems(
    exc: ValidationError, data: Any, lines: dict[Path_, int]
) -> list[FormProblem]:
    """Pydantic's errors as problems in fieldkit's words (see :mod:`modelerrors`), each at the
    line, field and attribute it is about."""
    field_lines = _field_lines(data, lines)
    problems = []
    for described in modelerrors.describe(exc.errors(include_url=False), data, _file_location):
        loc = described.loc
        # The attribute is the last named part of the location, if it names one.
        last = loc[-1] if loc else None
        attribute = (
            last if isinstance(last, str) and last not in ("fields", "choice_lists") else None
        )
        field_name = _field_path(data, loc)
        line = _line_for(lines, loc)
        named = (described.error.get("ctx") or {}).get(FIELD_CONTEXT)
        if isinstance(named, str):
            field_name, attribute = named, None
            line = field_lines.get(named) or line
        problems.append(
            FormProblem(
                described.message,
                line=line,
                field=field_name,
                attribute=attribute,
                attribute_named=attribute is not None and attribute == described.attribute,
            )
        )
    return problems


def _check_default(form: FormDefinition, field: FieldDef, line: int | None) -> list[FormProblem]:
    default = field.default
    if default is None:
        return []
    if isinstance(default, str) and default.startswith("="):
        try:
            expression = expressions.parse(default[1:])
        except expressions.ExpressionError as exc:
            return [FormProblem(exc.message, line, field.name, "default", exc.column + 1)]
        if expression.references or expression.uses_current:
            return [
                FormProblem(
                    _("a default expression may use functions such as today(), not other fields"),
                    line,
                    field.name,
                    "default",
                )
            ]
        try:
            normalize(form, field, default_value(field))
        except (AnswerError, expressions.ExpressionError) as exc:
            reason = exc.message if isinstance(exc, AnswerError) else exc.user_message
            return [
                FormProblem(
                    _("the default expression gives a value that does not fit: {reason}").format(
                        reason=reason
                    ),
                    line,
                    field.name,
                    "default",
                )
            ]
        return []
    try:
        normalize(form, field, default)
    except AnswerError as exc:
        return [FormProblem(exc.message, line, field.name, "default")]
    return []


# -- vocabularies --------------------------------------------------------------------------------


def load_vocabulary(untrusted_text: str | bytes, source_name: str) -> ChoiceList:
    """A controlled vocabulary from its data file."""
    data, lines = read_yaml(untrusted_text, source_name)
    if not isinstance(data, dict) or not _is_format_one(data.get("fieldkit_vocabulary")):
        raise FormError(
            source_name,
            [FormProblem(_("not a fieldkit vocabulary (expected 'fieldkit_vocabulary: 1')"))],
        )
    body = {k: v for k, v in data.items() if k != "fieldkit_vocabulary"}
    body["vocabulary"] = True
    if isinstance(body.get("version"), int):
        body["version"] = str(body["version"])
    try:
        return ChoiceList.model_validate(body)
    except ValidationError as exc:
        raise FormError(source_name, _pydantic_problems(exc, data, lines)) from None


# -- forms ---------------------------------------------------------------------------------------


def load_form(
    untrusted_text: str | bytes,
    source_name: str,
    vocabularies: VocabularyResolver | None = None,
) -> FormDefinition:
    """A complete form from its YAML (or JSON) text, with its vocabularies resolved and every
    expression checked. Raises :class:`FormError` listing every problem found."""
    data, lines = read_yaml(untrusted_text, source_name)
    if not isinstance(data, dict) or not _is_format_one(data.get("fieldkit_form")):
        raise FormError(
            source_name, [FormProblem(_("not a fieldkit form (expected 'fieldkit_form: 1')"))]
        )
    return form_from_data(data, source_name, vocabularies, lines)


def form_from_data(
    data: dict[str, Any],
    source_name: str,
    vocabularies: VocabularyResolver | None = None,
    lines: dict[Path_, int] | None = None,
) -> FormDefinition:
    lines = lines or {}
    body = dict(data)
    problems: list[FormProblem] = []
    if "choice_lists" in body:
        problems.append(
            FormProblem(
                _("'choice_lists' is not part of a form file; write 'choices' and 'vocabularies'"),
                _line_for(lines, ["choice_lists"]),
            )
        )
    body.pop("choice_lists", None)
    choice_lists: dict[str, Any] = {}
    local = body.pop("choices", None) or {}
    if not isinstance(local, dict):
        problems.append(
            FormProblem(
                _("'choices' must map list names to choices"), _line_for(lines, ["choices"])
            )
        )
        local = {}
    for name, items in local.items():
        if isinstance(items, dict):
            if {"vocabulary", "version"} & set(items):
                problems.append(
                    FormProblem(
                        _("a form's own list cannot be a vocabulary; vocabularies are data files"),
                        _line_for(lines, ["choices", name]),
                    )
                )
            choice_lists[str(name)] = {"name": str(name), **items}
        else:
            choice_lists[str(name)] = {"name": str(name), "choices": items}
    wanted = body.pop("vocabularies", None) or []
    if isinstance(wanted, dict):
        wanted_items = [(str(k), None if v is None else str(v)) for k, v in wanted.items()]
    elif isinstance(wanted, list):
        wanted_items = [(str(k), None) for k in wanted]
    else:
        wanted_items = []
        problems.append(
            FormProblem(
                _("'vocabularies' must be a list of names"), _line_for(lines, ["vocabularies"])
            )
        )
    for name, version in wanted_items:
        vocabulary = vocabularies(name, version) if vocabularies else None
        if vocabulary is None:
            what = f"{name}@{version}" if version else name
            problems.append(
                FormProblem(
                    _("vocabulary '{name}' is not available").format(name=what),
                    _line_for(lines, ["vocabularies"]),
                )
            )
            continue
        if name in choice_lists:
            problems.append(
                FormProblem(
                    _("'{name}' is both a vocabulary and a form choice list").format(name=name),
                    _line_for(lines, ["choices", name]),
                )
            )
        choice_lists[name] = vocabulary.model_dump(mode="json")
    if problems:
        raise FormError(source_name, problems)
    body["choice_lists"] = choice_lists
    try:
        form = FormDefinition.model_validate(body)
    except ValidationError as exc:
        raise FormError(source_name, _pydantic_problems(exc, data, lines)) from None
    expression_problems = check_expressions(form, _field_lines(data, lines))
    if expression_problems:
        raise FormError(source_name, expression_problems)
    return form


def _field_lines(data: Any, lines: dict[Path_, int]) -> dict[str, int]:
    """Line of each field's ``name:`` in the file, to point problems found after parsing."""
    found: dict[str, int] = {}

    def visit(items: Any, path: Path_) -> None:
        if not isinstance(items, list):
            return
        for i, item in enumerate(items):
            if isinstance(item, dict) and "name" in item:
                found[str(item["name"])] = lines.get((*path, i), 0)
                visit(item.get("fields"), (*path, i, "fields"))

    visit(data.get("fields") if isinstance(data, dict) else None, ("fields",))
    return found


_EXPRESSION_ATTRIBUTES = ("relevant", "constraint", "required")
_CURRENT = re.compile(r"(?<![\w.])\.(?![\w.])")


def _reference_column(source: str, name: str) -> int | None:
    match = re.search(r"\$\{" + re.escape(name) + r"\}", source)
    return match.start() + 1 if match else None


def _current_column(source: str) -> int | None:
    """Column of ``.`` standing for the field's value (not a decimal point, not in a string)."""
    quoted = re.sub(r"'[^']*'|\"[^\"]*\"", lambda m: " " * len(m.group(0)), source)
    match = _CURRENT.search(quoted)
    return match.start() + 1 if match else None


def check_expressions(
    form: FormDefinition, field_lines: dict[str, int] | None = None
) -> list[FormProblem]:
    """Parse every expression of ``form``; check the names it uses and where ``.`` may appear."""
    field_lines = field_lines or {}
    names = form.fields_by_name()
    problems: list[FormProblem] = []
    for _path, field in form.walk():
        for attribute in _EXPRESSION_ATTRIBUTES:
            source = getattr(field, attribute)
            if not isinstance(source, str) or not source.strip():
                continue
            line = field_lines.get(field.name) or None
            try:
                expression = expressions.parse(source)
            except expressions.ExpressionError as exc:
                problems.append(FormProblem(exc.message, line, field.name, attribute, exc.column))
                continue
            for ref in sorted(expression.references):
                if ref not in names:
                    problems.append(
                        FormProblem(
                            _("unknown field ${{{name}}}").format(name=ref),
                            line,
                            field.name,
                            attribute,
                            _reference_column(source, ref),
                        )
                    )
                elif names[ref].type in (FieldType.NOTE, FieldType.GROUP):
                    problems.append(
                        FormProblem(
                            _("${{{name}}} holds no value").format(name=ref),
                            line,
                            field.name,
                            attribute,
                            _reference_column(source, ref),
                        )
                    )
            if expression.uses_current and attribute != "constraint":
                problems.append(
                    FormProblem(
                        _("'.' (this field's value) may appear only in a constraint"),
                        line,
                        field.name,
                        attribute,
                        _current_column(source),
                    )
                )
        problems.extend(_check_default(form, field, field_lines.get(field.name) or None))
    return problems
