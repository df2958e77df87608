"""The shipped forms in either version, and their example records as HQ stores them.

Version 1 is ``forms/previous/<id>-1.yaml`` once version 2 is shipped (``forms/<id>.yaml``
before); vocabularies are looked up by name and version among every file under
``forms/vocabularies`` (older versions are kept in ``previous/``).
"""

from __future__ import annotations

import datetime as dt
import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from fieldkit.domain.formfile import load_form, load_vocabulary
from fieldkit.domain.forms import ChoiceList, FormDefinition
from fieldkit.domain.validation import check
from fieldkit.hq.answers import split_answers

ROOT = Path(__file__).resolve().parents[2]
FORMS = ROOT / "forms"
RECORDS = ROOT / "tests" / "data" / "records"
NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)
ATTACK = "attack-on-activist"
MARKET = "illicit-market-observation"


@cache
def _vocabularies() -> dict[tuple[str, str], ChoiceList]:
    found = {}
    for path in sorted((FORMS / "vocabularies").rglob("*.yaml")):
        vocabulary = load_vocabulary(path.read_text("utf-8"), path.name)
        found[(vocabulary.name, vocabulary.version or "")] = vocabulary
    return found


def _resolve(name: str, version: str | None) -> ChoiceList | None:
    matching = [v for (n, ver), v in _vocabularies().items() if n == name]
    if version is not None:
        return _vocabularies().get((name, version))
    return matching[-1] if matching else None


@cache
def shipped_form(form_id: str, version: str) -> FormDefinition:
    """The shipped form ``form_id`` in ``version``; skips the test when it is not there."""
    for path in (FORMS / "previous" / f"{form_id}-{version}.yaml", FORMS / f"{form_id}.yaml"):
        if path.is_file():
            form = load_form(path.read_text("utf-8"), path.name, vocabularies=_resolve)
            if form.version == version:
                return form
    pytest.skip(f"version {version} of {form_id} is not in forms/")


def stored(form: FormDefinition, data: dict[str, Any]) -> dict[str, Any]:
    """``data`` checked and cleaned as a device stores it (select answers as stored codes)."""
    outcome = check(form, data, clock=lambda: NOW)
    assert outcome.ok, [p.describe() for p in outcome.problems]
    return outcome.data


def kept(form: FormDefinition, data: dict[str, Any]) -> dict[str, Any]:
    """The answers HQ stores in clear for ``data`` (identifying ones split out)."""
    return split_answers(form, stored(form, data))[0]


def example(form_id: str, version: str = "1") -> dict[str, Any]:
    """The valid example record of ``form_id`` in ``version`` (without its attachment):
    version 1's in ``tests/data/records``, version 2's in ``tests/data/records/v2``."""
    folder = RECORDS if version == "1" else RECORDS / f"v{version}"
    path = folder / f"{form_id}.valid.json"
    if not path.is_file():
        pytest.skip(f"no example record of {form_id} version {version}")
    data: dict[str, Any] = json.loads(path.read_text("utf-8"))
    data.pop("attachments", None)
    return data
