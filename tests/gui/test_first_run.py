"""First run: the welcome page, then creating the vault (strength advice, mismatch, success)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLabel

from fieldkit.gui.create_vault import CreateVaultPage
from fieldkit.gui.welcome import WelcomePage
from fieldkit.gui.workspace import Workspace
from fieldkit.services import vaults
from fieldkit.vault.store import Vault
from tests.conftest import PASSPHRASE
from tests.gui.conftest import WAIT_MS, ShellFactory


def test_without_a_vault_the_welcome_page_explains_and_leads_on(
    make_shell: ShellFactory, vault_dir: Path
) -> None:
    shell = make_shell(vault_dir)
    page = shell.window.page
    assert isinstance(page, WelcomePage)
    texts = " ".join(label.text() for label in page.findChildren(QLabel))
    assert "encrypted vault" in texts and "passphrase" in texts
    assert page.language.count() == 3
    page.start.click()
    assert isinstance(shell.window.page, CreateVaultPage)
    assert shell.window.windowTitle() == "fieldkit"


def _create_page(make_shell: ShellFactory, vault_dir: Path) -> tuple[Any, CreateVaultPage]:
    shell = make_shell(vault_dir)
    shell.window.show_create()
    page = shell.window.page
    assert isinstance(page, CreateVaultPage)
    return shell, page


def test_a_weak_passphrase_is_refused_with_the_strength_advice(
    qtbot: Any, make_shell: ShellFactory, vault_dir: Path
) -> None:
    shell, page = _create_page(make_shell, vault_dir)
    page.passphrase.setText("password123")
    page.confirmation.setText("password123")
    qtbot.waitUntil(lambda: page.meter.verdict is not None, timeout=WAIT_MS)
    assert page.meter.verdict is not None and not page.meter.verdict.acceptable
    assert "12 characters" in page.meter.advice
    page.create_button.click()
    qtbot.waitUntil(lambda: not page.working and page.error.isVisibleTo(page), timeout=WAIT_MS)
    assert "12 characters" in page.error.text()
    assert not vaults.vault_exists(vault_dir)
    assert not shell.session.is_open


def test_two_different_passphrases_are_refused(
    qtbot: Any, make_shell: ShellFactory, vault_dir: Path
) -> None:
    shell, page = _create_page(make_shell, vault_dir)
    page.passphrase.setText(PASSPHRASE)
    page.confirmation.setText(PASSPHRASE + "x")
    page.create_button.click()
    qtbot.waitUntil(lambda: not page.working and page.error.isVisibleTo(page), timeout=WAIT_MS)
    assert "differ" in page.error.text()
    assert not vaults.vault_exists(vault_dir)
    assert not shell.session.is_open


def test_a_strong_passphrase_creates_the_vault_and_opens_the_workspace(
    qtbot: Any, make_shell: ShellFactory, vault_dir: Path
) -> None:
    shell, page = _create_page(make_shell, vault_dir)
    page.passphrase.setText(PASSPHRASE)
    qtbot.waitUntil(lambda: page.meter.verdict is not None, timeout=WAIT_MS)
    assert page.meter.verdict is not None and page.meter.verdict.acceptable
    page.confirmation.setText(PASSPHRASE)
    page.device_name.setText("laptop 3")
    with qtbot.waitSignal(shell.session.opened, timeout=WAIT_MS):
        page.create_button.click()
        assert page.busy.isVisibleTo(page) and page.working
    assert vaults.vault_exists(vault_dir)
    assert isinstance(shell.window.workspace, Workspace)
    assert vaults.device_identity(shell.session.vault).device_name == "laptop 3"


def test_keyboard_only_first_run(qtbot: Any, make_shell: ShellFactory, vault_dir: Path) -> None:
    shell = make_shell(vault_dir)
    window = shell.window
    qtbot.waitUntil(lambda: QApplication.focusWidget() is not None, timeout=WAIT_MS)
    welcome = window.page
    assert isinstance(welcome, WelcomePage)
    assert QApplication.focusWidget() is welcome.start
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Space)
    page = window.page
    assert isinstance(page, CreateVaultPage)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is page.passphrase, timeout=WAIT_MS)
    qtbot.keyClicks(page.passphrase, PASSPHRASE)
    qtbot.keyClick(page.passphrase, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is page.confirmation
    qtbot.keyClicks(page.confirmation, PASSPHRASE)
    qtbot.keyClick(page.confirmation, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is page.device_name
    qtbot.keyClicks(page.device_name, "field laptop")
    with qtbot.waitSignal(shell.session.opened, timeout=WAIT_MS):
        qtbot.keyClick(page.device_name, Qt.Key.Key_Return)
    assert isinstance(shell.session.vault, Vault)
