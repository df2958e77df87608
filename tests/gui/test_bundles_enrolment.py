"""Enrolling with headquarters, the Headquarters dialog and this device's identity, by keyboard
and in Arabic."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QFontInfo, QFontMetricsF
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLabel, QWidget

from fieldkit.bundle import read_device_identity_file
from fieldkit.gui.enrol_dialog import EnrolDialog
from fieldkit.gui.headquarters_dialog import HeadquartersDialog
from fieldkit.i18n import set_language
from fieldkit.services import enrolment, vaults
from tests.gui.conftest import WAIT_MS, Shell, ShellFactory, unlock
from tests.gui.hq_support import Headquarters, make_hq


@pytest.fixture
def hq(tmp_path: Path) -> Headquarters:
    return make_hq(tmp_path / "hq")


def _assert_every_character_as_wide(label: QLabel) -> None:
    """What the user sees of a fixed-width font: every character shown takes the same width, so
    the groups line up (the font's own fixed-pitch flag differs between fonts and machines)."""
    metrics = QFontMetricsF(label.font())
    shown = {c for c in label.text() if not c.isspace()} | {"i", "W"}
    widths = {c: metrics.horizontalAdvance(c) for c in shown}
    assert max(widths.values()) - min(widths.values()) < 0.01, widths


def _shown(label: QLabel) -> str:
    """A fingerprint as shown (on two lines), on one line."""
    return " ".join(label.text().split())


def _by_keys(qtbot: Any, shell: Shell, key: Qt.Key, modifiers: Qt.KeyboardModifier) -> Any:
    """Press a shortcut in the main window; the dialog it opened."""
    window = shell.window
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=WAIT_MS)
    QTest.keyClick(window, key, modifiers)
    assert window.bundles is not None
    dialog = window.bundles.dialog
    assert dialog is not None and dialog.isVisible()
    return dialog


