"""The drives an export can go to: removable drives found on this computer, and folders chosen by
hand. Each row names the drive and its free space; the path is in the tooltip."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QLocale, QSize, Qt
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QWidget

from fieldkit.i18n import _
from fieldkit.services.drives import Drive

ROWS_SHOWN = 4
PathRole = Qt.ItemDataRole.UserRole
ChosenRole = Qt.ItemDataRole.UserRole + 1


def size_text(size: int) -> str:
    return QLocale().formattedDataSize(size)


def drive_text(drive: Drive) -> str:
    return _("{label}: {free} free of {total}").format(
        label=drive.label, free=size_text(drive.free_bytes), total=size_text(drive.total_bytes)
    )


class DriveList(QListWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName(_("Drives to export to"))

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt API
        """Room for a few drives; more scroll."""
        rows = self.fontMetrics().height() + 8
        return QSize(super().sizeHint().width(), rows * ROWS_SHOWN + 2 * self.frameWidth())

    def set_drives(self, drives: list[Drive]) -> None:
        """Show ``drives`` and the folders chosen by hand; keep the selection where it can."""
        selected = self.chosen()
        folders = [self._path(row) for row in range(self.count()) if self._by_hand(row)]
        self.clear()
        for drive in drives:
            self._add(drive_text(drive), drive.path, by_hand=False)
        for folder in folders:
            if folder is not None:
                self._add(self._folder_text(folder), folder, by_hand=True)
        self.select(selected)

    def add_folder(self, folder: Path) -> None:
        """A folder chosen by hand ("Choose another folder…"), selected."""
        if all(self._path(row) != folder for row in range(self.count())):
            self._add(self._folder_text(folder), folder, by_hand=True)
        self.select(folder)

    def drives(self) -> list[Path]:
        return [path for row in range(self.count()) if (path := self._path(row)) is not None]

    def chosen(self) -> Path | None:
        item = self.currentItem()
        return self._path(self.row(item)) if item is not None and item.isSelected() else None

    def select(self, path: Path | None) -> None:
        rows = [row for row in range(self.count()) if self._path(row) == path]
        row = rows[0] if rows else (0 if self.count() else -1)
        self.setCurrentRow(row)

    @staticmethod
    def _folder_text(folder: Path) -> str:
        return _("Folder {path}").format(path=folder)

    def _add(self, text: str, path: Path, by_hand: bool) -> None:
        item = QListWidgetItem(text)
        item.setData(PathRole, str(path))
        item.setData(ChosenRole, by_hand)
        item.setToolTip(str(path))
        self.addItem(item)

    def _path(self, row: int) -> Path | None:
        item = self.item(row)
        value = item.data(PathRole) if item is not None else None
        return Path(value) if value else None

    def _by_hand(self, row: int) -> bool:
        item = self.item(row)
        return bool(item is not None and item.data(ChosenRole))
