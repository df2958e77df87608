"""The unlock screen: wrong then right, the growing wait (kept across a restart), failed attempts
in the audit log, a responsive window during key derivation, keyboard use, and a remembered
passphrase."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox
from sqlmodel import select

from fieldkit.gui.unlock import UnlockPage
from fieldkit.services import forms as form_service
from fieldkit.services import passphrases, unlocking, vaults
from fieldkit.services.unlocking import retry_delay
from fieldkit.vault import keyfile
from fieldkit.vault.models import AuditRow
from tests.conftest import PASSPHRASE
from tests.gui.conftest import WAIT_MS, MemoryKeyring, ShellFactory


@pytest.fixture(autouse=True)
def _fast_countdown(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(UnlockPage, "TICK_MS", 5)


def _unlock_page(shell: Any) -> UnlockPage:
    page = shell.window.page
    assert isinstance(page, UnlockPage)
    return page


def test_the_delay_doubles_and_stops_at_a_minute() -> None:
    assert [retry_delay(n) for n in range(0, 9)] == [0, 1, 2, 4, 8, 16, 32, 60, 60]
    assert retry_delay(50) == 60


def test_wrong_then_right_waits_longer_each_time_and_audits_the_failures(
    qtbot: Any, make_shell: ShellFactory, vault_folder: Path
) -> None:
    shell = make_shell(vault_folder)
    page = _unlock_page(shell)
    qtbot.waitUntil(lambda: not page.working, timeout=WAIT_MS)  # the keyring was asked
    seen: list[tuple[int, bool, str, bool]] = []

    def at_wait_start(seconds: int) -> None:
        page.submit()  # refused while waiting
        seen.append((seconds, page.unlock.isEnabled(), page.countdown.text(), page.working))

    page.wait_started.connect(at_wait_start)
    for _attempt in range(3):
        with qtbot.waitSignal(page.wait_started, timeout=WAIT_MS):
            page.passphrase.setText("not the passphrase at all")
            page.unlock.click()
        assert "not correct" in page.error.text()
        qtbot.waitUntil(page.unlock.isEnabled, timeout=WAIT_MS)
        assert page.waiting_seconds == 0 and not page.countdown.isVisibleTo(page)
    assert [s[0] for s in seen] == [1, 2, 4]
    assert not any(enabled for _s, enabled, _t, _w in seen)
    assert not any(working for _s, _e, _t, working in seen)
    assert seen[1][2] == "You can try again in 2 seconds."
    assert unlocking.read_attempts(vault_folder).failures == 3
    with qtbot.waitSignal(shell.session.opened, timeout=WAIT_MS):
        page.passphrase.setText(PASSPHRASE)
        page.unlock.click()
    assert unlocking.read_attempts(vault_folder).failures == 0
    with shell.session.vault.read() as session:
        rows = session.exec(select(AuditRow).where(AuditRow.action == "failed_unlocks")).all()
    assert [json.loads(r.detail) for r in rows] == [{"count": 3}]


def test_the_window_stays_responsive_while_the_key_is_derived(
    qtbot: Any, make_shell: ShellFactory, vault_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Derivation is held until the main thread's timer has fired three times: it can only
    finish if the event loop keeps running meanwhile."""
    real_unlock = vaults.unlock_vault
    ticks: list[int] = []
    enough_ticks = threading.Event()
    threads: list[threading.Thread] = []

    def slow_unlock(folder: Path, passphrase: str, **kwargs: Any) -> Any:
        threads.append(threading.current_thread())
        assert enough_ticks.wait(WAIT_MS / 1000), "the main thread's timer did not fire"
        return real_unlock(folder, passphrase, **kwargs)

    monkeypatch.setattr(vaults, "unlock_vault", slow_unlock)
    shell = make_shell(vault_folder)
    page = _unlock_page(shell)
    qtbot.waitUntil(lambda: not page.working, timeout=WAIT_MS)
    timer = QTimer()
    timer.setInterval(10)

    def tick() -> None:
        ticks.append(1)
        if len(ticks) >= 3:
            enough_ticks.set()

    timer.timeout.connect(tick)
    with qtbot.waitSignal(shell.session.opened, timeout=WAIT_MS):
        page.passphrase.setText(PASSPHRASE)
        page.unlock.click()
        assert page.working and page.busy.isVisibleTo(page)
        timer.start()
    timer.stop()
    assert len(ticks) >= 3
    assert threads and threads[0] is not threading.main_thread()


