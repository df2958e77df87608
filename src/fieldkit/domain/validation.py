"""Checking a record's answers against its form.

``check(form, data)`` normalises every answer, applies relevance (an irrelevant answer is
cleared, and so is everything inside an irrelevant group or repeat), then checks required answers,
constraints and repeat counts. It returns the cleaned data and every problem, each naming the
field (with its repeat instance) and the broken rule.

Data layout: answers are keyed by field name. A group is only a heading: its fields' answers sit
beside it. A repeat group's answer is a list of objects, one per instance, laid out the same way.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fieldkit.domain import expressions
from fieldkit.domain.forms import FieldDef, FieldType, FormDefinition, localized
from fieldkit.domain.values import AnswerError, expression_value, is_empty, normalize
from fieldkit.i18n import _

MAX_REPEAT_INSTANCES = 10_000

Clock = Callable[[], dt.datetime]


def local_now() -> dt.datetime:
    """Now, in the device's own time zone: ``today()`` is the date on the user's calendar."""
    return dt.datetime.now().astimezone()


@dataclass(frozen=True)
class Problem:
    """One broken rule. ``path`` is like ``victims[2].sex`` (instances count from 1)."""

    path: str
    field: str
    rule: str
    message: str

    def describe(self) -> str:
        return f"{self.path}: {self.message}"


@dataclass
class Outcome:
    data: dict[str, Any]
    problems: list[Problem]
    irrelevant: set[str] = field(default_factory=set)
    """Paths of fields (and groups) that are not relevant now."""

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class _Instance:
    """The answers of one scope: the whole record, or one instance of a repeat group."""

    chain: tuple[str, ...]
    path: str
    values: dict[str, Any]
    parent: _Instance | None
    children: dict[str, list[_Instance]] = field(default_factory=dict)


class _Layout:
    """The form and its structure, as the checker and the scopes use them."""

    def __init__(self, form: FormDefinition) -> None:
        index = form.index
        self.form = form
        self.fields = index.by_name
        self.chains = index.chains
        self.members = index.members
        self.parents = index.parents


class _Scope:
    """What an expression sees from one instance (implements expressions.Scope)."""

    def __init__(
        self, layout: _Layout, instance: _Instance, clock: Clock, current: Any = None
    ) -> None:
        self._layout = layout
        self._instance = instance
        self._clock = clock
        self._current = current

    def current(self) -> Any:
        return self._current

    def today(self) -> dt.date:
        return self._clock().date()

    def now(self) -> dt.datetime:
        return self._clock()

    def value(self, name: str) -> Any:
        target = self._layout.chains.get(name)
        if target is None:
            return None
        instance: _Instance | None = self._instance
        while instance is not None and instance.chain != target[: len(instance.chain)]:
            instance = instance.parent
        if instance is None:
            return None
        if instance.chain == target:
            return self._own(instance, name)
        return expressions.Nodeset(self._gather(instance, target[len(instance.chain) :], name))

    def _own(self, instance: _Instance, name: str) -> Any:
        f = self._layout.fields[name]
        if f.type is FieldType.REPEAT:
            return expressions.Nodeset(True for _i in instance.children.get(name, []))
        return expression_value(self._layout.form, f, instance.values.get(name))

    def _gather(self, instance: _Instance, rest: tuple[str, ...], name: str) -> list[Any]:
        items: list[Any] = []
        for child in instance.children.get(rest[0], []):
            if len(rest) == 1:
                own = self._own(child, name)
                items.extend(own if isinstance(own, expressions.Nodeset) else [own])
            else:
                items.extend(self._gather(child, rest[1:], name))
        return items


class _Checker:
    def __init__(self, form: FormDefinition, language: str, clock: Clock) -> None:
        self.form = form
        self.layout = _Layout(form)
        self.language = language
        self.clock = clock
        self.problems: list[Problem] = []
        self.irrelevant: set[str] = set()
        self.refused: set[str] = set()
        """Paths of answers refused as malformed: reported once, not again as missing."""

    def problem(self, path: str, name: str, rule: str, message: str) -> None:
        self.problems.append(Problem(path, name, rule, message))

    # -- building instances -------------------------------------------------------------------

    def build(
        self, raw: Any, chain: tuple[str, ...], path: str, parent: _Instance | None
    ) -> _Instance:
        instance = _Instance(chain, path, {}, parent)
        if not isinstance(raw, dict):
            self.problem(
                path or "/", chain[-1] if chain else "", "type", _("expects an object of answers")
            )
            return instance
        members = {f.name: f for f in self.layout.members.get(chain, [])}
        for key, value in raw.items():
            f = members.get(key)
            where = _join(path, key)
            if f is None:
                self.problem(where, key, "unknown", _("the form has no field with this name here"))
                continue
            if f.type is FieldType.REPEAT:
                instance.children[key] = self.build_repeat(f, value, (*chain, key), where, instance)
            elif f.type in (FieldType.NOTE, FieldType.GROUP):
                if not is_empty(value):
                    self.problem(where, key, "type", _("holds no value"))
            else:
                try:
                    stored = normalize(self.form, f, value)
                except AnswerError as exc:
                    self.problem(where, key, exc.rule, exc.message)
                    self.refused.add(where)
                    continue
                if stored is not None:
                    instance.values[key] = stored
        return instance

    def build_repeat(
        self, f: FieldDef, raw: Any, chain: tuple[str, ...], path: str, parent: _Instance
    ) -> list[_Instance]:
        if raw is None:
            return []
        if not isinstance(raw, list):
            self.problem(path, f.name, "type", _("expects a list of entries"))
            return []
        if len(raw) > MAX_REPEAT_INSTANCES:
            self.problem(path, f.name, "max_count", _("has too many entries"))
            return []
        return [
            self.build(item, chain, f"{path}[{i}]", parent) for i, item in enumerate(raw, start=1)
        ]

    # -- relevance ------------------------------------------------------------------------------

    def evaluate(
        self, source: str, instance: _Instance, where: str, name: str, current: Any = None
    ) -> Any:
        try:
            return expressions.parse(source).evaluate(
                _Scope(self.layout, instance, self.clock, current)
            )
        except expressions.ExpressionError as exc:
            self.problem(where, name, "expression", exc.user_message)
            return None

    def apply_relevance(self, instance: _Instance) -> bool:
        """Clear answers that are not relevant; True if anything changed."""
        changed = False
        hidden_containers: set[str] = set()
        for f in self.layout.members.get(instance.chain, []):
            where = _join(instance.path, f.name)
            parent = self.layout.parents[f.name]
            hidden = parent in hidden_containers and parent not in instance.chain
            if not hidden and f.relevant:
                hidden = not expressions.truthy(self.evaluate(f.relevant, instance, where, f.name))
            if hidden:
                self.irrelevant.add(where)
                hidden_containers.add(f.name)
                if instance.values.pop(f.name, None) is not None:
                    changed = True
                if instance.children.pop(f.name, None):
                    changed = True
            else:
                self.irrelevant.discard(where)
        for instances in instance.children.values():
            for child in instances:
                changed |= self.apply_relevance(child)
        return changed

    # -- rules ----------------------------------------------------------------------------------

    def check_rules(self, instance: _Instance) -> None:
        for f in self.layout.members.get(instance.chain, []):
            where = _join(instance.path, f.name)
            if where in self.irrelevant or f.type in (FieldType.NOTE, FieldType.GROUP):
                continue
            if f.type is FieldType.REPEAT:
                self.check_counts(f, instance, where)
                continue
            value = instance.values.get(f.name)
            if value is None:
                if where not in self.refused and self.is_required(f, instance, where):
                    self.problem(where, f.name, "required", _("is required"))
                continue
            if f.constraint:
                current = expression_value(self.form, f, value)
                result = self.evaluate(f.constraint, instance, where, f.name, current)
                if not expressions.truthy(result):
                    message = localized(
                        f.constraint_message, self.language, tuple(self.form.languages)
                    )
                    self.problem(
                        where, f.name, "constraint", message or _("does not meet its constraint")
                    )
        for instances in instance.children.values():
            for child in instances:
                self.check_rules(child)

    def is_required(self, f: FieldDef, instance: _Instance, where: str) -> bool:
        if isinstance(f.required, bool):
            return f.required
        return expressions.truthy(self.evaluate(f.required, instance, where, f.name))

    def check_counts(self, f: FieldDef, instance: _Instance, where: str) -> None:
        count = len(instance.children.get(f.name, []))
        minimum = max(f.min_count, 1 if self.is_required(f, instance, where) else 0)
        if count < minimum:
            self.problem(
                where,
                f.name,
                "min_count",
                _("needs at least {n} entries").format(n=minimum)
                if minimum > 1
                else _("needs at least one entry"),
            )
        if f.max_count is not None and count > f.max_count:
            self.problem(
                where, f.name, "max_count", _("takes at most {n} entries").format(n=f.max_count)
            )


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _export(instance: _Instance) -> dict[str, Any]:
    data: dict[str, Any] = dict(instance.values)
    for name, children in instance.children.items():
        data[name] = [_export(child) for child in children]
    return data


def check(
    form: FormDefinition,
    data: Any,
    *,
    language: str | None = None,
    clock: Clock = local_now,
) -> Outcome:
    """Check ``data`` against ``form``: the cleaned answers, the problems, the irrelevant paths."""
    checker = _Checker(form, language or form.languages[0], clock)
    root = checker.build(data, (), "", None)
    # Each pass clears at least one answer or stops, so there are at most as many as answers.
    while checker.apply_relevance(root):
        pass
    checker.check_rules(root)
    return Outcome(_export(root), checker.problems, checker.irrelevant)


def with_defaults(
    form: FormDefinition, data: dict[str, Any], clock: Clock = local_now
) -> dict[str, Any]:
    """``data`` with each unanswered field's default filled in (a new record's starting point)."""
    layout = _Layout(form)

    def fill(values: dict[str, Any], chain: tuple[str, ...]) -> dict[str, Any]:
        result = dict(values)
        for f in layout.members.get(chain, []):
            if f.type is FieldType.REPEAT:
                items = result.get(f.name)
                if isinstance(items, list):
                    result[f.name] = [
                        fill(item, (*chain, f.name)) if isinstance(item, dict) else item
                        for item in items
                    ]
            elif f.default is not None and f.name not in result:
                result[f.name] = default_value(f, clock)
        return result

    return fill(data, ())


class _NoFieldsScope:
    """The scope of a default expression, which may use functions but no other field."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock

    def value(self, name: str) -> Any:
        return None

    def current(self) -> Any:
        return None

    def today(self) -> dt.date:
        return self._clock().date()

    def now(self) -> dt.datetime:
        return self._clock()


def default_value(f: FieldDef, clock: Clock = local_now) -> Any:
    """A field's default; a text starting with ``=`` is an expression such as ``=today()``."""
    if isinstance(f.default, str) and f.default.startswith("="):
        value = expressions.parse(f.default[1:]).evaluate(_NoFieldsScope(clock))
        return value if isinstance(value, int | float) else expressions.to_string(value)
    return f.default
