"""Printing results: aligned text tables for people, JSON for programs."""

from __future__ import annotations

import json
import sys
import unicodedata
from collections.abc import Sequence
from typing import Any


def emit_json(value: Any) -> None:
    json.dump(value, sys.stdout, ensure_ascii=False, indent=2, sort_keys=True)
    sys.stdout.write("\n")


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def clean(text: Any) -> str:
    """Untrusted text for a terminal: control characters (escape sequences) become spaces."""
    return "".join(" " if unicodedata.category(ch) in ("Cc", "Cf") else ch for ch in str(text))


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    cells = [[clean(h) for h in headers], *[[clean(c) for c in row] for row in rows]]
    widths = [max(_width(row[i]) for row in cells) for i in range(len(headers))]
    for index, row in enumerate(cells):
        line = "  ".join(cell + " " * (widths[i] - _width(cell)) for i, cell in enumerate(row))
        print(line.rstrip())
        if index == 0:
            print("  ".join("-" * w for w in widths))


def pairs(items: Sequence[tuple[str, Any]]) -> None:
    width = max((_width(k) for k, _v in items), default=0)
    for key, value in items:
        print(f"{clean(key)}{' ' * (width - _width(key))}  {clean(value)}")
