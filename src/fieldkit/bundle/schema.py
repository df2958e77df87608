"""Strict JSON for untrusted input: one parse, exact schemas, no surprises.

The standard library's parser is lenient: it takes the last of duplicate keys, accepts NaN and
floats, lone UTF-16 surrogates and any nesting until the interpreter's recursion limit. Here a
document must be UTF-8, free of duplicate keys, NaN and lone surrogates, nested at most
``max_depth`` deep and, where asked, byte-identical to its RFC 8785 canonical form (so that one
value has one encoding and a signature over the bytes is a signature over the value). Numbers
with a fraction or an exponent are refused, except in documents that carry answers (revisions
and form definitions: decimals, coordinates), which ask for them with ``fractions=True``.

Checks raise :class:`SchemaError` with a translated detail that names a field, never its content.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
import unicodedata
from collections.abc import Mapping
from typing import Any, NoReturn
from urllib.parse import urlsplit

from fieldkit.domain.records import canonical_json
from fieldkit.i18n import _


class SchemaError(ValueError):
    """A value breaks the schema; ``detail`` is translated and names the field."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


HEX32 = re.compile(r"[0-9a-f]{32}\Z")
HEX64 = re.compile(r"[0-9a-f]{64}\Z")
HEX128 = re.compile(r"[0-9a-f]{128}\Z")
TIMESTAMP = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z\Z")
SURROGATE = re.compile("[\ud800-\udfff]")
MAX_SAFE_INT = 2**53 - 1
MAX_TEXT_CHARS = 200
MAX_URL_CHARS = 2048
_ALLOWED_FORMAT_CHARS = frozenset("\u200c\u200d")  # ZWNJ, ZWJ: needed by Persian and Indic text


def _reject_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise SchemaError(_("a JSON object repeats a key"))
        result[key] = value
    return result


def _reject_float(_text: str) -> NoReturn:
    raise SchemaError(_("a number is not a whole number"))


def _reject_constant(_text: str) -> NoReturn:
    raise SchemaError(_("a number is not finite"))


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # 1e400
        raise SchemaError(_("a number is not finite"))
    return value


def load_json(untrusted: bytes, *, max_depth: int, canonical: bool, fractions: bool = False) -> Any:
    """Parse ``untrusted`` strictly; with ``canonical``, also require RFC 8785 form.

    With ``fractions``, finite numbers with a fraction or an exponent are accepted (as floats);
    in canonical form they must then be written as RFC 8785 writes them (ECMAScript's shortest
    round-trip form: ``12.5``, ``1e-7``, never ``1.0`` or ``1E2``).

    The checks run during parsing (integer range, floats, duplicate keys; the parser's own
    recursion limit stops absurd nesting), then over the containers only (nesting depth), so
    that a revision's many answers are not walked again one by one in Python;
    :func:`check_tree` walks every string only when the text escapes a surrogate.
    """
    try:
        text = untrusted.decode("utf-8")
    except UnicodeDecodeError:
        raise SchemaError(_("the text is not valid UTF-8")) from None
    needs_rfc8785 = False

    def take_float(number: str) -> float:
        nonlocal needs_rfc8785
        if not fractions:
            _reject_float(number)
        value = _finite_float(number)
        needs_rfc8785 = needs_rfc8785 or not _repr_is_ecmascript(value)
        return value

    def take_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        nonlocal needs_rfc8785
        result = _reject_duplicates(pairs)
        for key in result:
            if not key.isascii() and max(key) >= "\ue000":
                needs_rfc8785 = True
        return result

    if canonical:
        # A repeated key cannot survive the canonical comparison below (the parsed object keeps
        # one of them), so the parser builds plain dicts; a key from U+E000 up shows in the text.
        hook = None
        needs_rfc8785 = _has_high_character(untrusted)
    else:
        hook = take_object
    try:
        value = json.loads(
            text,
            object_pairs_hook=hook,
            parse_float=take_float,
            parse_int=_safe_int,
            parse_constant=_reject_constant,
        )
    except RecursionError:
        raise SchemaError(_("the JSON is nested too deeply")) from None
    except SchemaError:
        raise
    except ValueError:  # JSONDecodeError, and integers beyond the interpreter's digit limit
        raise SchemaError(_("the text is not valid JSON")) from None
    # Every array and object opens with a bracket, so a text with no more brackets (counted
    # inside strings too) than ``max_depth`` cannot nest deeper: the walk is then skipped.
    if text.count("{") + text.count("[") > max_depth and tree_depth(value, max_depth) > max_depth:
        raise SchemaError(_("the JSON is nested too deeply"))
    if "\\u" in text and _SURROGATE_ESCAPE.search(text):  # only an escape makes a lone surrogate
        check_tree(value, max_depth)
    if canonical and not is_canonical(value, untrusted, needs_rfc8785, text):
        raise SchemaError(_("the JSON is not in canonical form"))
    return value