def _headquarters(qtbot: Any, shell: Shell) -> HeadquartersDialog:
    dialog = _by_keys(
        qtbot,
        shell,
        Qt.Key.Key_H,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    assert isinstance(dialog, HeadquartersDialog)
    qtbot.waitUntil(lambda: dialog.loaded, timeout=WAIT_MS)
    return dialog


def _loaded(qtbot: Any, dialog: EnrolDialog, path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Press "Choose the enrolment file…" with the file dialog answering ``path``."""
    monkeypatch.setattr(dialog, "choose_file", lambda: path)
    qtbot.mouseClick(dialog.choose, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.working, timeout=WAIT_MS)


def test_enrolling_shows_the_fingerprint_and_pins_only_when_the_user_confirms(
    qtbot: Any, unlocked: Shell, hq: Headquarters, monkeypatch: pytest.MonkeyPatch
) -> None:
    vault = unlocked.session.vault
    dialog = _headquarters(qtbot, unlocked)
    assert "not enrolled" in dialog.hq_state.text()
    device = vaults.device_identity(vault)
    assert _shown(dialog.device_fingerprint) == device.fingerprint
    assert dialog.device_key.text() == device.key_id
    assert dialog.device_name.text() == "test laptop"
    dialog.enrol.click()
    enrol = dialog.enrol_dialog
    assert isinstance(enrol, EnrolDialog) and enrol.isVisible()
    assert not enrol.confirm.isEnabled()
    _loaded(qtbot, enrol, hq.enrolment_file(address="https://hq.example.org"), monkeypatch)
    assert enrol.error.text() == ""
    assert _shown(enrol.fingerprint) == hq.fingerprint  # grouped as given: ten groups of four
    lines = enrol.fingerprint.text().split("\n")
    assert [[len(group) for group in line.split(" ")] for line in lines] == [[4] * 5, [4] * 5]
    assert enrol.fingerprint.accessibleDescription() == hq.fingerprint
    _assert_every_character_as_wide(enrol.fingerprint)
    font = QFontInfo(enrol.fingerprint.font())
    assert font.pointSizeF() > QFontInfo(enrol.hq_name.font()).pointSizeF()
    assert enrol.hq_name.text() == "Mission HQ Bamako"
    assert enrol.recipients.text() == hq.recipient
    assert enrol.address.text() == "https://hq.example.org"
    assert enrol.confirm.isEnabled() and not enrol.moving.isVisible()
    assert enrolment.current(vault) is None  # shown, not pinned
    enrol.confirm.click()
    qtbot.waitUntil(enrol.outcome.isVisible, timeout=WAIT_MS)
    assert "now enrolled with Mission HQ Bamako" in enrol.outcome.text()
    pinned = enrolment.current(vault)
    assert pinned is not None and pinned.hq_key_id == hq.signing.key_id
    qtbot.waitUntil(lambda: _shown(dialog.hq_fingerprint) == hq.fingerprint, timeout=WAIT_MS)
    assert "Enrolled with Mission HQ Bamako" in dialog.hq_state.text()
    assert enrol.cancel.text() == "Close"


def test_a_tampered_enrolment_file_is_refused_with_a_message(
    qtbot: Any, unlocked: Shell, hq: Headquarters, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = hq.enrolment_file()
    document = json.loads(path.read_bytes())
    document["body"]["ingest_recipient"] = make_hq(hq.folder / "thief").recipient
    path.write_text(json.dumps(document))
    assert unlocked.window.bundles is not None
    enrol = unlocked.window.bundles.open_enrolment()
    assert enrol is not None
    _loaded(qtbot, enrol, path, monkeypatch)
    assert enrol.error.isVisibleTo(enrol)
    assert "enrolment" in enrol.error.text().lower()
    assert "Traceback" not in enrol.error.text()
    assert not enrol.details.isVisibleTo(enrol) and not enrol.confirm.isEnabled()
    enrol.confirm.click()
    qtbot.wait(50)
    assert enrolment.current(unlocked.session.vault) is None


def test_moving_to_another_headquarters_takes_a_second_confirmation(
    qtbot: Any, unlocked: Shell, hq: Headquarters, monkeypatch: pytest.MonkeyPatch
) -> None:
    vault = unlocked.session.vault
    enrolment.enroll(vault, hq.enrolment_file())
    other = make_hq(hq.folder / "other", name="Regional office Mopti")
    assert unlocked.window.bundles is not None
    enrol = unlocked.window.bundles.open_enrolment()
    assert enrol is not None
    _loaded(qtbot, enrol, other.enrolment_file(), monkeypatch)
    assert enrol.moving.isVisibleTo(enrol)
    assert "Mission HQ Bamako" in enrol.moving.text() and hq.fingerprint in enrol.moving.text()
    enrol.confirm.click()
    box = enrol.replace_box
    assert box is not None and box.isVisible()
    assert "Regional office Mopti" in box.text()
    assert box.defaultButton() is not enrol.replace_confirm  # Enter does not move the device
    box.defaultButton().click()
    qtbot.wait(50)
    current = enrolment.current(vault)
    assert current is not None and current.hq_key_id == hq.signing.key_id
    enrol.confirm.click()
    box = enrol.replace_box
    assert box is not None and enrol.replace_confirm is not None
    enrol.replace_confirm.click()
    qtbot.waitUntil(enrol.outcome.isVisible, timeout=WAIT_MS)
    current = enrolment.current(vault)
    assert current is not None and current.hq_key_id == other.signing.key_id


def test_saving_this_devices_identity(
    qtbot: Any, unlocked: Shell, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "stick"
    folder.mkdir()
    monkeypatch.setattr(HeadquartersDialog, "choose_folder", lambda _self: folder)
    assert unlocked.window.bundles is not None
    unlocked.window.bundles.identity_action.trigger()
    dialog = unlocked.window.bundles.dialog
    assert isinstance(dialog, HeadquartersDialog)
    # The dialog's state (with the device's fingerprint) and the saved file are two tasks; either
    # may finish first.
    qtbot.waitUntil(lambda: dialog.loaded and dialog.saved.isVisible(), timeout=WAIT_MS)
    (written,) = folder.iterdir()
    assert str(written) in dialog.saved.text()
    identity = read_device_identity_file(written.read_bytes())
    assert identity.key_id == vaults.device_identity(unlocked.session.vault).key_id
    assert _shown(dialog.device_fingerprint) == identity.fingerprint


def test_a_lock_closes_and_clears_the_enrolment_dialog(
    qtbot: Any, unlocked: Shell, hq: Headquarters, monkeypatch: pytest.MonkeyPatch
) -> None:
    dialog = _headquarters(qtbot, unlocked)
    dialog.enrol.click()
    enrol = dialog.enrol_dialog
    assert enrol is not None
    _loaded(qtbot, enrol, hq.enrolment_file(), monkeypatch)
    assert _shown(enrol.fingerprint) == hq.fingerprint
    QTest.keyClick(
        enrol, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    )
    assert not unlocked.session.is_open
    assert not enrol.isVisible() and not dialog.isVisible()
    assert enrol.fingerprint.text() == "" and enrol.hq_name.text() == ""
    assert dialog.device_fingerprint.text() == ""
    assert unlocked.window.bundles is not None and unlocked.window.bundles.dialog is None


def _focus_chain(dialog: QWidget, steps: int = 25) -> list[QWidget]:
    seen: list[QWidget] = []
    for _step in range(steps):
        widget = QApplication.focusWidget()
        if widget is None:
            break
        seen.append(widget)
        QTest.keyClick(widget, Qt.Key.Key_Tab)
    return seen


def test_the_headquarters_dialog_works_by_keyboard(qtbot: Any, unlocked: Shell) -> None:
    dialog = _headquarters(qtbot, unlocked)
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow, timeout=WAIT_MS)
    dialog.enrol.setFocus()
    chain = _focus_chain(dialog)
    for widget in (dialog.enrol, dialog.device_fingerprint, dialog.save_identity):
        assert widget in chain
        assert widget.accessibleName()
    assert dialog.close_button in chain
    QTest.keyClick(dialog, Qt.Key.Key_Escape)
    assert not dialog.isVisible()


def _x(widget: QWidget) -> int:
    return widget.mapTo(widget.window(), QPoint(0, 0)).x()


def test_the_dialogs_mirror_in_arabic_but_keys_read_left_to_right(
    qtbot: Any, make_shell: ShellFactory, vault_folder: Path, hq: Headquarters
) -> None:
    set_language("ar")
    shell = make_shell(vault_folder)
    unlock(qtbot, shell)
    assert shell.window.bundles is not None
    dialog = shell.window.bundles.open_headquarters()
    assert dialog is not None
    qtbot.waitUntil(lambda: bool(dialog.device_fingerprint.text()), timeout=WAIT_MS)
    assert dialog.isRightToLeft()
    assert dialog.device_fingerprint.layoutDirection() == Qt.LayoutDirection.LeftToRight
    assert dialog.device_key.layoutDirection() == Qt.LayoutDirection.LeftToRight
    assert dialog.device_key.alignment() & Qt.AlignmentFlag.AlignRight
    dialog.reject()
    export = shell.window.bundles.open_export()
    assert export is not None
    assert export.isRightToLeft()
    assert _x(export.refresh) > _x(export.other)  # the first button sits at the right
