"""Background sync in the desktop app, driven with a stand-in sync function and network: when
attempts start (unlock, the network coming back, sealing, "Sync now", the back-off), when they do
not (manual sending, no network, a metered link, a failure waiting cannot fix), what the status
area and the status bar show, the settings, and a lost-device erase."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QMessageBox

from fieldkit.gui.sync_model import STATE, WHEN
from fieldkit.gui.sync_scheduler import SyncScheduler
from fieldkit.gui.unlock import UnlockPage
from fieldkit.services import erasure, vaults
from fieldkit.services import sync as sync_service
from fieldkit.services.sync import ItemState, OutboxItem, SyncReport, SyncSettings
from fieldkit.sync.errors import DeviceRevokedError, NotReachableError
from fieldkit.vault import keyfile
from fieldkit.vault.erased import ErasedNotice
from tests.conftest import PASSPHRASE
from tests.gui.conftest import WAIT_MS, Shell, ShellFactory, unlock
from tests.gui.layout_check import settled_fits
from tests.gui.sync_support import (
    FakeNetwork,
    FakeSync,
    QuickBackoff,
    every_state,
    fake_scheduler,
    item,
    report,
)


def _shell(
    qtbot: Any,
    make_shell: ShellFactory,
    folder: Path,
    sync: FakeSync,
    network: FakeNetwork | None = None,
    wait: bool = True,
) -> Shell:
    """The app on this vault, unlocked (and, with ``wait``, its list loaded and tasks over)."""
    network = network or FakeNetwork()
    shell = make_shell(folder, sync=fake_scheduler(sync, network))
    if wait:
        unlock(qtbot, shell)
    else:
        shell.session.open(vaults.unlock_vault(folder, PASSPHRASE))
    return shell


def _idle(qtbot: Any, shell: Shell) -> SyncScheduler:
    scheduler = shell.window.sync
    qtbot.waitUntil(lambda: not scheduler.running and not shell.runner.busy, timeout=WAIT_MS)
    return scheduler


def _cells(shell: Shell, column: int, role: int = Qt.ItemDataRole.DisplayRole) -> list[str]:
    area = shell.window.sync_area
    assert area is not None
    model = area.dock.panel.model
    return [str(model.index(row, column).data(role)) for row in range(model.rowCount())]


def test_unlock_tries_once_and_the_status_area_shows_each_state(
    qtbot: Any, make_shell: ShellFactory, vault_folder: Path
) -> None:
    sync = FakeSync(items=every_state())
    shell = _shell(qtbot, make_shell, vault_folder, sync)
    scheduler = _idle(qtbot, shell)
    assert sync.calls == 1
    assert _cells(shell, STATE) == [
        "Waiting",
        "Sending: 42 %",
        "Waiting for the receipt",
        "Refused: the bundle's signature does not verify",
        "Delivered",
    ]
    spoken = _cells(shell, STATE, Qt.ItemDataRole.AccessibleTextRole)
    assert spoken[1] == "Sending, 42 percent"
    assert _cells(shell, WHEN, Qt.ItemDataRole.AccessibleTextRole)[4].startswith("Delivered ")
    area = shell.window.sync_area
    assert area is not None
    status = area.status
    assert status.isVisible()
    assert status.text().startswith("Sending 3 record revisions: 42 % · 3 waiting · 1 refused")
    assert " · last sent " in status.text()
    assert status.accessibleName().startswith("Sending to headquarters: ")
    assert scheduler.last_error is None and scheduler.next_retry is None


def test_the_panel_opens_from_the_keyboard_and_shows_the_item_being_sent(
    qtbot: Any, make_shell: ShellFactory, vault_folder: Path
) -> None:
    sync = FakeSync()
    shell = _shell(qtbot, make_shell, vault_folder, sync)
    _idle(qtbot, shell)
    area = shell.window.sync_area
    assert area is not None and not area.dock.isVisible()
    shell.window.activateWindow()
    qtbot.waitUntil(shell.window.isActiveWindow, timeout=WAIT_MS)
    QTest.keyClick(
        shell.window,
        Qt.Key.Key_S,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    panel = area.dock.panel
    qtbot.waitUntil(area.dock.isVisible, timeout=WAIT_MS)
    assert panel.empty.isVisible() and not panel.table.isVisible()
    assert QApplication.focusWidget() is panel.sync_now

    hold, sending = threading.Event(), threading.Event()

    def send_slowly(progress: Callable[[OutboxItem], None], _cancel: threading.Event) -> Any:
        progress(item(7, ItemState.SENDING, size=1000, sent=0))
        progress(item(7, ItemState.SENDING, size=1000, sent=500))
        sending.set()
        hold.wait(WAIT_MS / 1000)
        progress(item(7, ItemState.DELIVERED, size=1000, delivered_at="2026-12-07T10:50:00Z"))
        return report(delivered=1)

    sync.steps.append(send_slowly)
    sync.items = [item(7, ItemState.DELIVERED, size=1000, delivered_at="2026-12-07T10:50:00Z")]
    with qtbot.waitSignal(shell.window.sync.delivered, timeout=WAIT_MS):
        panel.sync_now.click()
        assert not panel.sync_now.isEnabled()
        qtbot.waitUntil(lambda: panel.progress.isVisible(), timeout=WAIT_MS)
        qtbot.waitUntil(lambda: panel.progress.value() == 50, timeout=WAIT_MS)
        assert panel.progress.accessibleName() == "Sending 3 record revisions"
        assert _cells(shell, STATE) == ["Sending: 50 %"]
        hold.set()
    _idle(qtbot, shell)
    assert not panel.progress.isVisible()
    assert _cells(shell, STATE) == ["Delivered"]
    assert panel.table.isVisible() and not panel.empty.isVisible()
    assert panel.sync_now.isEnabled()
    panel.sync_now.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is panel.sync_now, timeout=WAIT_MS)
    QTest.keyClick(panel.sync_now, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is panel.table  # then the arrow keys run through the rows


OFFLINE = "Headquarters could not be reached: no answer from the network."


def _fail(error: BaseException) -> Callable[..., SyncReport]:
    def step(_progress: Any, _cancel: Any) -> SyncReport:
        raise error

    return step


def test_failures_are_retried_after_a_growing_wait_and_a_success_resets_it(
    qtbot: Any, make_shell: ShellFactory, vault_folder: Path
) -> None:
    QuickBackoff.made.clear()
    sync = FakeSync(steps=[_fail(NotReachableError(OFFLINE)), _fail(NotReachableError(OFFLINE))])
    shell = _shell(qtbot, make_shell, vault_folder, sync)
    scheduler = shell.window.sync
    area = shell.window.sync_area
    assert area is not None
    qtbot.waitUntil(lambda: sync.calls == 1 and not scheduler.running, timeout=WAIT_MS)
    assert scheduler.next_retry is not None
    error = area.dock.panel.error.text()
    assert error.startswith(f"Not sent: {OFFLINE} Next try at ")
    assert area.status.text().endswith(" · not sent, see why")
    qtbot.waitUntil(lambda: sync.calls == 3 and not scheduler.running, timeout=WAIT_MS)
    backoff = QuickBackoff.made[-1]
    assert backoff.tries == 0 and backoff.resets >= 1  # two failures, then a success
    assert scheduler.last_error is None and scheduler.next_retry is None
    assert not area.dock.panel.error.isVisibleTo(area.dock.panel)
    QTest.qWait(300)
    assert sync.calls == 3  # nothing waits: no further try


def test_a_failure_waiting_cannot_fix_stops_automatic_tries_until_sync_now(
    qtbot: Any, make_shell: ShellFactory, vault_folder: Path
) -> None:
    network = FakeNetwork()
    sync = FakeSync(steps=[_fail(DeviceRevokedError())])
    shell = _shell(qtbot, make_shell, vault_folder, sync, network)
    scheduler = _idle(qtbot, shell)
    assert sync.calls == 1 and scheduler.next_retry is None
    area = shell.window.sync_area
    assert area is not None
    assert "No new try until you choose “Sync now”." in area.dock.panel.error.text()
    network.set(reachable=False)
    network.set(reachable=True)
    shell.window.workspace.sealed.emit()  # type: ignore[union-attr]
    QTest.qWait(200)
    assert sync.calls == 1
    area.sync_action.trigger()
    _idle(qtbot, shell)
    assert sync.calls == 2 and scheduler.last_error is None


def test_no_automatic_try_without_a_network_or_on_a_metered_link(
    qtbot: Any, make_shell: ShellFactory, vault_folder: Path
) -> None:
    network = FakeNetwork(reachable=False)
    sync = FakeSync()
    shell = _shell(qtbot, make_shell, vault_folder, sync, network)
    scheduler = _idle(qtbot, shell)
    area = shell.window.sync_area
    assert area is not None
    panel = area.dock.panel
    assert sync.calls == 0
    assert panel.note.text() == "Waiting for a network connection."
    network.set(reachable=True, metered=True)  # a phone's shared connection
    QTest.qWait(200)
    assert sync.calls == 0
    assert panel.note.text() == "Waiting for a network that is not metered."
    network.set(metered=False)
    qtbot.waitUntil(lambda: sync.calls == 1, timeout=WAIT_MS)
    _idle(qtbot, shell)
    network.set(metered=True)
    QTest.qWait(200)
    assert sync.calls == 1
    scheduler.apply_settings(SyncSettings(automatic=True, not_on_metered=False))
    qtbot.waitUntil(lambda: sync.calls == 2, timeout=WAIT_MS)  # allowed now: at once
    _idle(qtbot, shell)
    shell.window.workspace.sealed.emit()  # type: ignore[union-attr]
    qtbot.waitUntil(lambda: sync.calls == 3, timeout=WAIT_MS)


def test_manual_sending_waits_for_sync_now_and_settings_are_saved(
    qtbot: Any, make_shell: ShellFactory, vault_folder: Path
) -> None:
    sync = FakeSync()
    shell = _shell(qtbot, make_shell, vault_folder, sync)
    _idle(qtbot, shell)
    assert sync.calls == 1
    dialog = shell.window.open_settings()
    assert dialog is not None
    box = dialog.sync
    qtbot.waitUntil(lambda: box.loaded is not None, timeout=WAIT_MS)
    assert box.automatic.isChecked() and box.not_on_metered.isChecked()
    assert box.not_on_metered.isEnabled()
    box.manual.click()
    assert not box.not_on_metered.isEnabled()
    with qtbot.waitSignal(dialog.sync_applied, timeout=WAIT_MS):
        dialog.submit()
    assert sync_service.settings(shell.session.vault) == SyncSettings(
        automatic=False, not_on_metered=True
    )
    scheduler = shell.window.sync
    assert scheduler.settings == SyncSettings(automatic=False, not_on_metered=True)
    area = shell.window.sync_area
    assert area is not None
    assert area.dock.panel.note.text() == "Sending is manual: use “Sync now”."
    shell.window.workspace.sealed.emit()  # type: ignore[union-attr]
    shell.window.sync.network.changed.emit()
    QTest.qWait(200)
    assert sync.calls == 1
    shell.window.lock()  # the setting is the vault's: it holds after the next unlock
    unlock(qtbot, shell)
    _idle(qtbot, shell)
    assert sync.calls == 1 and scheduler.settings == SyncSettings(False, True)
    area = shell.window.sync_area
    assert area is not None
    area.dock.panel.sync_now.click()
    qtbot.waitUntil(lambda: sync.calls == 2, timeout=WAIT_MS)


def test_locking_stops_the_attempt_and_clears_the_status_area(
    qtbot: Any, make_shell: ShellFactory, vault_folder: Path
) -> None:
    cancelled = threading.Event()
    started = threading.Event()

    def wait_for_cancel(_progress: Any, cancel: threading.Event) -> SyncReport:
        started.set()
        if cancel.wait(WAIT_MS / 1000):
            cancelled.set()
        return report()

    sync = FakeSync(steps=[wait_for_cancel], items=every_state())
    shell = _shell(qtbot, make_shell, vault_folder, sync, wait=False)
    qtbot.waitUntil(started.is_set, timeout=WAIT_MS)
    scheduler = shell.window.sync
    assert scheduler.running
    shell.window.lock()
    assert cancelled.wait(WAIT_MS / 1000)
    assert not scheduler.running and scheduler.items == []
    area = shell.window.sync_area
    assert area is not None
    assert not area.status.isVisible() and not area.dock.isVisible()
    assert area.dock.panel.model.rowCount() == 0


def test_a_lost_device_erase_says_why_and_goes_back_to_the_start(
    qtbot: Any, make_shell: ShellFactory, vault_folder: Path
) -> None:
    notice = ErasedNotice("Test HQ", "2026-12-07T09:00:00Z", "2026-12-07T10:00:00Z")
    message = "This vault was erased on 2026-12-07 because headquarters (Test HQ) reported "
    message += "this device lost."

    def erase(_progress: Any, _cancel: Any) -> SyncReport:  # what sync_once does on the order
        erasure.erase_vault(vault_folder, notice)
        sync.vault.close()
        raise sync_service.VaultErasedError(notice)

    sync = FakeSync(steps=[erase])
    shell = _shell(qtbot, make_shell, vault_folder, sync, wait=False)
    qtbot.waitUntil(lambda: shell.window.erased_notice is not None, timeout=WAIT_MS)
    box = shell.window.erased_notice
    assert isinstance(box, QMessageBox) and box.text() == message
    assert isinstance(shell.window.page, UnlockPage)  # which says why the vault does not open
    assert not keyfile.key_path(vault_folder).exists()
    assert not shell.session.is_open and shell.window.workspace is None
    area = shell.window.sync_area
    assert area is not None and not area.status.isVisible()
    assert not shell.window.sync.items and shell.window.sync.settings is None


@pytest.mark.parametrize("language", ["en", "fr", "ar"])
def test_the_status_area_is_translated_mirrored_and_fits(
    qtbot: Any, make_shell: ShellFactory, vault_folder: Path, language: str
) -> None:
    from fieldkit.i18n import set_language

    set_language(language)
    sync = FakeSync(items=every_state())
    shell = _shell(qtbot, make_shell, vault_folder, sync)
    _idle(qtbot, shell)
    area = shell.window.sync_area
    assert area is not None
    area.show_panel()
    panel = area.dock.panel
    settled_fits(qtbot, shell.window, f"sync-status-{language}")
    if language == "en":
        return
    assert panel.sync_now.text() != "Sync now"
    states = _cells(shell, STATE)
    assert states[0] != "Waiting" and states[4] != "Delivered"
    if language == "ar":
        assert panel.table.layoutDirection() == Qt.LayoutDirection.RightToLeft
        assert "\u2068" in states[1] and "٤٢" in states[1]  # the percentage, isolated, in Arabic
        assert "\u2068" in area.status.text()


def test_a_vault_not_enrolled_says_what_to_do_and_shows_no_error(
    qtbot: Any, make_shell: ShellFactory, vault_folder: Path
) -> None:
    def real(session: Any, runner: Any) -> SyncScheduler:
        return SyncScheduler(session, runner, network=FakeNetwork())

    shell = make_shell(vault_folder, sync=real)
    unlock(qtbot, shell)
    scheduler = _idle(qtbot, shell)
    area = shell.window.sync_area
    assert area is not None
    panel = area.dock.panel
    assert scheduler.last_error is None and scheduler.next_retry is None
    assert "not enrolled" in panel.note.text()
    assert not panel.error.isVisibleTo(panel)
    assert area.status.text() == "Nothing waiting to be sent"
    scheduler.network.changed.emit()  # nothing can change by itself: no new try
    QTest.qWait(100)
    assert not scheduler.running and "not enrolled" in (scheduler.not_set_up or "")


def test_switching_the_language_rebuilds_the_status_area_once(
    qtbot: Any, make_shell: ShellFactory, vault_folder: Path
) -> None:
    from fieldkit.gui.sync_panel import SyncDock, SyncStatusButton
    from fieldkit.services import preferences

    sync = FakeSync(items=every_state())
    shell = _shell(qtbot, make_shell, vault_folder, sync)
    scheduler = _idle(qtbot, shell)
    calls = sync.calls
    shell.window.apply_preferences(preferences.load().with_changes(language="fr"))
    qtbot.waitUntil(lambda: shell.window.workspace is not None, timeout=WAIT_MS)
    _idle(qtbot, shell)
    window = shell.window
    buttons = [b for b in window.statusBar().findChildren(SyncStatusButton) if b.isVisible()]
    docks = [d for d in window.findChildren(SyncDock) if not d.isHidden() or d.parent() is window]
    assert len(buttons) == 1 and len(docks) == 1
    assert "en attente" in buttons[0].text()
    assert window.sync is scheduler and scheduler.items  # the same scheduler, still informed
    assert sync.calls == calls  # the vault stayed open: not an unlock, no new try