def test_keyboard_only_unlock(qtbot: Any, make_shell: ShellFactory, vault_folder: Path) -> None:
    shell = make_shell(vault_folder)
    page = _unlock_page(shell)
    qtbot.waitUntil(lambda: not page.working, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is page.passphrase, timeout=WAIT_MS)
    qtbot.keyClicks(page.passphrase, PASSPHRASE)
    with qtbot.waitSignal(shell.session.opened, timeout=WAIT_MS):
        qtbot.keyClick(page.passphrase, Qt.Key.Key_Return)
    assert shell.window.mode == "workspace"


def test_a_weak_key_derivation_is_warned_about_after_the_unlock(
    qtbot: Any, make_shell: ShellFactory, vault_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shell = make_shell(vault_folder)
    page = _unlock_page(shell)
    qtbot.waitUntil(lambda: not page.working, timeout=WAIT_MS)
    monkeypatch.setattr(keyfile, "TEST_PARAMS", None)  # the key file's 8 MiB, 1 pass: weak
    page.passphrase.setText(PASSPHRASE)
    with qtbot.waitSignal(shell.session.opened, timeout=WAIT_MS):
        page.submit()
    box = page.warning_box
    assert box is not None and box.isVisible()
    assert "weak key derivation (8 MiB, 1 passes" in box.text()
    assert "Change the passphrase to strengthen it." in box.text()
    box.close()


def test_the_forms_updated_with_fieldkit_are_shown_after_the_unlock(
    qtbot: Any, make_shell: ShellFactory, vault_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    previous = sorted((form_service.shipped_forms_dir() / "previous").glob("*-1.yaml"))
    with monkeypatch.context() as patched:
        patched.setattr(form_service, "shipped_form_paths", lambda: previous)
        vaults.create_vault(vault_dir, PASSPHRASE).close()
    shell = make_shell(vault_dir)
    page = _unlock_page(shell)
    qtbot.waitUntil(lambda: not page.working, timeout=WAIT_MS)
    page.passphrase.setText(PASSPHRASE)
    with qtbot.waitSignal(shell.session.opened, timeout=WAIT_MS):
        page.submit()
    box = page.warning_box
    assert box is not None and box.isVisible()
    assert box.icon() == QMessageBox.Icon.Information
    assert box.accessibleName() == "Information"
    assert "Forms updated with fieldkit: Attack on an activist (version 2)" in box.text()
    assert "records and drafts made before keep the version" in box.text()
    box.close()


def test_the_test_suites_own_cheap_derivation_is_not_warned_about(
    qtbot: Any, make_shell: ShellFactory, vault_folder: Path
) -> None:
    shell = make_shell(vault_folder)
    page = _unlock_page(shell)
    qtbot.waitUntil(lambda: not page.working, timeout=WAIT_MS)
    page.passphrase.setText(PASSPHRASE)
    with qtbot.waitSignal(shell.session.opened, timeout=WAIT_MS):
        page.submit()
    assert page.warning_box is None


def test_a_remembered_passphrase_unlocks_at_start_but_not_after_a_lock(
    qtbot: Any, make_shell: ShellFactory, vault_folder: Path, memory_keyring: MemoryKeyring
) -> None:
    passphrases.remember(vault_folder, PASSPHRASE)
    shell = make_shell(vault_folder)
    qtbot.waitUntil(lambda: shell.session.is_open, timeout=WAIT_MS)
    shell.window.lock()
    page = _unlock_page(shell)
    assert not page.working  # a lock is never undone by the keyring
    assert not shell.session.is_open


def test_a_stale_remembered_passphrase_asks_without_a_wait(
    qtbot: Any, make_shell: ShellFactory, vault_folder: Path, memory_keyring: MemoryKeyring
) -> None:
    passphrases.remember(vault_folder, "an old passphrase that changed since")
    shell = make_shell(vault_folder)
    page = _unlock_page(shell)
    qtbot.waitUntil(lambda: not page.working, timeout=WAIT_MS)
    assert "no longer opens" in page.error.text()
    assert page.unlock.isEnabled() and unlocking.read_attempts(vault_folder).failures == 0


def test_the_count_survives_a_restart_and_a_success_resets_it(
    qtbot: Any, make_shell: ShellFactory, vault_folder: Path
) -> None:
    first = make_shell(vault_folder)
    page = _unlock_page(first)
    qtbot.waitUntil(lambda: not page.working, timeout=WAIT_MS)
    for _attempt in range(2):
        with qtbot.waitSignal(page.wait_started, timeout=WAIT_MS):
            page.passphrase.setText("not the passphrase at all")
            page.unlock.click()
        qtbot.waitUntil(page.unlock.isEnabled, timeout=WAIT_MS)

    # A restart: another window, session and page on the same vault folder.
    second = make_shell(vault_folder, start=False)
    seen: list[tuple[int, bool]] = []
    again = second.window.show_unlock()
    again.wait_started.connect(lambda s: seen.append((s, again.unlock.isEnabled())))
    assert not again.unlock.isEnabled()  # not before the count is read
    with qtbot.waitSignal(again.wait_started, timeout=WAIT_MS):
        pass  # the 2 s after the second failure are not over yet
    assert seen[0][0] in (1, 2) and not seen[0][1]
    qtbot.waitUntil(again.unlock.isEnabled, timeout=WAIT_MS)
    with qtbot.waitSignal(again.wait_started, timeout=WAIT_MS) as third:
        again.passphrase.setText("still not the passphrase")
        again.unlock.click()
    assert third.args == [4]  # the third failure in a row, not the first
    qtbot.waitUntil(again.unlock.isEnabled, timeout=WAIT_MS)
    with qtbot.waitSignal(second.session.opened, timeout=WAIT_MS):
        again.passphrase.setText(PASSPHRASE)
        again.unlock.click()
    assert unlocking.read_attempts(vault_folder).failures == 0
    with second.session.vault.read() as session:
        rows = session.exec(select(AuditRow).where(AuditRow.action == "failed_unlocks")).all()
    assert [json.loads(r.detail) for r in rows] == [{"count": 3}]

    second.window.lock()
    after = _unlock_page(second)
    qtbot.waitUntil(lambda: after.ready and not after.working, timeout=WAIT_MS)
    assert after.waiting_seconds == 0 and after.unlock.isEnabled()
    with qtbot.waitSignal(after.wait_started, timeout=WAIT_MS) as fresh:
        after.passphrase.setText("not the passphrase at all")
        after.unlock.click()
    assert fresh.args == [1]


def test_an_erased_vault_says_why_it_no_longer_opens(
    qtbot: Any, make_shell: ShellFactory, vault_folder: Path, memory_keyring: Any
) -> None:
    from fieldkit.bundle.erase_order import make_erase_order
    from fieldkit.crypto.identity import SigningKey
    from fieldkit.services import erasure

    passphrases.remember_verified(vault_folder, PASSPHRASE)
    opened = vaults.unlock_vault(vault_folder, PASSPHRASE)
    key_id = vaults.device_identity(opened).key_id
    opened.close()
    hq = SigningKey.generate()
    order = make_erase_order(hq, key_id, "2026-12-07T10:00:00Z")
    notice = erasure.obey_erase_order(
        vault_folder, order, hq.public.public_key, "Mission HQ", key_id
    )
    line = (
        f"This vault was erased on {notice.erased_at[:10]} because headquarters (Mission HQ) "
        "reported this device lost."
    )
    shell = make_shell(vault_folder)
    page = _unlock_page(shell)  # not the welcome page, which would offer a new vault
    qtbot.waitUntil(lambda: not page.working and page.error.isVisibleTo(page), timeout=WAIT_MS)
    assert page.error.text() == line
    page.passphrase.setText(PASSPHRASE)  # the right passphrase: the same line, no vault
    page.error.clear()
    page.unlock.click()
    qtbot.waitUntil(lambda: page.error.text() == line, timeout=WAIT_MS)
    assert not shell.session.is_open and page.waiting_seconds == 0
