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
