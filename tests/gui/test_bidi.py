"""Left-to-right values (coordinates, dates, device names, key ids, fingerprints) put into a
translated sentence are isolated in Arabic, so that they keep their order; English text is left
as it is. Counts are written in the digits and grouping of the language, as Qt writes sizes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from fieldkit.domain.geo import GeoPoint
from fieldkit.gui.bidi import FIRST_STRONG_ISOLATE as FSI
from fieldkit.gui.bidi import POP_DIRECTIONAL_ISOLATE as PDI
from fieldkit.gui.bidi import count_text, isolate
from fieldkit.gui.forms.fields_geo import notations
from fieldkit.gui.forms.history import device_text, local_time
from fieldkit.gui.window import apply_language
from fieldkit.i18n import set_language
from fieldkit.services import enrolment
from tests.gui.conftest import WAIT_MS, ShellFactory, fill, unlock
from tests.gui.hq_support import make_hq


def test_isolate_wraps_only_in_a_right_to_left_layout(qapp: QApplication) -> None:
    assert isolate("14.4974, -4.1942") == "14.4974, -4.1942"
    QApplication.setLayoutDirection(Qt.LayoutDirection.RightToLeft)
    try:
        assert isolate("14.4974, -4.1942") == "\u206814.4974, -4.1942\u2069"
        assert isolate("") == ""
    finally:
        QApplication.setLayoutDirection(Qt.LayoutDirection.LeftToRight)


def test_values_in_arabic_sentences_are_isolated(
    qtbot: Any, make_shell: ShellFactory, vault_folder: Path, tmp_path: Path
) -> None:
    set_language("ar")
    shell = make_shell(vault_folder)
    unlock(qtbot, shell)
    assert QApplication.layoutDirection() == Qt.LayoutDirection.RightToLeft
    point = GeoPoint(14.4974, -4.1942, 1234.5)
    shown = notations(point)
    for value in (point.as_decimal(), point.as_dms(), "1,234.5"):
        assert f"{FSI}{value}{PDI}" in shown
    assert f"{FSI}my laptop{PDI}" in device_text("cd" * 16, "cd" * 16, "my laptop")
    assert f"{FSI}abababab{PDI}" in device_text("ab" * 16, "cd" * 16, "my laptop")
    hq = make_hq(tmp_path / "hq")
    pinned = enrolment.enroll(shell.session.vault, hq.enrolment_file())
    assert shell.window.bundles is not None
    dialog = shell.window.bundles.open_headquarters()
    assert dialog is not None
    qtbot.waitUntil(lambda: dialog.loaded, timeout=WAIT_MS)
    state = dialog.hq_state.text()
    assert f"{FSI}{local_time(pinned.enrolled_at)}{PDI}" in state
    assert f"{FSI}Mission HQ Bamako{PDI}" in state
    dialog.reject()


@pytest.mark.parametrize(
    ("language", "written"),
    [("en", "12,345"), ("fr", "12\u202f345"), ("ar", f"{FSI}١٢٬٣٤٥{PDI}")],
)
def test_counts_follow_the_language(qapp: QApplication, language: str, written: str) -> None:
    set_language(language)
    apply_language()
    try:
        assert count_text(12345) == written
    finally:
        set_language("en")
        apply_language()
        QApplication.setLayoutDirection(Qt.LayoutDirection.LeftToRight)


def test_the_record_count_is_written_in_arabic_digits(
    qtbot: Any, make_shell: ShellFactory, vault_folder: Path
) -> None:
    fill(vault_folder, ["one", "two", "three"])
    set_language("ar")
    shell = make_shell(vault_folder)
    unlock(qtbot, shell)
    page = shell.window.workspace.records  # type: ignore[union-attr]
    qtbot.waitUntil(lambda: "٣" in page.count.text(), timeout=WAIT_MS)
    assert "3" not in page.count.text()
