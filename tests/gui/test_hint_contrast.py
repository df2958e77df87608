"""Field hints are readable secondary text: enabled (not drawn as unavailable), quieter than the
label yet with at least WCAG's 4.5:1 contrast against the window, and read out with the input."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtGui import QColor, QPalette

from fieldkit.gui.contrast import READABLE, contrast_ratio, secondary_text
from fieldkit.vault.store import Vault
from tests.gui.forms_support.editing import new_record


def test_contrast_ratio_follows_wcag() -> None:
    assert contrast_ratio(QColor("#000000"), QColor("#ffffff")) == pytest.approx(21.0)
    assert contrast_ratio(QColor("#777777"), QColor("#ffffff")) == pytest.approx(4.48, abs=0.01)
    assert contrast_ratio(QColor("#123456"), QColor("#123456")) == pytest.approx(1.0)


@pytest.mark.parametrize(("text", "window"), [("#000000", "#efefef"), ("#ffffff", "#2a2a2a")])
def test_secondary_text_is_quieter_but_readable_in_light_and_dark(text: str, window: str) -> None:
    palette = QPalette()
    palette.setColor(QPalette.ColorRole.WindowText, QColor(text))
    palette.setColor(QPalette.ColorRole.Window, QColor(window))
    colour = secondary_text(palette)
    assert colour != QColor(text)
    assert contrast_ratio(colour, QColor(window)) >= READABLE


@pytest.mark.parametrize("language", ["en", "ar"])
def test_the_hint_is_enabled_readable_and_described(
    qtbot: Any, vault: Vault, language: str
) -> None:
    _editor, d = new_record(qtbot, vault, "attack-on-activist", language)
    row = d.row("narrative")
    hint = row.hint
    assert hint.isVisible() and hint.text()
    assert hint.isEnabled()
    palette = hint.palette()
    shown = palette.color(QPalette.ColorGroup.Active, hint.foregroundRole())
    window = palette.color(QPalette.ColorGroup.Active, QPalette.ColorRole.Window)
    assert contrast_ratio(shown, window) >= READABLE
    assert hint.text() in row.input.focus_widgets()[0].accessibleDescription()
