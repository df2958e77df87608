"""One attached file in an attachment field: thumbnail (images only), name, size, Remove."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QLocale, Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from fieldkit.gui.forms import thumbnails
from fieldkit.i18n import _
from fieldkit.vault.store import Vault


def human_size(size: int) -> str:
    return QLocale().formattedDataSize(size)


class AttachmentEntry(QWidget):
    remove_requested = Signal(QWidget)

    def __init__(
        self, ref: dict[str, Any], vault: Vault | None, read_only: bool, parent: QWidget | None
    ) -> None:
        super().__init__(parent)
        self.ref = ref
        self._vault = vault
        self.thumbnail = QLabel(self)
        self.thumbnail.setFixedSize(thumbnails.THUMBNAIL_SIZE, thumbnails.THUMBNAIL_SIZE)
        self.thumbnail.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.thumbnail.setVisible(False)
        name = str(ref.get("name", ""))
        self.name = QLabel(name, self)
        self.name.setTextFormat(Qt.TextFormat.PlainText)
        self.name.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        size = ref.get("size")
        self.size_label = QLabel(human_size(size) if isinstance(size, int) else "", self)
        self.remove = QPushButton(_("Remove"), self)
        self.remove.setAccessibleName(_("Remove the file {name}").format(name=name))
        self.remove.clicked.connect(lambda: self.remove_requested.emit(self))
        self.remove.setVisible(not read_only)
        text = QVBoxLayout()
        text.addWidget(self.name)
        text.addWidget(self.size_label)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.thumbnail)
        layout.addLayout(text, 1)
        layout.addWidget(self.remove)

    @property
    def previewable(self) -> bool:
        media_type, size = self.ref.get("media_type"), self.ref.get("size")
        return (
            self._vault is not None
            and isinstance(media_type, str)
            and isinstance(size, int)
            and thumbnails.can_preview(media_type, size)
        )

    def show_thumbnail(self, shown: bool) -> None:
        """Decode the thumbnail when shown; drop the pixels when hidden."""
        if shown and self.previewable and self._vault is not None:
            if self.thumbnail.pixmap().isNull():
                pixmap = thumbnails.thumbnail(self._vault, str(self.ref["sha256"]))
                if pixmap is None:
                    self.thumbnail.setText(_("No preview"))
                else:
                    self.thumbnail.setPixmap(pixmap)
                    self.thumbnail.setAccessibleName(
                        _("Preview of {name}").format(name=self.name.text())
                    )
            self.thumbnail.setVisible(True)
        else:
            self.thumbnail.clear()
            self.thumbnail.setVisible(False)

    def has_thumbnail(self) -> bool:
        return not self.thumbnail.pixmap().isNull()
