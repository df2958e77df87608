"""Asking for a file or a folder: Qt's own dialog, never the system one, which may note the file
in the desktop's "recent files" list."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QWidget

from fieldkit.i18n import _


def open_file(parent: QWidget, title: str, kinds: str) -> Path | None:
    """One existing file, or None. ``kinds`` is a translated filter such as "Receipts (*.fkr)"."""
    name, _filter = QFileDialog.getOpenFileName(
        parent,
        title,
        "",
        f"{kinds};;{_('All files (*)')}",
        "",
        QFileDialog.Option.DontUseNativeDialog,
    )
    return Path(name) if name else None


def existing_folder(parent: QWidget, title: str) -> Path | None:
    name = QFileDialog.getExistingDirectory(
        parent,
        title,
        "",
        QFileDialog.Option.DontUseNativeDialog | QFileDialog.Option.ShowDirsOnly,
    )
    return Path(name) if name else None
