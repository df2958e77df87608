"""Asking for files or a folder: Qt's own dialog, never the system one (which may note the file
in the desktop's "recent files" list), and no trace of the folders visited left on disk.

Every file dialog of the app goes through :func:`_ask`. Qt's widget-based ``QFileDialog`` saves
its state into the user's shared Qt settings when it is destroyed (``QSettings("QtProject")``,
group ``FileDialog``; on Linux ``~/.config/QtProject.conf``), ``history`` and ``lastVisited``
among it: the folders of attached files, bundles and receipts, in clear. Qt has no switch to stop
that, so the dialog here

- opens in the home folder with an empty history (not where the last one was left),
- is pointed back at the home folder, its history emptied, before it is destroyed, so that what
  Qt writes then names no folder the user went to, and
- once destroyed, has its ``FileDialog`` group removed from Qt's settings (which also clears
  what versions before this one left there).
"""

from __future__ import annotations

from pathlib import Path

import shiboken6
from PySide6.QtCore import QDir, QSettings
from PySide6.QtWidgets import QDialog, QFileDialog, QWidget

from fieldkit.i18n import _

QT_SETTINGS_ORGANIZATION = "QtProject"
QT_FILE_DIALOG_GROUP = "FileDialog"
DIALOG_NAME = "fieldkit-file-dialog"
"""The object name of the dialog while it is open (tests find it by this name)."""


def open_file(parent: QWidget, title: str, kinds: str) -> Path | None:
    """One existing file, or None. ``kinds`` is a translated filter such as "Receipts (*.fkr)"."""
    chosen = _ask(parent, title, QFileDialog.FileMode.ExistingFile, [kinds, _("All files (*)")])
    return chosen[0] if chosen else None


def open_files(parent: QWidget, title: str) -> list[Path]:
    """Existing files, any number (none when the dialog is cancelled)."""
    return _ask(parent, title, QFileDialog.FileMode.ExistingFiles, [])


def existing_folder(parent: QWidget, title: str) -> Path | None:
    chosen = _ask(parent, title, QFileDialog.FileMode.Directory, [])
    return chosen[0] if chosen else None


def forget_file_dialog_state() -> None:
    """Remove what Qt's file dialogs saved in the user's Qt settings."""
    settings = QSettings(QSettings.Scope.UserScope, QT_SETTINGS_ORGANIZATION)
    settings.remove(QT_FILE_DIALOG_GROUP)
    settings.sync()


def _ask(
    parent: QWidget, title: str, mode: QFileDialog.FileMode, name_filters: list[str]
) -> list[Path]:
    home = QDir.homePath()
    dialog = QFileDialog(parent, title, home)
    dialog.setObjectName(DIALOG_NAME)
    dialog.setOption(QFileDialog.Option.DontUseNativeDialog)
    dialog.setFileMode(mode)
    if mode is QFileDialog.FileMode.Directory:
        dialog.setOption(QFileDialog.Option.ShowDirsOnly)
    if name_filters:
        dialog.setNameFilters(name_filters)
    dialog.setHistory([])
    chosen: list[Path] = []
    try:
        if dialog.exec() == QDialog.DialogCode.Accepted:
            chosen = [Path(name) for name in dialog.selectedFiles()]
    finally:
        if shiboken6.isValid(dialog):
            dialog.setDirectory(home)  # what Qt saves as the last folder visited
            dialog.setHistory([])
            shiboken6.delete(dialog)  # Qt writes its settings now
        forget_file_dialog_state()
    return chosen
