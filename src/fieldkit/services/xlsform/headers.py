"""Column headers of the sheets: languages in headers such as ``label::French (fr)``, and the
normalised cells of a raw row."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from fieldkit.domain.forms import LANGUAGE_PATTERN

_LANGUAGE = re.compile(LANGUAGE_PATTERN)

DEFAULT_LANGUAGE_KEY = "\x00default"
"""The language key of a text from a column without a language."""

_LANGUAGE_NAMES = {
    "english": "en",
    "french": "fr",
    "français": "fr",
    "francais": "fr",
    "arabic": "ar",
    "العربية": "ar",
    "عربي": "ar",
    "spanish": "es",
    "español": "es",
    "espanol": "es",
    "portuguese": "pt",
    "português": "pt",
    "portugues": "pt",
    "swahili": "sw",
    "kiswahili": "sw",
    "russian": "ru",
    "chinese": "zh",
    "german": "de",
    "deutsch": "de",
    "italian": "it",
    "persian": "fa",
    "farsi": "fa",
    "pashto": "ps",
    "urdu": "ur",
    "hindi": "hi",
    "bengali": "bn",
    "somali": "so",
    "amharic": "am",
    "hausa": "ha",
    "tigrinya": "ti",
    "turkish": "tr",
    "ukrainian": "uk",
}
_TRANSLATABLE = frozenset(
    {
        "label",
        "hint",
        "constraint_message",
        "required_message",
        "guidance_hint",
        "caption",
        "image",
        "audio",
        "video",
        "big-image",
        "media",
        "jr:constraintmsg",
        "jr:requiredmsg",
    }
)
_PARENTHESES = re.compile(r"\(([^()]*)\)\s*$")


def language_code(name: str) -> str | None:
    """The language code for an XLSForm language name such as ``French (fr)``, ``Français`` or
    ``fr``; None when there is none."""
    text = " ".join(name.split())
    match = _PARENTHESES.search(text)
    if match:
        code = match.group(1).strip()
        primary, _sep, rest = code.partition("-")
        code = primary.lower() + (f"-{rest}" if rest else "")
        if _LANGUAGE.match(code):
            return code
        text = text[: match.start()].strip()
    lowered = text.lower()
    if lowered in _LANGUAGE_NAMES:
        return _LANGUAGE_NAMES[lowered]
    if re.fullmatch(r"[a-z]{2,3}", lowered):
        return lowered
    return None


def header_tokens(header: str, double_colon: bool) -> tuple[str, ...]:
    separator = "::" if double_colon else ":"
    return tuple(token.strip() for token in header.split(separator))


def header_languages(headers: Iterable[str]) -> tuple[list[str], bool]:
    """Language names of the translatable columns in column order, and whether a translatable
    column has no language."""
    headers = [h for h in headers if isinstance(h, str)]
    double_colon = any("::" in h for h in headers)
    names: list[str] = []
    bare = False
    for header in headers:
        if header.lower().startswith("jr:"):
            tokens: tuple[str, ...] = (header,)
        else:
            tokens = header_tokens(header, double_colon)
        first = "_".join(tokens[0].split()).lower()
        if first not in _TRANSLATABLE:
            continue
        needed = 3 if first == "media" else 2
        if len(tokens) >= needed and tokens[-1]:
            if tokens[-1] not in names:
                names.append(tokens[-1])
        else:
            bare = True
    return names, bare


# -- the raw rows --------------------------------------------------------------------------------

_HEADER_ALIASES = {
    "command": "type",
    "tag": "name",
    "value": "name",
    "count": "repeat_count",
    "jr:count": "repeat_count",
    "list name": "list_name",
}


def normal_header(header: str) -> str:
    key = "_".join(str(header).split()).lower()
    return _HEADER_ALIASES.get(key, key)


def row_cells(row: Any) -> dict[str, str]:
    """A raw row with single-word headers normalised (``List Name`` -> ``list_name``)."""
    if not isinstance(row, dict):
        return {}
    cells: dict[str, str] = {}
    for header, value in row.items():
        if isinstance(header, str) and isinstance(value, str):
            cells.setdefault(normal_header(header), value)
    return cells


def header_names(raw_header: Any) -> list[str]:
    if isinstance(raw_header, Sequence) and raw_header and isinstance(raw_header[0], dict):
        return [h for h in raw_header[0] if isinstance(h, str)]
    return []
