"""One value as a cell of a CSV file or a spreadsheet, never run as a formula.

A text cell that a spreadsheet would run as a formula is prefixed with an apostrophe: one that
starts with a tab or a carriage return, or whose first visible character (after any spaces, line
breaks, control and zero-width characters) is ``= + - @`` or a full-width or small form of one of
them (``＝ ＋ － ＠``). The same guard applies to CSV and XLSX: a CSV file is opened by the same
spreadsheets, and openpyxl would store a text starting with ``=`` as a formula.
"""

from __future__ import annotations

import json
import re
import unicodedata
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_INVISIBLE = frozenset(("Zs", "Zl", "Zp", "Cc", "Cf"))
"""Character categories a spreadsheet may skip before a formula: spaces, line breaks, control
and format (zero-width) characters."""

XLSX_MAX_TEXT = 32_767
"""The most characters a spreadsheet cell holds (Excel's limit)."""
_XLSX_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
"""Control characters XML 1.0, and so XLSX, cannot hold."""


def runs_as_formula(text: str) -> bool:
    """Whether a spreadsheet might run ``text`` as a formula."""
    if text.startswith(FORMULA_STARTS):
        return True
    for ch in text:
        if ch.isspace() or unicodedata.category(ch) in _INVISIBLE:
            continue
        return unicodedata.normalize("NFKC", ch) in FORMULA_STARTS  # ＝ ＋ － ＠ ﹦ ﹢ ﹣ ﹫
    return False


def to_json(value: Any) -> str:
    """Compact JSON, keys sorted, non-ASCII kept as it is."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def cell_text(value: Any) -> str | None:
    """The text of a value that is not a number: lists of text space-separated, anything else
    as JSON; guarded against formulas. None for a number, a boolean or nothing."""
    if value is None or isinstance(value, bool | int | float):
        return None
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        text = " ".join(value)
    elif isinstance(value, str):
        text = value
    else:
        text = to_json(value)
    return "'" + text if runs_as_formula(text) else text


def csv_cell(value: Any) -> str:
    """One CSV cell: numbers as JSON writes them, text guarded against formula injection, lists
    of text space-separated, anything else as JSON."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return json.dumps(value)
    text = cell_text(value)
    return "" if text is None else text


def xlsx_cell(value: Any) -> Any:
    """One spreadsheet cell: numbers and booleans as themselves, text as :func:`csv_cell` writes
    it, without the control characters XLSX cannot hold (each becomes U+FFFD) and cut at the
    32,767 characters a cell holds (the end marked with an ellipsis)."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value if value == value and abs(value) != float("inf") else str(value)
    text = cell_text(value) or ""
    text = _XLSX_ILLEGAL.sub("\ufffd", text)
    if len(text) > XLSX_MAX_TEXT:
        text = text[: XLSX_MAX_TEXT - 1] + "…"
    return text
