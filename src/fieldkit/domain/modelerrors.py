"""Pydantic's validation errors of a form or vocabulary file, said in fieldkit's words.

Pydantic words its errors in English for programmers ("String should match pattern
'^[a-z0-9]...'", "Field required"). Each common error type is mapped here to a translated
sentence that names the member and says what to do; a translated generic sentence covers the
rest. Errors that fieldkit's own validators raise are translated already and pass through.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from fieldkit.domain.forms import (
    CODE_PATTERN,
    FORM_ID_PATTERN,
    LANGUAGE_PATTERN,
    NAME_PATTERN,
    VERSION_PATTERN,
)
from fieldkit.i18n import _, ngettext

LIST_NAME_PATTERN = r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$"
DICT_KEY = "[key]"
"""The part pydantic adds to a location when a mapping's key (not its value) is wrong."""
OWN_MESSAGES = frozenset({"value_error", "assertion_error", "fieldkit_form"})
"""Error types whose message fieldkit wrote (and translated) itself."""

Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class Described:
    message: str
    loc: Loc
    """Where in the written data the error is (pydantic's union branch names removed)."""
    attribute: str | None
    """The member the message names, if the message names one."""
    error: dict[str, Any]
    """Pydantic's error (the first of a group)."""


def written_location(data: Any, loc: Loc, error_type: str) -> tuple[Loc, bool]:
    """The part of ``loc`` that names places in ``data``, and whether pydantic's location went
    further (into the branches of a union such as ``bool | str``, or to a mapping's key)."""
    node = data
    kept: list[str | int] = []
    for i, part in enumerate(loc):
        if isinstance(node, dict) and part in node:  # noqa: SIM114 - typed apart for mypy
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        else:
            if error_type == "missing" and i == len(loc) - 1 and isinstance(node, dict):
                kept.append(part)
                return tuple(kept), False
            return tuple(kept), True
        kept.append(part)
    return tuple(kept), False


def member_name(loc: Loc) -> str:
    """How the user sees a location's member: its name, or ``languages[2]`` for an entry of a
    list (entries count from 1, as in record problems)."""
    if not loc:
        return _("the document")
    last = loc[-1]
    if isinstance(last, int):
        before = next((p for p in reversed(loc[:-1]) if isinstance(p, str)), "")
        return f"{before}[{last + 1}]"
    return str(last)


def _value(error: dict[str, Any]) -> str:
    value = error.get("input")
    text = value if isinstance(value, str) else repr(value)
    text = " ".join("".join(c if c.isprintable() else " " for c in text).split())
    return text if len(text) <= 40 else text[:39] + "…"


def _expected(error: dict[str, Any]) -> str:
    """The allowed values of an enum or literal, as a plain list of codes."""
    expected = str((error.get("ctx") or {}).get("expected", ""))
    codes = re.findall(r"'([^']*)'", expected)
    return ", ".join(codes) if codes else expected


def _pattern_message(member: str, pattern: str, value: str) -> str:
    if pattern == FORM_ID_PATTERN:
        rule = _(
            "'{member}' takes lowercase letters, digits and _ . - (starting with a letter or "
            "digit, at most 64 characters); change '{value}'"
        )
    elif pattern == NAME_PATTERN:
        rule = _(
            "'{member}' takes letters, digits and underscores (starting with a letter or "
            "underscore, at most 64 characters); change '{value}'"
        )
    elif pattern == VERSION_PATTERN:
        rule = _(
            "'{member}' takes letters, digits and . _ - (starting with a letter or digit, at "
            "most 32 characters); change '{value}'"
        )
    elif pattern == CODE_PATTERN:
        rule = _(
            "'{member}' takes letters, digits and _ . + - (not starting with . + or -, at most "
            "128 characters); change '{value}'"
        )
    elif pattern == LANGUAGE_PATTERN:
        rule = _("'{member}' takes language codes such as en, fr or pt-BR; change '{value}'")
    elif pattern == LIST_NAME_PATTERN:
        rule = _(
            "'{member}' takes letters, digits and _ . - (at most 64 characters); change '{value}'"
        )
    else:
        rule = _("'{member}' does not allow some characters of '{value}'; change it")
    return rule.format(member=member, value=value)


_KINDS = {
    "bool_type": "bool",
    "bool_parsing": "bool",
    "string_type": "str",
    "int_type": "int",
    "int_parsing": "int",
    "int_from_float": "int",
    "float_type": "float",
    "float_parsing": "float",
    "list_type": "list",
    "dict_type": "dict",
    "model_type": "dict",
}


def _kind(name: str) -> str:
    return {
        "bool": _("true or false"),
        "str": _("text"),
        "int": _("a whole number"),
        "float": _("a number"),
        "list": _("a list"),
        "dict": _("a mapping of keys to values"),
    }[name]


def union_message(member: str, error_types: Sequence[str]) -> str:
    """One sentence for a value that fits none of the kinds a member takes."""
    kinds = list(dict.fromkeys(_KINDS[t] for t in error_types if t in _KINDS))
    if not kinds:
        return _generic(member)
    return _("'{member}' takes {kinds}; give it a value of one of these kinds").format(
        member=member, kinds=", ".join(_kind(k) for k in kinds)
    )


