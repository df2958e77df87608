"""Locking: the panic shortcut, auto-lock after idle, what a lock wipes and closes, and the
clipboard (cleared only when it holds the app's content); a lock never waits for a running task."""

from __future__ import annotations

import threading
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QClipboard
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QDialog

from fieldkit.gui.unlock import UnlockPage
from fieldkit.services import records
from fieldkit.services.records import RecordFilter
from tests.conftest import all_types_answers
from tests.gui.conftest import WAIT_MS, FakeEditor, Shell, unlock

TASK_PATIENCE_S = 5
"""How long the slow task waits to be released: less than the 10 s the lock used to wait."""


def _open_editor(qtbot: Any, shell: Shell) -> FakeEditor:
    workspace = shell.window.workspace
    assert workspace is not None
    before = records.count(shell.session.vault, RecordFilter())
    record_id = records.create(shell.session.vault, "all-types", {})
    workspace.records.refresh()
    qtbot.waitUntil(lambda: workspace.records.model.total == before + 1, timeout=WAIT_MS)
    workspace.open_record(record_id)
    editor = FakeEditor.made[-1]
    assert workspace.editor is editor
    return editor


def test_ctrl_shift_l_saves_typing_wipes_everything_and_closes_the_vault(
    qtbot: Any, unlocked: Shell
) -> None:
    window, session = unlocked.window, unlocked.session
    vault = session.vault
    editor = _open_editor(qtbot, unlocked)
    model = window.workspace.records.model  # type: ignore[union-attr]
    qtbot.keyClicks(editor.subject, "Convoy taxed at the ford")
    assert window.windowTitle() == "fieldkit — All field types"
    settings = window.open_settings()
    assert settings is not None and settings.isVisible()
    QTest.keyClick(
        settings,
        Qt.Key.Key_L,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    assert not vault.is_open and not session.is_open
    assert editor.flushes == 1 and editor.cleared
    assert editor.subject.text() == ""
    assert model.rowCount() == 0 and model.total == 0
    assert not settings.isVisible()
    assert not any(isinstance(w, QDialog) and w.isVisible() for w in QApplication.topLevelWidgets())
    assert window.workspace is None and isinstance(window.page, UnlockPage)
    assert window.windowTitle() == "fieldkit"
    assert not window.new_action.isEnabled() and not window.lock_action.isEnabled()
    unlock(qtbot, unlocked)
    detail = records.detail(unlocked.session.vault, editor.record_id)
    assert detail.draft == {"subject": "Convoy taxed at the ford"}


def test_the_toolbar_lock_action_locks(unlocked: Shell) -> None:
    vault = unlocked.session.vault
    assert unlocked.window.lock_action in unlocked.window.toolbar.actions()
    unlocked.window.lock_action.trigger()
    assert not vault.is_open


def test_auto_lock_after_idle_but_not_while_the_user_types(qtbot: Any, unlocked: Shell) -> None:
    vault = unlocked.session.vault
    editor = _open_editor(qtbot, unlocked)
    assert unlocked.idle.active
    assert unlocked.idle.interval_ms == 5 * 60_000  # the default preference
    unlocked.idle.set_interval_ms(60_000)
    qtbot.wait(30)
    before = unlocked.idle.remaining_ms
    assert 0 < before < 60_000
    qtbot.keyClicks(editor.subject, "x")  # input restarts the countdown
    assert unlocked.idle.remaining_ms > before
    assert vault.is_open
    with qtbot.waitSignal(unlocked.session.closed, timeout=WAIT_MS):
        unlocked.idle.set_interval_ms(50)
    assert not vault.is_open
    assert editor.cleared and editor.flushes == 1
    assert isinstance(unlocked.window.page, UnlockPage)
    assert not unlocked.idle.active


def test_lock_clears_a_clipboard_holding_what_was_copied_in_the_app(
    qtbot: Any, unlocked: Shell
) -> None:
    editor = _open_editor(qtbot, unlocked)
    editor.subject.setText("Name of the informant")
    editor.subject.selectAll()
    editor.subject.copy()
    clipboard = QApplication.clipboard()
    assert clipboard.text() == "Name of the informant"
    unlocked.window.lock()
    assert clipboard.text(QClipboard.Mode.Clipboard) == ""


def test_lock_leaves_a_clipboard_that_holds_something_else(qtbot: Any, unlocked: Shell) -> None:
    unlocked.window.lock()
    clipboard = QApplication.clipboard()
    clipboard.setText("copied in another program while fieldkit was locked")
    unlock(qtbot, unlocked)
    unlocked.window.lock()
    assert clipboard.text() == "copied in another program while fieldkit was locked"


def test_no_record_content_in_the_window_title(qtbot: Any, unlocked: Shell) -> None:
    vault = unlocked.session.vault
    record_id = records.create(vault, "all-types", all_types_answers(subject="Secret subject"))
    records.finalize(vault, record_id)
    workspace = unlocked.window.workspace
    assert workspace is not None
    workspace.records.refresh()
    qtbot.waitUntil(lambda: workspace.records.model.total == 1, timeout=WAIT_MS)
    titles = {unlocked.window.windowTitle()}
    workspace.open_record(record_id)
    titles.add(unlocked.window.windowTitle())
    assert titles == {"fieldkit", "fieldkit — All field types"}
    assert records.count(vault, RecordFilter(search="Secret")) == 1


def test_the_panic_lock_does_not_wait_for_a_running_task(qtbot: Any, unlocked: Shell) -> None:
    """The task waits for an event that the test sets only once the lock has returned: a lock
    that waits for the task leaves it waiting until it gives up."""
    window, session = unlocked.window, unlocked.session
    vault = session.vault
    records.create(vault, "all-types", {"subject": "Levy at the ford"})
    editor = _open_editor(qtbot, unlocked)  # a second record
    model = window.workspace.records.model  # type: ignore[union-attr]
    qtbot.waitUntil(lambda: model.rowCount() == 2 and not model.loading, timeout=WAIT_MS)
    qtbot.keyClicks(editor.subject, "Typed before the lock")
    started, release, ended = threading.Event(), threading.Event(), threading.Event()
    seen: dict[str, Any] = {}

    def slow() -> str:
        started.set()
        seen["released"] = release.wait(TASK_PATIENCE_S)
        try:  # the task still holds the Vault: it must not get a session on it any more
            with vault.read() as db_session:
                db_session.connection()
            seen["vault"] = "still open"
        except RuntimeError as error:
            seen["vault"] = str(error)
        ended.set()
        return "a late page of records"

    delivered: list[object] = []
    unlocked.runner.run("slow query", slow, delivered.append, delivered.append)
    assert started.wait(WAIT_MS / 1000)
    QTest.keyClick(
        window,
        Qt.Key.Key_L,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    release.set()  # reached only once the lock has returned
    assert not session.is_open and not vault.is_open
    assert model.rowCount() == 0 and model.total == 0
    assert editor.cleared and editor.subject.text() == ""
    assert window.workspace is None and isinstance(window.page, UnlockPage)
    assert ended.wait(WAIT_MS / 1000)
    qtbot.waitUntil(lambda: unlocked.runner.wait(0), timeout=WAIT_MS)
    QApplication.processEvents()  # the task's result is queued to the main thread: drop it
    assert seen == {"released": True, "vault": "The vault is locked."}
    assert delivered == []  # the task reported to nobody
    unlock(qtbot, unlocked)
    assert records.detail(unlocked.session.vault, editor.record_id).draft == {
        "subject": "Typed before the lock"
    }
