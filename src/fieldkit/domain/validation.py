"""Checking a record's answers against its form.

``check(form, data)`` normalises every answer, applies relevance (an irrelevant answer is
cleared, and so is everything inside an irrelevant group or repeat), then checks required answers,
constraints, repeat counts and that a region (a ``subdivision_of`` field) belongs to the country
answered. It returns the cleaned data and every problem, each naming the field (with its repeat
instance) and the broken rule. Defaults (:mod:`.defaults`) are importable from here too.

Data layout: answers are keyed by field name. A group is only a heading: its fields' answers sit
beside it. A repeat group's answer is a list of objects, one per instance, laid out the same way.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any, cast

from fieldkit.domain import expressions
from fieldkit.domain.defaults import Clock as Clock
from fieldkit.domain.defaults import default_value as default_value
from fieldkit.domain.defaults import entry_defaults as entry_defaults
from fieldkit.domain.defaults import local_now as local_now
from fieldkit.domain.defaults import with_defaults as with_defaults
from fieldkit.domain.forms import FieldDef, FieldType, FormDefinition, localized
from fieldkit.domain.subdivision_fields import subdivision_problem
from fieldkit.domain.values import AnswerError, expression_valuer, is_empty, normalizer
from fieldkit.i18n import _

MAX_REPEAT_INSTANCES = 10_000


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


@dataclass(eq=False)
class _Instance:
    """The answers of one scope: the whole record, or one instance of a repeat group."""

    chain: tuple[str, ...]
    path: str
    values: dict[str, Any]
    parent: _Instance | None
    children: dict[str, list[_Instance]] = field(default_factory=dict)
    hidden: set[str] = field(default_factory=set)
    """Names of this scope's fields that are not relevant now."""
    refused: set[str] = field(default_factory=set)
    """Names of answers refused as malformed: reported once, not again as missing."""
    scope: _Scope | None = None


_VALUE, _REPEAT, _VALUELESS = 0, 1, 2

_Rule = tuple[str, "expressions.Expression | None"]
"""An expression's source and, when it parses, its parsed form."""


def _rule(source: str) -> _Rule:
    try:
        return source, expressions.parse(source)
    except expressions.ExpressionError:
        return source, None  # reported as a problem each time it is evaluated, as before


class _FieldPlan:
    """One field as the checker uses it, prepared once per form."""

    __slots__ = (
        "constraint",
        "country",
        "field",
        "kind",
        "name",
        "normalize",
        "outer",
        "relevant",
        "required",
        "value_of",
    )

    def __init__(self, form: FormDefinition, f: FieldDef, chain: tuple[str, ...]) -> None:
        self.field = f
        self.name = f.name
        if f.type is FieldType.REPEAT:
            self.kind = _REPEAT
        elif f.type in (FieldType.NOTE, FieldType.GROUP):
            self.kind = _VALUELESS
        else:
            self.kind = _VALUE
        parent = form.index.parents[f.name]
        self.outer = parent if parent is not None and parent not in chain else None
        """The group around this field in the same scope, if any: hidden with it."""
        self.relevant = _rule(f.relevant) if f.relevant else None
        self.constraint = _rule(f.constraint) if f.constraint else None
        self.required: bool | _Rule = (
            f.required if isinstance(f.required, bool) else _rule(f.required)
        )
        self.normalize = normalizer(form, f) if self.kind == _VALUE else None
        self.value_of = expression_valuer(form, f) if self.kind == _VALUE else None
        self.country = f.subdivision_of
        """For a subdivision field, the country field its answer must be a region of."""


class _Plan:
    """The form's structure and rules, prepared once per form (forms are immutable)."""

    def __init__(self, form: FormDefinition) -> None:
        index = form.index
        self.form = form
        self.chains = index.chains
        self.members: dict[tuple[str, ...], list[_FieldPlan]] = {
            chain: [_FieldPlan(form, f, chain) for f in fields]
            for chain, fields in index.members.items()
        }
        self.by_name: dict[tuple[str, ...], dict[str, _FieldPlan]] = {
            chain: {p.name: p for p in plans} for chain, plans in self.members.items()
        }
        self.fields: dict[str, _FieldPlan] = {
            p.name: p for plans in self.members.values() for p in plans
        }


_PLAN_KEY = "validation"


def _plan(form: FormDefinition) -> _Plan:
    plan = form.derived.get(_PLAN_KEY)
    if plan is None:
        plan = form.derived[_PLAN_KEY] = _Plan(form)
    return cast(_Plan, plan)