def _generic(member: str) -> str:
    return _(
        "'{member}' has a value fieldkit cannot use here; see docs/forms.md for what it takes"
    ).format(member=member)


def message_for(error: dict[str, Any], member: str, key_error: bool = False) -> str:
    """A translated sentence for one pydantic error about ``member``."""
    kind = str(error.get("type", ""))
    ctx = error.get("ctx") or {}
    if kind in OWN_MESSAGES:
        return (
            str(error.get("msg", ""))
            .removeprefix("Value error, ")
            .removeprefix("Assertion failed, ")
        )
    value = _value(error)
    if kind == "missing":
        return _("'{member}' is missing; add it").format(member=member)
    if kind == "extra_forbidden":
        return _(
            "'{member}' is not something fieldkit knows here; check its spelling, or remove it"
        ).format(member=member)
    if kind == "string_pattern_mismatch":
        return _pattern_message(member, str(ctx.get("pattern", "")), value)
    if kind == "string_too_long":
        n = int(ctx.get("max_length", 0))
        return ngettext(
            "'{member}' is longer than {n} character; shorten it",
            "'{member}' is longer than {n} characters; shorten it",
            n,
        ).format(member=member, n=n)
    if kind == "string_too_short":
        n = int(ctx.get("min_length", 0))
        return ngettext(
            "'{member}' needs at least {n} character",
            "'{member}' needs at least {n} characters",
            n,
        ).format(member=member, n=n)
    if kind == "too_long":
        n = int(ctx.get("max_length", 0))
        return ngettext(
            "'{member}' holds more than {n} entry; remove some",
            "'{member}' holds more than {n} entries; remove some",
            n,
        ).format(member=member, n=n)
    if kind == "too_short":
        n = int(ctx.get("min_length", 0))
        return ngettext(
            "'{member}' needs at least {n} entry; add one",
            "'{member}' needs at least {n} entries; add some",
            n,
        ).format(member=member, n=n)
    if kind in ("literal_error", "enum"):
        return _("'{member}' must be one of: {expected}; '{value}' is not one of them").format(
            member=member, expected=_expected(error), value=value
        )
    if kind in ("int_type", "int_parsing", "int_from_float", "int_parsing_size"):
        return _("'{member}' must be a whole number, such as 10").format(member=member)
    if kind in ("float_type", "float_parsing", "finite_number"):
        return _("'{member}' must be a number, such as 2.5").format(member=member)
    if kind in ("bool_type", "bool_parsing"):
        return _("'{member}' must be true or false").format(member=member)
    if kind == "string_type":
        if key_error:
            return _("'{member}' is keyed by text; change the key '{value}'").format(
                member=member, value=value
            )
        return _("'{member}' must be text; put it in quotes if it looks like a number").format(
            member=member
        )
    if kind in ("list_type", "tuple_type", "set_type"):
        return _(
            "'{member}' must be a list: [a, b], or one line per entry starting with '- '"
        ).format(member=member)
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return _(
            "'{member}' must be a mapping: {{key: value}}, or one 'key: value' line per entry"
        ).format(member=member)
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        bounds = {
            "greater_than_equal": _("'{member}' must be at least {n}"),
            "greater_than": _("'{member}' must be more than {n}"),
            "less_than_equal": _("'{member}' must be at most {n}"),
            "less_than": _("'{member}' must be less than {n}"),
        }
        bound = next(iter(ctx.values()), "")
        return bounds[kind].format(member=member, n=bound)
    return _generic(member)


def describe(
    errors: Sequence[Any],
    data: Any,
    locate: Callable[[Any, Loc], Loc] | None = None,
) -> list[Described]:
    """Each error, or each group of errors about one value (the branches of a union such as
    ``bool | str``), as one translated sentence. ``locate`` turns a model location into the
    location of the same value in ``data``."""
    groups: list[tuple[Loc, list[dict[str, Any]], bool]] = []
    unions: dict[Loc, int] = {}
    for error in errors:
        loc = tuple(error["loc"])
        loc = locate(data, loc) if locate else loc
        kind = str(error.get("type", ""))
        if kind in OWN_MESSAGES:
            groups.append((loc, [error], False))
            continue
        written, further = written_location(data, loc, kind)
        key_error = further and loc[len(written) : len(written) + 1] == (DICT_KEY,)
        if key_error:
            groups.append((written[:-1], [error], True))
        elif further and written in unions:
            groups[unions[written]][1].append(error)
        else:
            if further:
                unions[written] = len(groups)
            groups.append((written, [error], False))
    described = []
    for loc, items, key_error in groups:
        member = member_name(loc)
        kind = str(items[0].get("type", ""))
        if kind in OWN_MESSAGES:
            described.append(Described(message_for(items[0], member), loc, None, items[0]))
        elif len(items) > 1:
            kinds = [str(e.get("type", "")) for e in items]
            described.append(Described(union_message(member, kinds), loc, member, items[0]))
        else:
            described.append(
                Described(message_for(items[0], member, key_error), loc, member, items[0])
            )
    return described
