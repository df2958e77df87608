"""XLSForm names that fieldkit's name rules do not allow, and the fieldkit names they get.

An XLSForm name is an XML name: besides letters, digits and ``_`` it may hold ``-``, ``.``, ``:``
and letters of any script, and be of any length. A fieldkit name is ASCII letters, digits and
``_``, at most 64 characters. Such a name is mapped: accents are taken off, every other
character becomes ``_`` (a name with no Latin letter or digit becomes ``field``), and a number is
added where two names would meet. The field keeps its XLSForm name in ``xlsform_name`` for
exports, and every ``${name}`` in an expression is rewritten.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from fieldkit.domain.forms import NAME_PATTERN

_NAME = re.compile(NAME_PATTERN)
_NOT_NAME_CHARACTER = re.compile(r"[^A-Za-z0-9_]")
MAX_NAME = 64


def fieldkit_names(names: Iterable[str]) -> dict[str, str]:
    """The fieldkit name of each of ``names`` that needs one, in order; names that fieldkit
    allows as they are keep theirs and are never given to another."""
    names = list(names)
    taken = {name for name in names if _NAME.match(name)}
    mapped: dict[str, str] = {}
    for name in names:
        if name not in taken and name not in mapped:
            mapped[name] = unique_name(name, taken)
    return mapped


def unique_name(wanted: str, taken: set[str]) -> str:
    """A fieldkit name like ``wanted`` that is not in ``taken``; it is added there."""
    base = _ascii_name(wanted)
    candidate, number = base, 1
    while candidate in taken:
        number += 1
        suffix = f"_{number}"
        candidate = base[: MAX_NAME - len(suffix)] + suffix
    taken.add(candidate)
    return candidate


def _ascii_name(name: str) -> str:
    decomposed = unicodedata.normalize("NFKD", name)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    result = _NOT_NAME_CHARACTER.sub("_", plain)
    if not result.replace("_", ""):  # a name in another script: nothing of it is left
        return "field"
    if not result or not (result[0].isalpha() or result[0] == "_"):
        result = "_" + result
    return result[:MAX_NAME]
