"""New record through the form picker; drafts open in the editor, sealed records in the viewer,
whose Amend opens the editor; the window title names at most the form."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from fieldkit.gui.form_picker import FormPickerDialog
from fieldkit.services import records, vaults
from fieldkit.services.records import RecordFilter
from tests.conftest import PASSPHRASE, all_types_answers
from tests.gui.conftest import WAIT_MS, FakeEditor, FakeViewer, Shell, ShellFactory, unlock


def test_new_record_through_the_picker_opens_the_editor(qtbot: Any, unlocked: Shell) -> None:
    window = unlocked.window
    workspace = window.workspace
    assert workspace is not None
    QTest.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    picker = workspace.picker
    assert isinstance(picker, FormPickerDialog)
    qtbot.waitUntil(picker.isVisible, timeout=WAIT_MS)
    titles = [picker.forms.item(i).text() for i in range(picker.forms.count())]
    assert titles == sorted(titles, key=str.casefold)
    assert {"All field types", "Illicit-market observation", "Attack on an activist"} <= set(titles)
    picker.forms.setCurrentRow(titles.index("Illicit-market observation"))
    qtbot.keyClick(picker.forms, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: workspace.editor is not None, timeout=WAIT_MS)
    editor = FakeEditor.made[-1]
    assert workspace.currentWidget() is editor
    assert window.windowTitle() == "fieldkit — Illicit-market observation"
    detail = records.detail(unlocked.session.vault, editor.record_id)
    assert detail.item.form_id == "illicit-market-observation"
    assert detail.item.status == "draft"
    editor.closed.emit()
    assert workspace.currentWidget() is workspace.records
    assert window.windowTitle() == "fieldkit"
    qtbot.waitUntil(lambda: workspace.records.model.total == 1, timeout=WAIT_MS)


def test_drafts_open_in_the_editor_sealed_in_the_viewer_and_amend_edits(
    qtbot: Any, make_shell: ShellFactory, vault_folder: Path
) -> None:
    vault = vaults.unlock_vault(vault_folder, PASSPHRASE)
    draft = records.create(vault, "all-types", all_types_answers(subject="draft one"))
    sealed = records.create(vault, "all-types", all_types_answers(subject="sealed one"))
    records.finalize(vault, sealed)
    vault.close()
    shell = make_shell(vault_folder)
    unlock(qtbot, shell)
    workspace = shell.window.workspace
    assert workspace is not None
    table = workspace.records.table
    rows = {workspace.records.model.item(r).id: r for r in range(2)}  # type: ignore[union-attr]

    table.setFocus()
    table.setCurrentIndex(workspace.records.model.index(rows[draft], 0))
    qtbot.keyClick(table, Qt.Key.Key_Return)
    assert workspace.editor is not None and FakeEditor.made[-1].record_id == draft
    assert shell.window.windowTitle() == "fieldkit — All field types"
    assert "draft one" not in shell.window.windowTitle()
    FakeEditor.made[-1].closed.emit()

    table.setCurrentIndex(workspace.records.model.index(rows[sealed], 0))
    qtbot.keyClick(table, Qt.Key.Key_Enter)
    assert workspace.viewer is not None and workspace.editor is None
    viewer = FakeViewer.made[-1]
    assert viewer.record_id == sealed
    viewer.amend_requested.emit(sealed)
    assert workspace.viewer is None and viewer.cleared
    assert workspace.editor is not None and FakeEditor.made[-1].record_id == sealed


def test_finalizing_returns_to_a_refreshed_list(qtbot: Any, unlocked: Shell) -> None:
    workspace = unlocked.window.workspace
    assert workspace is not None
    record_id = records.create(unlocked.session.vault, "all-types", all_types_answers())
    workspace.open_record(record_id)
    editor = FakeEditor.made[-1]
    records.finalize(unlocked.session.vault, record_id)
    editor.finalized.emit(record_id)
    assert workspace.currentWidget() is workspace.records
    qtbot.waitUntil(lambda: workspace.records.model.total == 1, timeout=WAIT_MS)
    assert records.count(unlocked.session.vault, RecordFilter(status="final")) == 1
