"""Languages: Arabic lays the window out right to left; the language chosen before a vault
exists is saved and the page rebuilt; Qt's own strings (standard buttons) and the default locale
follow the language, at start and after a switch."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QLibraryInfo, QLocale, QPoint, Qt
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QWidget

from fieldkit.gui.create_vault import CreateVaultPage
from fieldkit.gui.unlock import UnlockPage
from fieldkit.gui.welcome import WelcomePage
from fieldkit.i18n import current_language, set_language
from fieldkit.services import preferences
from tests.gui.conftest import Shell, ShellFactory, unlock


def _x(widget: QWidget) -> int:
    return widget.mapTo(widget.window(), QPoint(0, 0)).x()


def _shell_in(language: str, qtbot: Any, make_shell: ShellFactory, folder: Path) -> Shell:
    set_language(language)
    shell = make_shell(folder)
    unlock(qtbot, shell)
    return shell


def test_arabic_mirrors_the_layout(
    qtbot: Any, make_shell: ShellFactory, vault_folder: Path
) -> None:
    english = _shell_in("en", qtbot, make_shell, vault_folder)
    assert QApplication.layoutDirection() == Qt.LayoutDirection.LeftToRight
    filters = english.window.workspace.records.filters  # type: ignore[union-attr]
    assert _x(filters.search) < _x(filters.status)
    english.window.lock()
    arabic = _shell_in("ar", qtbot, make_shell, vault_folder)
    assert QApplication.layoutDirection() == Qt.LayoutDirection.RightToLeft
    window = arabic.window
    assert window.isRightToLeft()
    filters = window.workspace.records.filters  # type: ignore[union-attr]
    assert _x(filters.search) > _x(filters.status)  # the first filter is at the right
    window.lock()
    page = window.page
    assert isinstance(page, UnlockPage)
    assert _x(page.unlock) < _x(page.passphrase) + page.passphrase.width() // 2


def test_choosing_a_language_on_the_welcome_page_rebuilds_it_and_is_saved(
    qtbot: Any, make_shell: ShellFactory, vault_dir: Path
) -> None:
    shell = make_shell(vault_dir)
    welcome = shell.window.page
    assert isinstance(welcome, WelcomePage)
    welcome.language.setCurrentIndex(welcome.language.findData("ar"))
    welcome.language.activated.emit(welcome.language.currentIndex())
    assert current_language() == "ar"
    assert preferences.load().language == "ar"
    rebuilt = shell.window.page
    assert isinstance(rebuilt, WelcomePage) and rebuilt is not welcome
    assert rebuilt.language.language() == "ar"
    assert rebuilt.isRightToLeft()
    rebuilt.start.click()
    create = shell.window.page
    assert isinstance(create, CreateVaultPage)
    assert create.language.language() == "ar"


def _qt_catalogue(language: str) -> Path:
    folder = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    return Path(folder) / f"qtbase_{language}.qm"


def _cancel_text() -> str:
    """The text of a standard Cancel button made now (as a QMessageBox or dialog makes one)."""
    box = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
    button = box.button(QDialogButtonBox.StandardButton.Cancel)
    assert button is not None
    text = button.text().replace("&", "")
    box.deleteLater()
    return text


def _choose_on_welcome(shell: Shell, code: str) -> None:
    welcome = shell.window.page
    assert isinstance(welcome, WelcomePage)
    welcome.language.setCurrentIndex(welcome.language.findData(code))
    welcome.language.activated.emit(welcome.language.currentIndex())
    assert current_language() == code


def test_qt_own_strings_and_locale_follow_a_language_switch(
    make_shell: ShellFactory, vault_dir: Path
) -> None:
    if not _qt_catalogue("fr").exists():
        pytest.skip(f"this PySide6 wheel ships no {_qt_catalogue('fr').name}")
    shell = make_shell(vault_dir)
    assert _cancel_text() == "Cancel"
    _choose_on_welcome(shell, "fr")
    assert _cancel_text() == "Annuler"
    assert QLocale().language() == QLocale.Language.French
    assert QLocale().monthName(3) == "mars"
    _choose_on_welcome(shell, "en")  # the French catalogue goes
    assert _cancel_text() == "Cancel"
    assert QLocale().language() == QLocale.Language.English


def test_qt_own_strings_are_arabic_when_the_app_starts_in_arabic(
    qtbot: Any, make_shell: ShellFactory, vault_folder: Path
) -> None:
    if not _qt_catalogue("ar").exists():
        pytest.skip(f"this PySide6 wheel ships no {_qt_catalogue('ar').name}")
    _shell_in("ar", qtbot, make_shell, vault_folder)
    text = _cancel_text()
    assert text != "Cancel"
    assert text and all("\u0600" <= char <= "\u06ff" for char in text)  # in Arabic script
    assert QLocale().language() == QLocale.Language.Arabic
