"""Reading answers from JSON and JSON Lines files, which may be hostile.

Sizes are capped before parsing, text must be UTF-8, ``NaN``/``Infinity`` are refused, over-deep
nesting is an error rather than a crash, and every error names the file and the line.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from fieldkit.console import read_small_file as read_small_file  # shared with fieldkit-hq
from fieldkit.errors import InvalidInputError, NotFoundError
from fieldkit.i18n import _

MAX_JSON_BYTES = 10 * 1024 * 1024
MAX_LINE_BYTES = 10 * 1024 * 1024

JsonLines = Iterable[tuple[int, Any]]
"""(line number, parsed value) pairs."""


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed")


_DECODER = json.JSONDecoder(parse_constant=_refuse_constant)
"""``json.loads(text, parse_constant=_refuse_constant)``, with a decoder made once."""


def _loads(text: str) -> Any:
    """``json.loads(text, parse_constant=_refuse_constant)``, its check of a leading byte
    order mark included."""
    if text.startswith("\ufeff"):
        raise json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", text, 0)
    return _DECODER.decode(text)


def parse_json(untrusted: bytes, where: str) -> Any:
    try:
        text = untrusted.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidInputError(
            _("{where}: not UTF-8 text (byte {n}).").format(where=where, n=exc.start)
        ) from None
    try:
        return _loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInputError(
            _("{where}: not valid JSON ({problem} at column {column}).").format(
                where=where, problem=exc.msg, column=exc.colno
            )
        ) from None
    except ValueError as exc:
        raise InvalidInputError(_("{where}: {problem}.").format(where=where, problem=exc)) from None
    except RecursionError:
        raise InvalidInputError(
            _("{where}: the data is nested too deeply.").format(where=where)
        ) from None


def _open(untrusted_path: Path) -> Any:
    try:
        if not untrusted_path.is_file():
            if untrusted_path.exists():
                raise InvalidInputError(
                    _("{path}: not a regular file.").format(path=untrusted_path)
                )
            raise NotFoundError(_("{path}: no such file.").format(path=untrusted_path))
        return untrusted_path.open("rb")
    except OSError as exc:
        raise InvalidInputError(
            _("{path}: cannot be read ({reason}).").format(path=untrusted_path, reason=exc.strerror)
        ) from None


def read_json_object(untrusted_path: Path) -> dict[str, Any]:
    with _open(untrusted_path) as handle:
        data = handle.read(MAX_JSON_BYTES + 1)
    if len(data) > MAX_JSON_BYTES:
        raise InvalidInputError(
            _("{name}: larger than {n} MiB.").format(
                name=untrusted_path.name, n=MAX_JSON_BYTES >> 20
            )
        )
    value = parse_json(data, untrusted_path.name)
    if not isinstance(value, dict):
        raise InvalidInputError(
            _("{name}: the answers must be a JSON object keyed by field name.").format(
                name=untrusted_path.name
            )
        )
    return value


def read_json_lines(untrusted_path: Path) -> Iterator[tuple[int, Any]]:
    """Each non-blank line of a JSON Lines file, parsed, with its line number."""
    with _open(untrusted_path) as handle:
        number = 0
        while True:
            line = handle.readline(MAX_LINE_BYTES + 1)
            if not line:
                return
            number += 1
            if len(line) > MAX_LINE_BYTES:
                raise InvalidInputError(
                    _("{name}, line {n}: longer than {mib} MiB.").format(
                        name=untrusted_path.name, n=number, mib=MAX_LINE_BYTES >> 20
                    )
                )
            if not line.strip():
                continue
            where = _("{name}, line {n}").format(name=untrusted_path.name, n=number)
            yield number, parse_json(line, where)
