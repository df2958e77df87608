"""The main window with the real record editor and viewer: opening it and starting a record."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fieldkit.gui.editors import real_documents
from fieldkit.gui.forms.editor import RecordEditor
from tests.gui.conftest import WAIT_MS, Shell, ShellFactory, unlock


def real_shell(qtbot: Any, make_shell: ShellFactory, folder: Path) -> Shell:
    """The shell on ``folder`` with the real editor and viewer, unlocked."""
    shell = make_shell(folder, documents=real_documents())
    unlock(qtbot, shell)
    return shell


def new_record_in_editor(qtbot: Any, shell: Shell, title: str) -> RecordEditor:
    """Pick the form called ``title`` in the form picker and wait for its editor."""
    workspace = shell.window.workspace
    assert workspace is not None
    picker = workspace.new_record()
    titles = [picker.forms.item(i).text() for i in range(picker.forms.count())]
    picker.forms.setCurrentRow(titles.index(title))
    picker.accept()
    qtbot.waitUntil(lambda: workspace.editor is not None, timeout=WAIT_MS)
    editor = workspace.editor
    assert isinstance(editor, RecordEditor)
    return editor
