"""fieldkit ships English, French and Arabic: every message is translated, the catalogues are
compiled from the current code, and a translated build really speaks the language."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from fieldkit import i18n

ROOT = Path(__file__).resolve().parents[1]


def test_every_message_is_translated_and_the_catalogues_are_current() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "translations.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]


@pytest.mark.parametrize("language", ["fr", "ar"])
def test_a_translated_language_is_spoken(language: str) -> None:
    previous = i18n.current_language()
    try:
        i18n.set_language(language)
        for message in ("Lock now", "Settings", "Passphrase:"):
            assert i18n._(message) != message
    finally:
        i18n.set_language(previous)


def test_the_template_check_ignores_the_extraction_date_but_not_a_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "translations", ROOT / "scripts" / "translations.py"
    )
    assert spec is not None and spec.loader is not None
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    fresh = tool.template()
    lines = tool._po_bytes(fresh).splitlines(keepends=True)
    dated = [
        b'"POT-Creation-Date: 1999-01-01 00:00+0000\\n"\n'
        if line.startswith(b'"POT-Creation')
        else line
        for line in lines
    ]
    assert dated != lines
    template = tmp_path / "fieldkit.pot"
    monkeypatch.setattr(tool, "TEMPLATE", template)
    template.write_bytes(b"".join(dated))
    assert tool._template_current(fresh)
    template.write_bytes(b"".join(line for line in dated if b"Lock now" not in line))
    assert not tool._template_current(fresh)
