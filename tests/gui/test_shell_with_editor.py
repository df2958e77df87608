"""The shell with the real record editor and viewer (fieldkit.gui.forms)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QApplication, QMessageBox

from fieldkit.gui.forms.editor import RecordEditor
from fieldkit.gui.forms.viewer import RecordViewer
from fieldkit.services import records, vaults
from tests.conftest import PASSPHRASE, all_types_answers
from tests.gui.conftest import WAIT_MS, ShellFactory, unlock
from tests.gui.forms_support.driver import FormDriver
from tests.gui.forms_support.shell import new_record_in_editor, real_shell


def test_typing_survives_a_panic_lock(
    qtbot: Any, make_shell: ShellFactory, vault_folder: Path
) -> None:
    shell = real_shell(qtbot, make_shell, vault_folder)
    editor = new_record_in_editor(qtbot, shell, "All field types")
    assert shell.window.windowTitle() == "fieldkit — All field types"
    assert editor.renderer is not None
    driver = FormDriver(qtbot, editor.renderer)
    driver.type("subject", "Levy at the river crossing")
    record_id = editor.record_id
    line = driver.line_edit("subject")
    assert line.text() == "Levy at the river crossing"
    vault = shell.session.vault
    shell.window.lock()  # before the autosave timer fired: the lock must flush
    assert not vault.is_open
    assert line.text() == ""  # the editor's widgets were wiped
    assert shell.window.workspace is None
    unlock(qtbot, shell)
    detail = records.detail(shell.session.vault, record_id)
    assert detail.draft is not None
    assert detail.draft.get("subject") == "Levy at the river crossing"


def test_lock_closes_the_editors_own_dialogs(
    qtbot: Any, make_shell: ShellFactory, vault_folder: Path
) -> None:
    shell = real_shell(qtbot, make_shell, vault_folder)
    editor = new_record_in_editor(qtbot, shell, "All field types")
    editor.request_discard()
    box = editor.pending_dialog
    assert isinstance(box, QMessageBox)
    qtbot.waitUntil(box.isVisible, timeout=WAIT_MS)
    shell.window.lock()
    assert not any(
        isinstance(w, QMessageBox) and w.isVisible() for w in QApplication.topLevelWidgets()
    )


def test_sealed_record_opens_in_the_viewer_and_amend_opens_the_editor(
    qtbot: Any, make_shell: ShellFactory, vault_folder: Path
) -> None:
    vault = vaults.unlock_vault(vault_folder, PASSPHRASE)
    record_id = records.create(vault, "all-types", all_types_answers(subject="Sealed levy"))
    records.finalize(vault, record_id)
    vault.close()
    shell = real_shell(qtbot, make_shell, vault_folder)
    workspace = shell.window.workspace
    assert workspace is not None
    workspace.open_record(record_id)
    viewer = workspace.viewer
    assert isinstance(viewer, RecordViewer)
    assert "Sealed levy" not in shell.window.windowTitle()
    viewer.amend_button.click()
    editor = workspace.editor
    assert isinstance(editor, RecordEditor) and workspace.viewer is None
    assert records.detail(shell.session.vault, record_id).draft is not None  # amending
    editor.close_button.click()
    assert workspace.currentWidget() is workspace.records
    qtbot.waitUntil(
        lambda: (
            workspace.records.model.find(record_id) is not None
            and workspace.records.model.find(record_id).has_draft
        ),  # type: ignore[union-attr]
        timeout=WAIT_MS,
    )