class _Scope:
    """What an expression sees from one instance (implements expressions.Scope)."""

    __slots__ = ("_clock", "_current", "_instance", "_plan")

    def __init__(self, plan: _Plan, instance: _Instance, clock: Clock) -> None:
        self._plan = plan
        self._instance = instance
        self._clock = clock
        self._current: Any = None

    def current(self) -> Any:
        return self._current

    def today(self) -> dt.date:
        return self._clock().date()

    def now(self) -> dt.datetime:
        return self._clock()

    def value(self, name: str) -> Any:
        target = self._plan.chains.get(name)
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
        f = self._plan.fields[name]
        if f.kind == _REPEAT:
            return expressions.Nodeset(True for _i in instance.children.get(name, []))
        if f.value_of is None:
            return None
        return f.value_of(instance.values.get(name))

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
        self.plan = _plan(form)
        self.language = language
        self.clock = clock
        self.problems: list[Problem] = []
        self.instances: list[_Instance] = []
        """Every instance built, so that the irrelevant paths of dropped ones are kept too."""
        self.refused_names: set[str] = set()
        """Names of the fields with an answer refused somewhere."""

    def problem(self, path: str, name: str, rule: str, message: str) -> None:
        self.problems.append(Problem(path, name, rule, message))

    # -- building instances -------------------------------------------------------------------

    def build(
        self, raw: Any, chain: tuple[str, ...], path: str, parent: _Instance | None
    ) -> _Instance:
        instance = _Instance(chain, path, {}, parent)
        self.instances.append(instance)
        if not isinstance(raw, dict):
            self.problem(
                path or "/", chain[-1] if chain else "", "type", _("expects an object of answers")
            )
            return instance
        members = self.plan.by_name.get(chain, {})
        values = instance.values
        for key, value in raw.items():
            f = members.get(key)
            if f is None:
                self.problem(
                    _join(path, key), key, "unknown", _("the form has no field with this name here")
                )
                continue
            if f.normalize is not None:
                try:
                    stored = f.normalize(value)
                except AnswerError as exc:
                    self.problem(_join(path, key), key, exc.rule, exc.message)
                    instance.refused.add(key)
                    self.refused_names.add(key)
                    continue
                if stored is not None:
                    values[key] = stored
            elif f.kind == _REPEAT:
                where = _join(path, key)
                instance.children[key] = self.build_repeat(
                    f.field, value, (*chain, key), where, instance
                )
            elif not is_empty(value):
                self.problem(_join(path, key), key, "type", _("holds no value"))
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

    def evaluate(self, rule: _Rule, instance: _Instance, name: str, current: Any = None) -> Any:
        scope = instance.scope
        if scope is None:
            scope = instance.scope = _Scope(self.plan, instance, self.clock)
        source, parsed = rule
        scope._current = current  # set for every evaluation: None unless a constraint's own
        try:
            if parsed is None:
                parsed = expressions.parse(source)
            return parsed.evaluate(scope)
        except expressions.ExpressionError as exc:
            self.problem(_join(instance.path, name), name, "expression", exc.user_message)
            return None

    def apply_relevance(self, instance: _Instance) -> bool:
        """Clear answers that are not relevant; True if anything changed."""
        changed = False
        hidden_names = instance.hidden
        hidden_containers: set[str] = set()
        truthy = expressions.truthy
        for f in self.plan.members.get(instance.chain, []):
            name = f.name
            hidden = f.outer is not None and f.outer in hidden_containers
            if not hidden and f.relevant is not None:
                hidden = not truthy(self.evaluate(f.relevant, instance, name))
            if hidden:
                hidden_names.add(name)
                hidden_containers.add(name)
                if instance.values.pop(name, None) is not None:
                    changed = True
                if instance.children.pop(name, None):
                    changed = True
            elif hidden_names:
                hidden_names.discard(name)
        for instances in instance.children.values():
            for child in instances:
                changed |= self.apply_relevance(child)
        return changed

    # -- rules ----------------------------------------------------------------------------------

    def check_rules(self, instance: _Instance) -> None:
        hidden = instance.hidden
        values = instance.values
        for f in self.plan.members.get(instance.chain, []):
            if f.kind == _VALUELESS or f.name in hidden:
                continue
            if f.kind == _REPEAT:
                self.check_counts(f, instance)
                continue
            value = values.get(f.name)
            if value is None:
                if f.name not in instance.refused and self.is_required(f, instance):
                    self.problem(_join(instance.path, f.name), f.name, "required", _("is required"))
                continue
            if f.country is not None and not self.sees_refused(instance, f.country):
                self.check_subdivision(f, instance, f.country, value)
            if f.constraint is not None and not self.uses_refused(f.constraint, instance):
                current = f.value_of(value) if f.value_of is not None else value
                result = self.evaluate(f.constraint, instance, f.name, current)
                if not expressions.truthy(result):
                    message = localized(
                        f.field.constraint_message, self.language, tuple(self.form.languages)
                    )
                    self.problem(
                        _join(instance.path, f.name),
                        f.name,
                        "constraint",
                        message or _("does not meet its constraint"),
                    )
        for instances in instance.children.values():
            for child in instances:
                self.check_rules(child)

    def check_subdivision(
        self, f: _FieldPlan, instance: _Instance, country: str, value: Any
    ) -> None:
        """A subdivision answer is a region of the country answered beside it (or around it)."""
        scope = instance.scope = instance.scope or _Scope(self.plan, instance, self.clock)
        answered = scope.value(country)
        answered = answered if isinstance(answered, str) else None
        message = subdivision_problem(self.form, f.field, value, answered, self.language)
        if message is not None:
            self.problem(_join(instance.path, f.name), f.name, "subdivision", message)

    def uses_refused(self, rule: _Rule, instance: _Instance) -> bool:
        """Whether ``rule`` uses an answer refused as malformed: that answer is reported once,
        on its own field, and the rule is not checked (it would report a false knock-on)."""
        parsed = rule[1]
        if parsed is None or not self.refused_names:
            return False
        return any(
            self.sees_refused(instance, name)
            for name in parsed.references
            if name in self.refused_names
        )

    def sees_refused(self, instance: _Instance, name: str) -> bool:
        target = self.plan.chains.get(name)
        if target is None:
            return False
        scope: _Instance | None = instance
        while scope is not None and scope.chain != target[: len(scope.chain)]:
            scope = scope.parent
        if scope is None:
            return False
        if scope.chain == target:
            return name in scope.refused
        inside = scope.path + "[" if scope.path else ""
        return any(
            name in other.refused and other.chain == target and other.path.startswith(inside)
            for other in self.instances
        )

    def mark_refused(self, paths: Collection[str]) -> None:
        """Answers the caller could not read and left out of the data (see :func:`check`)."""
        wanted = set(paths)
        for instance in self.instances:
            for f in self.plan.members.get(instance.chain, []):
                if _join(instance.path, f.name) in wanted:
                    instance.refused.add(f.name)
                    self.refused_names.add(f.name)

    def is_required(self, f: _FieldPlan, instance: _Instance) -> bool:
        if isinstance(f.required, bool):
            return f.required
        return expressions.truthy(self.evaluate(f.required, instance, f.name))

    def check_counts(self, f: _FieldPlan, instance: _Instance) -> None:
        count = len(instance.children.get(f.name, []))
        minimum = max(f.field.min_count, 1 if self.is_required(f, instance) else 0)
        where = _join(instance.path, f.name)
        if count < minimum:
            self.problem(
                where,
                f.name,
                "min_count",
                _("needs at least {n} entries").format(n=minimum)
                if minimum > 1
                else _("needs at least one entry"),
            )
        max_count = f.field.max_count
        if max_count is not None and count > max_count:
            self.problem(
                where, f.name, "max_count", _("takes at most {n} entries").format(n=max_count)
            )

    def irrelevant(self) -> set[str]:
        return {
            _join(instance.path, name) for instance in self.instances for name in instance.hidden
        }


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
    refused: Collection[str] = (),
) -> Outcome:
    """Check ``data`` against ``form``: the cleaned answers, the problems, the irrelevant paths.

    An answer that fails its own type check is reported once, on its field; it counts as
    unanswered, and constraints that use it are not checked. ``refused`` names the paths of
    answers the caller could not read and left out of ``data`` (the editor's unreadable typing):
    they are treated the same way, without a problem of their own here."""
    checker = _Checker(form, language or form.languages[0], clock)
    root = checker.build(data, (), "", None)
    if refused:
        checker.mark_refused(refused)
    # Each pass clears at least one answer or stops, so there are at most as many as answers.
    while checker.apply_relevance(root):
        pass
    checker.check_rules(root)
    return Outcome(_export(root), checker.problems, checker.irrelevant())


def constraint_references(form: FormDefinition, name: str) -> frozenset[str]:
    """The other fields that field ``name``'s constraint uses (empty for a constraint on the
    answer alone, or one that does not parse)."""
    plan = _plan(form).fields.get(name)
    if plan is None or plan.constraint is None or plan.constraint[1] is None:
        return frozenset()
    return plan.constraint[1].references - {name}