_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_COMPACT_SORTED = json.JSONEncoder(
    ensure_ascii=False, sort_keys=True, separators=(",", ":"), check_circular=False
)
"""What ``json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))`` writes,
without building an encoder per call; parsed JSON holds no cycles to look for."""
_HIGH_LEAD = re.compile(b"[\xee-\xf4]")


def _has_high_character(utf8: bytes) -> bool:
    """Whether valid UTF-8 holds a character from U+E000 up: exactly those start with one of
    these lead bytes (U+E000-U+FFFF with 0xEE or 0xEF, the rest with 0xF0-0xF4)."""
    return _HIGH_LEAD.search(utf8) is not None


def tree_depth(value: Any, limit: int) -> int:
    """How deeply ``value``'s arrays and objects nest (a scalar: 0); stops once past ``limit``.

    Only containers are visited: a revision's many scalar answers cost one type check each."""
    if type(value) is not dict and type(value) is not list:
        return 0
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > deepest:
            deepest = depth
            if deepest > limit:
                break
        for child in item.values() if type(item) is dict else item:
            kind = type(child)
            if kind is dict or kind is list:
                stack.append((child, depth + 1))
    return deepest


def _safe_int(number: str) -> int:
    value = int(number)
    if not -MAX_SAFE_INT <= value <= MAX_SAFE_INT:
        raise SchemaError(_("a number is too large"))
    return value


def is_canonical(
    value: Any, encoded: bytes, needs_rfc8785: bool = True, text: str | None = None
) -> bool:
    """True if ``encoded`` is the RFC 8785 form of ``value`` (checked ints).

    ``needs_rfc8785`` False (see :func:`check_tree`) promises that no key holds a character from
    U+E000 up and that every float is one whose Python ``repr`` is what RFC 8785 writes. For such
    values, the standard library's compact, sorted, non-ASCII-escaping encoder writes exactly
    what RFC 8785 writes (same string escapes, same integers, same numbers), except that it
    sorts keys by code point where RFC 8785 sorts by UTF-16 code unit; the two orders differ
    only for keys with characters from U+E000 up. So the fast encoder decides, and rfc8785 is
    asked only when such a key or another float exists or the fast encoding differs.

    ``text``, if given, is ``encoded`` decoded from UTF-8 (the fast encoding is compared with
    it, which spares encoding it).
    """
    if not needs_rfc8785:
        try:
            fast = _COMPACT_SORTED.encode(value)
            same = fast == text if text is not None else fast.encode("utf-8") == encoded
        except (UnicodeEncodeError, ValueError):
            return False
        if same:
            return True
    try:
        return canonical_json(value) == encoded
    except Exception:  # rfc8785 raises its own types for values it cannot represent
        return False


def check_tree(value: Any, max_depth: int) -> bool:
    """Depth, string and integer checks over a parsed tree, without recursion.

    Returns True if the fast canonical check of :func:`is_canonical` cannot decide: some object
    key holds a character from U+E000 up, or some float is not :func:`_repr_is_ecmascript`.
    """
    high_key = False
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        kind = type(item)
        if kind is dict:
            children: Any = item.values()
            for key in item:
                _check_string(key)
                high_key = high_key or (not key.isascii() and max(key) >= "\ue000")
        elif kind is list:
            children = item
        else:
            high_key = _check_scalar(item) or high_key
            continue
        if depth > max_depth:
            raise SchemaError(_("the JSON is nested too deeply"))
        for child in children:
            child_kind = type(child)
            if child_kind is dict or child_kind is list:
                stack.append((child, depth + 1))
            elif _check_scalar(child):
                high_key = True
    return high_key


def _check_scalar(item: Any) -> bool:
    """Check a string or number; True for a float that only rfc8785 can judge."""
    kind = type(item)
    if kind is str:
        _check_string(item)
    elif kind is int and not -MAX_SAFE_INT <= item <= MAX_SAFE_INT:
        raise SchemaError(_("a number is too large"))
    elif kind is float:
        return not _repr_is_ecmascript(item)
    return False


