"""File dialogs leave no trace: Qt's QFileDialog saves the folders visited (``history``,
``lastVisited``) into the user's Qt settings (``QtProject.conf``) when it goes away; every dialog
of the app goes through ``gui.file_choice``, which leaves none of them there."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QApplication, QFileDialog, QFileSystemModel, QLineEdit, QWidget

from fieldkit.domain.forms import FormDefinition
from fieldkit.gui import file_choice
from fieldkit.gui.forms.context import RenderContext
from fieldkit.gui.forms.fields_attachment import AttachmentInput
from tests.gui.conftest import WAIT_MS

SECRET = "ledger-of-checkpoint-7f3a"
"""A folder name that must never reach Qt's settings."""


@pytest.fixture
def qt_settings_file() -> Path:
    """Qt's settings of this user, under the test's own XDG_CONFIG_HOME (Qt reads the variable
    once per process, so the path is set here for each test)."""
    config = Path(os.environ["XDG_CONFIG_HOME"])
    for fmt in (QSettings.Format.NativeFormat, QSettings.Format.IniFormat):
        QSettings.setPath(fmt, QSettings.Scope.UserScope, str(config))
    path = Path(QSettings(QSettings.Scope.UserScope, "QtProject").fileName())
    assert path == config / "QtProject.conf"
    return path


@pytest.fixture
def secret_file(tmp_path: Path) -> Path:
    folder = tmp_path / SECRET / "inner"
    folder.mkdir(parents=True)
    target = folder / "receipt.fkr"
    target.write_bytes(b"not really a receipt")
    return target


def answer_with(target: Path, *, folder: bool = False) -> None:
    """When a file dialog opens, go into ``target``'s folder (or into ``target``) as a user
    would, through the dialog's own widgets, and accept it."""
    where = target if folder else target.parent

    def step() -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, QFileDialog):
            QTimer.singleShot(10, step)
            return
        QTimer.singleShot(WAIT_MS, dialog.reject)  # never hang the suite
        model = dialog.findChild(QFileSystemModel)
        assert model is not None, "a native dialog: Qt's own is expected"

        def loaded(path: str) -> None:
            if Path(path) != where:
                return
            if not folder:
                name_edit = dialog.findChild(QLineEdit, "fileNameEdit")
                assert name_edit is not None
                name_edit.setText(target.name)  # typed, as a user would
            dialog.accept()

        model.directoryLoaded.connect(loaded)
        dialog.setDirectory(str(where.parent))
        dialog.setDirectory(str(where))

    QTimer.singleShot(0, step)


def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""


def test_a_bare_qt_dialog_does_write_the_folder(
    qtbot: Any, qt_settings_file: Path, secret_file: Path
) -> None:
    """The leak itself (so that the tests below cannot pass by looking in the wrong place)."""
    parent = QWidget()
    qtbot.addWidget(parent)
    answer_with(secret_file)
    name, _filter = QFileDialog.getOpenFileName(
        parent, "t", "", "", "", QFileDialog.Option.DontUseNativeDialog
    )
    assert name == str(secret_file)
    assert SECRET in _text(qt_settings_file)
    file_choice.forget_file_dialog_state()
    assert SECRET not in _text(qt_settings_file)
    assert "FileDialog" not in _text(qt_settings_file)


def _attachment_field(parent: QWidget) -> AttachmentInput:
    form = FormDefinition.model_validate(
        {
            "id": "one-file",
            "version": "1",
            "title": {"en": "One file"},
            "languages": ["en"],
            "fields": [{"name": "scan", "type": "attachment", "label": {"en": "Scan"}}],
        }
    )
    return AttachmentInput(RenderContext(form, "en", None), form.fields[0], parent)


ROUTES: dict[str, tuple[bool, Callable[[QWidget], Any]]] = {
    "receipt or enrolment file": (
        False,
        lambda parent: file_choice.open_file(parent, "Receipt", "Receipts (*.fkr)"),
    ),
    "export folder": (True, lambda parent: file_choice.existing_folder(parent, "Drive")),
    "attachments": (False, lambda parent: _attachment_field(parent).choose_files()),
}


@pytest.mark.parametrize("route", list(ROUTES))
def test_choosing_leaves_no_folder_in_qt_settings(
    qtbot: Any, qt_settings_file: Path, secret_file: Path, route: str
) -> None:
    # What an earlier version left behind goes too.
    earlier = QSettings(QSettings.Scope.UserScope, "QtProject")
    earlier.setValue("FileDialog/history", [(secret_file.parent.parent / "old").as_uri()])
    earlier.sync()
    assert SECRET in _text(qt_settings_file)
    folder, choose = ROUTES[route]
    parent = QWidget()
    qtbot.addWidget(parent)
    answer_with(secret_file.parent if folder else secret_file, folder=folder)
    chosen = choose(parent)
    expected = secret_file.parent if folder else secret_file
    assert chosen in (expected, [str(expected)])
    text = _text(qt_settings_file)
    assert SECRET not in text
    assert "FileDialog" not in text
    assert "history" not in text and "lastVisited" not in text


def test_a_cancelled_dialog_leaves_nothing_either(
    qtbot: Any, qt_settings_file: Path, secret_file: Path
) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)

    def browse_then_cancel() -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, QFileDialog):
            QTimer.singleShot(10, browse_then_cancel)
            return
        dialog.setDirectory(str(secret_file.parent))
        QTimer.singleShot(50, dialog.reject)

    QTimer.singleShot(0, browse_then_cancel)
    assert file_choice.open_files(parent, "Files") == []
    assert SECRET not in _text(qt_settings_file)
