"""The Settings dialog fits its content in English, French and Arabic (no clipped label or
note), and in Arabic the menu shows the Settings shortcut as written, "Ctrl+,"."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QRect
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QAbstractButton, QLabel, QWidget
from pytestqt.exceptions import TimeoutError as WaitTimeout

from fieldkit.gui.bidi import FIRST_STRONG_ISOLATE as FSI
from fieldkit.gui.bidi import POP_DIRECTIONAL_ISOLATE as PDI
from fieldkit.gui.settings_dialog import SettingsDialog
from fieldkit.i18n import set_language
from tests.gui.conftest import WAIT_MS, Shell, ShellFactory, unlock


def _shell(qtbot: Any, make_shell: ShellFactory, folder: Path, language: str) -> Shell:
    set_language(language)
    shell = make_shell(folder)
    unlock(qtbot, shell)
    return shell


def _needed_height(widget: QWidget) -> int:
    if isinstance(widget, QLabel) and widget.wordWrap():
        return widget.heightForWidth(widget.width())
    return widget.minimumSizeHint().height()


@pytest.mark.parametrize("language", ["en", "fr", "ar"])
def test_the_settings_dialog_fits_its_content(
    qtbot: Any, make_shell: ShellFactory, vault_folder: Path, language: str
) -> None:
    shell = _shell(qtbot, make_shell, vault_folder, language)
    dialog = shell.window.open_settings()
    assert isinstance(dialog, SettingsDialog)
    qtbot.waitUntil(lambda: dialog.remember_note.text().count("…") == 0, timeout=WAIT_MS)
    shown = [
        widget
        for widget in dialog.findChildren(QWidget)
        if isinstance(widget, QLabel | QAbstractButton) and widget.isVisible()
    ]
    assert len(shown) > 8

    def cut_short() -> list[str]:
        inside = dialog.rect()
        found = []
        for widget in shown:
            where = QRect(widget.mapTo(dialog, widget.rect().topLeft()), widget.size())
            if not (
                inside.contains(where)
                and widget.width() >= widget.minimumSizeHint().width()
                and widget.height() >= _needed_height(widget)
            ):
                found.append(f"{widget.text()!r}: {widget.size()} in {inside}")
        return found

    # The note's new text resizes the dialog through queued layout events: check what the user
    # sees once they have run (a dialog that never fits still fails, naming what is cut).
    with contextlib.suppress(WaitTimeout):
        qtbot.waitUntil(lambda: not cut_short(), timeout=2000)
    assert cut_short() == []
    dialog.reject()


def test_in_arabic_the_menu_shows_the_settings_shortcut_as_written(
    qtbot: Any, make_shell: ShellFactory, vault_folder: Path
) -> None:
    shell = _shell(qtbot, make_shell, vault_folder, "ar")
    action = shell.window.settings_action
    assert action.shortcut() == QKeySequence("Ctrl+,")
    name, shortcut = action.text().split("\t")
    assert shortcut == f"{FSI}Ctrl+,{PDI}"
    assert "\t" not in action.iconText() and "\t" not in action.toolTip()
    assert action.iconText() in name


def test_in_english_the_menu_item_is_the_plain_text(
    qtbot: Any, make_shell: ShellFactory, vault_folder: Path
) -> None:
    shell = _shell(qtbot, make_shell, vault_folder, "en")
    assert shell.window.settings_action.text() == "Settings…"
