"""Settings: auto-lock time, the keyring box, changing the passphrase, the language."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from fieldkit.gui.passphrase_dialog import ChangePassphraseDialog
from fieldkit.gui.settings_dialog import SettingsDialog
from fieldkit.i18n import current_language
from fieldkit.services import preferences, records, vaults
from fieldkit.vault.engine import DatabaseKeyError
from fieldkit.vault.keyfile import WrongPassphraseError
from tests.conftest import PASSPHRASE, all_types_answers
from tests.gui.conftest import WAIT_MS, FakeEditor, MemoryKeyring, Shell

NEW_PASSPHRASE = "harbour lantern quietly orbit 77"


def _settings(qtbot: Any, shell: Shell) -> SettingsDialog:
    """Open the settings by their shortcut, Ctrl+,."""
    previous = shell.window.settings
    shell.window.activateWindow()
    qtbot.waitUntil(shell.window.isActiveWindow, timeout=WAIT_MS)
    QTest.keyClick(shell.window, Qt.Key.Key_Comma, Qt.KeyboardModifier.ControlModifier)
    dialog = shell.window.settings
    assert isinstance(dialog, SettingsDialog) and dialog is not previous
    qtbot.waitUntil(lambda: "Checking" not in dialog.remember_note.text(), timeout=WAIT_MS)
    return dialog


def test_auto_lock_time_is_saved_and_applied(qtbot: Any, unlocked: Shell) -> None:
    dialog = _settings(qtbot, unlocked)
    assert dialog.auto_lock.currentData() == 5
    dialog.auto_lock.setCurrentIndex(dialog.auto_lock.findData(15))
    with qtbot.waitSignal(dialog.applied, timeout=WAIT_MS):
        dialog.submit()
    assert preferences.load().auto_lock_minutes == 15
    assert unlocked.idle.interval_ms == 15 * 60_000
    assert unlocked.session.is_open


def test_without_a_safe_keyring_remembering_is_disabled_with_the_reason(
    qtbot: Any, unlocked: Shell
) -> None:
    dialog = _settings(qtbot, unlocked)  # the test keyring is keyring's "fail" backend
    assert not dialog.remember.isEnabled()
    assert "no secure keyring" in dialog.remember_note.text()


def test_changing_the_passphrase(qtbot: Any, unlocked: Shell) -> None:
    dialog = _settings(qtbot, unlocked)
    dialog.change_passphrase.click()
    change = dialog.passphrase_dialog
    assert isinstance(change, ChangePassphraseDialog)
    change.old.setText("wrong old passphrase here")
    change.new.setText(NEW_PASSPHRASE)
    change.confirmation.setText(NEW_PASSPHRASE)
    change.ok.click()
    qtbot.waitUntil(lambda: change.error.isVisibleTo(change), timeout=WAIT_MS)
    assert "not correct" in change.error.text()
    change.old.setText(PASSPHRASE)
    change.confirmation.setText(NEW_PASSPHRASE + "!")
    change.ok.click()
    qtbot.waitUntil(lambda: "differ" in change.error.text(), timeout=WAIT_MS)
    change.confirmation.setText(NEW_PASSPHRASE)
    with qtbot.waitSignal(change.accepted, timeout=WAIT_MS):
        change.ok.click()
        assert change.busy.isVisibleTo(change)
    assert unlocked.session.is_open  # the open vault carries on
    vaults.unlock_vault(unlocked.session.folder, NEW_PASSPHRASE).close()
    try:
        vaults.unlock_vault(unlocked.session.folder, PASSPHRASE)
    except WrongPassphraseError:
        pass
    else:
        raise AssertionError("the old passphrase still opens the vault")


def test_saying_the_old_passphrase_may_be_known_replaces_the_database_key(
    qtbot: Any, unlocked: Shell
) -> None:
    folder = unlocked.session.folder
    old_key_file = (folder / "vault.key").read_bytes()
    record_id = records.create(unlocked.session.vault, "all-types", all_types_answers())
    workspace = unlocked.window.workspace
    assert workspace is not None
    workspace.records.refresh()
    qtbot.waitUntil(lambda: workspace.records.model.total == 1, timeout=WAIT_MS)
    workspace.open_record(record_id)
    editor = FakeEditor.made[-1]
    qtbot.keyClicks(editor.subject, "typed, not yet saved")
    dialog = _settings(qtbot, unlocked)
    dialog.change_passphrase.click()
    change = dialog.passphrase_dialog
    assert isinstance(change, ChangePassphraseDialog)
    assert not change.known.isChecked() and not change.rotate.isChecked()
    change.known.click()
    assert change.rotate.isChecked()  # on as soon as the old passphrase may be known
    change.old.setText(PASSPHRASE)
    change.new.setText(NEW_PASSPHRASE)
    change.confirmation.setText(NEW_PASSPHRASE)
    before = unlocked.session.vault
    with qtbot.waitSignal(change.accepted, timeout=WAIT_MS):
        change.ok.click()
        assert "Replacing the database key" in change.busy.accessibleDescription()
    assert unlocked.session.is_open and unlocked.session.vault is not before
    assert not before.is_open
    assert editor.flushes == 1  # the typing was saved before the old vault closed
    assert records.detail(unlocked.session.vault, record_id).draft == {
        "subject": all_types_answers()["subject"] + "typed, not yet saved"
    }
    (folder / "vault.key").write_bytes(old_key_file)  # an old copy of the key file
    with pytest.raises(DatabaseKeyError, match="does not open with this vault's key"):
        vaults.unlock_vault(folder, PASSPHRASE)


def test_choosing_arabic_rebuilds_the_window_right_to_left(qtbot: Any, unlocked: Shell) -> None:
    window = unlocked.window
    old_workspace = window.workspace
    dialog = _settings(qtbot, unlocked)
    dialog.language.setCurrentIndex(dialog.language.findData("ar"))
    with qtbot.waitSignal(dialog.applied, timeout=WAIT_MS):
        dialog.submit()
    assert current_language() == "ar"
    assert preferences.load().language == "ar"
    assert QApplication.layoutDirection() == Qt.LayoutDirection.RightToLeft
    assert window.workspace is not None and window.workspace is not old_workspace
    assert window.workspace.isRightToLeft()
    assert unlocked.session.is_open


def test_remembering_needs_the_right_passphrase_and_forgetting_works(
    qtbot: Any, unlocked: Shell, memory_keyring: MemoryKeyring
) -> None:
    dialog = _settings(qtbot, unlocked)
    assert dialog.remember.isEnabled() and not dialog.remember.isChecked()
    dialog.remember.setChecked(True)
    assert dialog.remember_passphrase.isVisibleTo(dialog)
    dialog.remember_passphrase.setText("a wrong passphrase typed here")
    dialog.submit()
    qtbot.waitUntil(lambda: dialog.error.isVisibleTo(dialog), timeout=WAIT_MS)
    assert "not correct" in dialog.error.text()
    assert memory_keyring.secrets == {}
    dialog.remember_passphrase.setText(PASSPHRASE)
    with qtbot.waitSignal(dialog.applied, timeout=WAIT_MS):
        dialog.submit()
    assert list(memory_keyring.secrets.values()) == [PASSPHRASE]
    dialog = _settings(qtbot, unlocked)
    assert dialog.remember.isChecked()
    dialog.remember.setChecked(False)
    with qtbot.waitSignal(dialog.applied, timeout=WAIT_MS):
        dialog.submit()
    assert memory_keyring.secrets == {}
