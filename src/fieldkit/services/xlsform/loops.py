"""``begin loop over LIST``: the choices a loop repeats over, the names inside it, and the texts of
each copy, as pyxform's ``SurveyElementBuilder`` expands a loop into one group per choice."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

_PLACEHOLDERS = ("%(name)s", "%(label)s")


def loop_choices(columns: Any) -> list[dict[str, Any]]:
    """The choices of the loop's list, without ``none`` (which pyxform leaves out too)."""
    if not isinstance(columns, list):
        return []
    return [
        c for c in columns if isinstance(c, dict) and c.get("name") and str(c["name"]) != "none"
    ]


def loop_names(children: list[Any]) -> list[str]:
    """Every name inside the loop, nested groups included: each copy gets names of its own."""
    return list(dict.fromkeys(_names(children)))


def _names(children: Any) -> Iterator[str]:
    if not isinstance(children, list):
        return
    for child in children:
        if isinstance(child, dict):
            if isinstance(child.get("name"), str):
                yield child["name"]
            yield from _names(child.get("children"))


def substitute(element: dict[str, Any], choice: dict[str, Any]) -> dict[str, Any]:
    """A copy of a field of the loop for ``choice``: ``%(name)s`` and ``%(label)s`` in its texts
    (and in the texts one level down, such as each language of a label, or the bind) replaced
    by the choice's name and label. Other ``%`` signs stay as written."""
    result = dict(element)
    for key, value in element.items():
        if key == "name":
            continue
        if isinstance(value, str):
            result[key] = _fill(value, choice, None)
        elif isinstance(value, Mapping):
            result[key] = {
                k: _fill(v, choice, k) if isinstance(v, str) else v for k, v in value.items()
            }
    return result


def _fill(text: str, choice: dict[str, Any], language: Any) -> str:
    if not any(p in text for p in _PLACEHOLDERS):
        return text
    label = choice.get("label")
    if isinstance(label, Mapping):
        label = label.get(language) or next(iter(label.values()), "")
    name = str(choice.get("name", ""))
    return text.replace("%(name)s", name).replace("%(label)s", str(label or name))