def _repr_is_ecmascript(number: float) -> bool:
    """True if Python's ``repr`` of ``number`` is exactly RFC 8785's (ECMAScript's) form.

    Both write the shortest digits that round-trip. They differ in layout only: Python writes
    exponents from 1e16 up and below 1e-4 (``1e+16``, ``1e-05``) where ECMAScript writes them
    from 1e21 up and below 1e-6 (``1e+21``, ``0.00001``), and Python keeps ``.0`` on whole
    numbers. In between, for numbers with a fraction, the two are identical.
    """
    return not number.is_integer() and 1e-4 <= abs(number) < 1e16


def _check_string(text: str) -> None:
    if not text.isascii() and SURROGATE.search(text):
        raise SchemaError(_("a string holds an unpaired surrogate"))


# -- field checks -------------------------------------------------------------------------------


def obj(value: Any, keys: set[str], where: str) -> dict[str, Any]:
    """A JSON object with exactly ``keys``."""
    if not isinstance(value, dict):
        raise SchemaError(_("{field} must be a JSON object").format(field=where))
    if set(value) != keys:
        raise SchemaError(_("{field} has missing or unknown members").format(field=where))
    return value


def header(value: Any, kind: str, where: str) -> int:
    """The ``kind`` and ``v`` members; returns the version without judging it."""
    if (type(value) is not dict and not isinstance(value, Mapping)) or value.get("kind") != kind:
        raise SchemaError(_("{field} is of the wrong kind").format(field=where))
    version = value.get("v")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise SchemaError(_("{field} has no valid format version").format(field=where))
    return version


def integer(value: Any, low: int, high: int, where: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise SchemaError(
            _("{field} must be a whole number from {low} to {high}").format(
                field=where, low=low, high=high
            )
        )
    return value


def hex_string(value: Any, pattern: re.Pattern[str], where: str) -> str:
    if not isinstance(value, str) or not pattern.match(value):
        raise SchemaError(
            _("{field} must be lowercase hexadecimal of the right length").format(field=where)
        )
    return value


def optional_hex(value: Any, pattern: re.Pattern[str], where: str) -> str | None:
    return None if value is None else hex_string(value, pattern, where)


def timestamp(value: Any, where: str) -> str:
    """``2026-11-25T10:42:00Z``: UTC, whole seconds, a real date."""
    if not isinstance(value, str) or not TIMESTAMP.match(value):
        raise SchemaError(
            _("{field} must be a UTC time like 2026-11-25T10:42:00Z").format(field=where)
        )
    try:
        dt.datetime.fromisoformat(value[:-1])
    except ValueError:
        raise SchemaError(_("{field} is not a real date and time").format(field=where)) from None
    return value


def display_text(value: Any, where: str, max_chars: int = MAX_TEXT_CHARS) -> str:
    """A name shown to people: one line, no control or invisible formatting characters."""
    if not isinstance(value, str) or not 1 <= len(value) <= max_chars or not value.strip():
        raise SchemaError(
            _("{field} must be text of 1 to {n} characters").format(field=where, n=max_chars)
        )
    if value.isascii() and value.isprintable():
        return value
    for char in value:
        category = unicodedata.category(char)
        if category in ("Cc", "Cs", "Co", "Cn", "Zl", "Zp") or (
            category == "Cf" and char not in _ALLOWED_FORMAT_CHARS
        ):
            raise SchemaError(
                _("{field} holds a control or invisible character").format(field=where)
            )
    return value


def url(value: Any, where: str) -> str:
    """An http(s) address without credentials, white space or control characters."""
    if not isinstance(value, str) or not 1 <= len(value) <= MAX_URL_CHARS:
        raise SchemaError(_("{field} must be a web address").format(field=where))
    if any(ord(c) <= 0x20 or ord(c) >= 0x7F for c in value):
        raise SchemaError(_("{field} must be a web address").format(field=where))
    try:
        parts = urlsplit(value)
        port_ok = parts.port is None or parts.port > 0
    except ValueError:
        raise SchemaError(_("{field} must be a web address").format(field=where)) from None
    if (
        parts.scheme not in ("https", "http")
        or not parts.hostname
        or "@" in parts.netloc
        or not port_ok
    ):
        raise SchemaError(
            _("{field} must be an http or https address without a user name").format(field=where)
        )
    return value


class SizeLimitError(SchemaError):
    """A size or count beyond a limit; ``what`` is translated."""

    def __init__(self, what: str, limit: int) -> None:
        super().__init__(what)
        self.what = what
        self.limit = limit


class NewerFormatError(SchemaError):
    """A format version above the one this code writes."""

    def __init__(self, version: int) -> None:
        super().__init__(_("format version {v}").format(v=version))
        self.version = version


class ForeignFormatError(SchemaError):
    """Not a file of the expected kind at all (wrong magic, wrong kind)."""
