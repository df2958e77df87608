"""One whole session through the real main window, as a field worker goes: create the vault on the
first-run pages, lock and unlock, record an attack through the form's widgets (a repeat entry, a
field shown by relevance, a constraint error and its correction), finalize, find the record with
the search box, amend it, and read a history of two revisions."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QMessageBox

from fieldkit.gui.create_vault import CreateVaultPage
from fieldkit.gui.editors import real_documents
from fieldkit.gui.form_picker import FormPickerDialog
from fieldkit.gui.forms.editor import SEAL_QUESTION, RecordEditor
from fieldkit.gui.forms.viewer import RecordViewer
from fieldkit.gui.records_page import RecordsPage
from fieldkit.gui.unlock import UnlockPage
from fieldkit.gui.welcome import WelcomePage
from fieldkit.gui.workspace import Workspace
from fieldkit.services import records
from tests.conftest import DATA, PASSPHRASE
from tests.gui.conftest import WAIT_MS, Shell, ShellFactory
from tests.gui.forms_support.driver import FormDriver
from tests.gui.forms_support.editing import button, fill_attack_on_activist

CTRL_SHIFT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier


def _workspace(qtbot: Any, shell: Shell) -> Workspace:
    """The workspace once its forms are known and its list has loaded."""
    workspace = shell.window.workspace
    assert isinstance(workspace, Workspace)
    model = workspace.records.model
    qtbot.waitUntil(lambda: bool(workspace.offered_forms()) and not model.loading, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: not shell.runner.busy, timeout=WAIT_MS)
    return workspace


def _create_vault(qtbot: Any, shell: Shell) -> None:
    welcome = shell.window.page
    assert isinstance(welcome, WelcomePage)
    qtbot.mouseClick(welcome.start, Qt.MouseButton.LeftButton)
    page = shell.window.page
    assert isinstance(page, CreateVaultPage)
    qtbot.keyClicks(page.passphrase, PASSPHRASE)
    qtbot.keyClicks(page.confirmation, PASSPHRASE)
    qtbot.keyClicks(page.device_name, "field laptop 7")
    with qtbot.waitSignal(shell.session.opened, timeout=WAIT_MS):
        qtbot.mouseClick(page.create_button, Qt.MouseButton.LeftButton)


def _lock_and_unlock(qtbot: Any, shell: Shell) -> None:
    window = shell.window
    QTest.keyClick(window, Qt.Key.Key_L, CTRL_SHIFT)
    assert not shell.session.is_open
    page = window.page
    assert isinstance(page, UnlockPage) and window.workspace is None
    qtbot.keyClicks(page.passphrase, PASSPHRASE)
    with qtbot.waitSignal(shell.session.opened, timeout=WAIT_MS):
        qtbot.keyClick(page.passphrase, Qt.Key.Key_Return)


def _new_record(qtbot: Any, shell: Shell, title: str) -> RecordEditor:
    workspace = _workspace(qtbot, shell)
    QTest.keyClick(shell.window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    picker = workspace.picker
    assert isinstance(picker, FormPickerDialog)
    qtbot.waitUntil(picker.isVisible, timeout=WAIT_MS)
    titles = [picker.forms.item(i).text() for i in range(picker.forms.count())]
    picker.forms.setCurrentRow(titles.index(title))
    qtbot.keyClick(picker.forms, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: isinstance(workspace.editor, RecordEditor), timeout=WAIT_MS)
    editor = workspace.editor
    assert isinstance(editor, RecordEditor) and editor.renderer is not None
    return editor


def _seal(qtbot: Any, editor: RecordEditor, *, by_shortcut: bool) -> None:
    """Finalize (by Ctrl+Return or the button) and press Seal in the confirmation."""
    with qtbot.waitSignal(editor.finalized, timeout=WAIT_MS):
        if by_shortcut:
            window = editor.window()
            window.activateWindow()
            qtbot.waitUntil(window.isActiveWindow, timeout=WAIT_MS)
            focused = QApplication.focusWidget()
            assert focused is not None and editor.isAncestorOf(focused)
            qtbot.keyClick(focused, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
        else:
            qtbot.mouseClick(editor.finalize_button, Qt.MouseButton.LeftButton)
        box = editor.pending_dialog
        assert isinstance(box, QMessageBox), "no confirmation (problems left?)"
        assert box.text() == SEAL_QUESTION
        qtbot.mouseClick(button(box, "Seal"), Qt.MouseButton.LeftButton)


def _search(qtbot: Any, page: RecordsPage, text: str) -> None:
    page.focus_search()
    qtbot.keyClick(page.filters.search, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(page.filters.search, text)
    model = page.model
    qtbot.waitUntil(
        lambda: model.filters.search == text and not model.loading and page.isVisible(),
        timeout=WAIT_MS,
    )


def test_a_whole_session_through_the_main_window(
    qtbot: Any, make_shell: ShellFactory, vault_dir: Path
) -> None:
    answers = json.loads(
        (DATA / "records" / "v2" / "attack-on-activist.valid.json").read_text("utf-8")
    )
    shell = make_shell(vault_dir, documents=real_documents())
    window = shell.window
    _create_vault(qtbot, shell)
    _workspace(qtbot, shell)
    _lock_and_unlock(qtbot, shell)
    workspace = _workspace(qtbot, shell)
    other = records.create(shell.session.vault, "illicit-market-observation", {})

    editor = _new_record(qtbot, shell, "Attack on an activist")
    assert window.windowTitle() == "fieldkit — Attack on an activist"
    assert editor.renderer is not None
    fill_attack_on_activist(FormDriver(qtbot, editor.renderer), answers)
    record_id = editor.record_id
    _seal(qtbot, editor, by_shortcut=True)
    assert workspace.currentWidget() is workspace.records
    assert window.windowTitle() == "fieldkit"

    # The search box finds it by a word of its narrative, and not the other record.
    page = workspace.records
    qtbot.waitUntil(lambda: page.model.total == 2 and not page.model.loading, timeout=WAIT_MS)
    _search(qtbot, page, "motorcycles")
    assert page.model.total == 1
    found = page.model.item(0)
    assert found is not None and found.id == record_id and found.id != other
    assert found.status == "final"

    # Amend it: the sealed record opens in the viewer, Amend opens the editor.
    page.table.setFocus()
    page.table.setCurrentIndex(page.model.index(0, 0))
    qtbot.keyClick(page.table, Qt.Key.Key_Return)
    viewer = workspace.viewer
    assert isinstance(viewer, RecordViewer)
    qtbot.mouseClick(viewer.amend_button, Qt.MouseButton.LeftButton)
    amending = workspace.editor
    assert isinstance(amending, RecordEditor) and amending.renderer is not None
    assert amending.kind.text() == "Amendment: will be sealed as revision 2"
    d = FormDriver(qtbot, amending.renderer)
    d.retype("admin2", "Gourma province")
    _seal(qtbot, amending, by_shortcut=False)

    # Found again, it shows the amendment and a history of two revisions.
    _search(qtbot, page, "motorcycles")
    assert page.model.total == 1
    page.table.setCurrentIndex(page.model.index(0, 0))
    qtbot.keyClick(page.table, Qt.Key.Key_Return)
    viewer = workspace.viewer
    assert isinstance(viewer, RecordViewer) and viewer.record_id == record_id
    assert viewer.renderer is not None
    assert FormDriver(qtbot, viewer.renderer).line_edit("admin2").text() == "Gourma province"
    viewer.tabs.setCurrentWidget(viewer.history)
    rows = viewer.history.rows()
    assert [row[0] for row in rows] == ["1", "2"]
    assert all(row[5] == "valid" for row in rows)
    assert all("field laptop 7" in row[2] for row in rows)
    detail = records.detail(shell.session.vault, record_id)
    assert [revision.number for revision in detail.revisions] == [1, 2]
    assert detail.sealed is not None and detail.sealed["admin2"] == "Gourma province"
