"""Files attached to a record: added through a file dialog into the encrypted vault, listed with
name and size, image thumbnails made in memory, removable.

Adding a file stores it (encrypted) in the vault at once and puts its reference
(``sha256``, ``name``, ``media_type``, ``size``) into the answers. Thumbnails of identifying
attachments are hidden (and not even decoded) until the user reveals them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from fieldkit.domain.forms import FieldDef
from fieldkit.errors import FieldkitError
from fieldkit.gui.forms.attachment_entry import AttachmentEntry
from fieldkit.gui.forms.context import RenderContext
from fieldkit.gui.forms.fields_base import FieldInput
from fieldkit.i18n import _
from fieldkit.services import attachments


class AttachmentInput(FieldInput):
    MASKS_ITSELF: ClassVar[bool] = True

    def __init__(self, ctx: RenderContext, field: FieldDef, parent: QWidget | None = None) -> None:
        super().__init__(ctx, field, parent)
        self.entries: list[AttachmentEntry] = []
        self._revealed = not ctx.is_identifying(field)
        self.list_layout = QVBoxLayout()
        self.list_layout.setContentsMargins(0, 0, 0, 0)
        self.empty = QLabel(_("No files."), self)
        self.add_button = QPushButton(_("Add files…"), self)
        self.add_button.clicked.connect(self.add_files)
        self.add_button.setVisible(not ctx.read_only)
        self.message = QLabel(self)
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        self.message.setWordWrap(True)
        self.message.setVisible(False)
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.empty)
        layout.addLayout(self.list_layout)
        layout.addLayout(buttons)
        layout.addWidget(self.message)

    # -- adding and removing ---------------------------------------------------------------------

    def choose_files(self) -> list[str]:
        """Ask for files. Qt's own dialog: the system one may note the file in "recent files"."""
        names, _filter = QFileDialog.getOpenFileNames(
            self,
            _("Add files to {field}").format(field=self.ctx.label(self.field)),
            "",
            "",
            "",
            QFileDialog.Option.DontUseNativeDialog,
        )
        return list(names)

    def add_files(self) -> None:
        vault = self.ctx.vault
        if vault is None or self.ctx.read_only:
            return
        self._say("")
        for name in self.choose_files():
            if self.field.max_files is not None and len(self.entries) >= self.field.max_files:
                self._say(_("This field takes at most {n} files.").format(n=self.field.max_files))
                break
            try:
                ref = attachments.add_file(vault, Path(name))
            except FieldkitError as exc:
                self._say(exc.user_message)
                continue
            if any(entry.ref["sha256"] == ref["sha256"] for entry in self.entries):
                continue
            self._add_entry(ref)
            self.notify_edited()
        self._sync()

    def _add_entry(self, ref: dict[str, Any]) -> None:
        entry = AttachmentEntry(ref, self.ctx.vault, self.ctx.read_only, self)
        entry.remove_requested.connect(self._remove)
        self.entries.append(entry)
        self.list_layout.addWidget(entry)
        entry.show_thumbnail(self._revealed)

    def _remove(self, widget: QWidget) -> None:
        entry = next((e for e in self.entries if e is widget), None)
        if entry is None:
            return
        self.entries.remove(entry)
        entry.show_thumbnail(False)
        entry.hide()
        entry.deleteLater()
        self.add_button.setFocus()
        self._sync()
        self.notify_edited()

    def _say(self, message: str) -> None:
        self.message.setText(message)
        self.message.setVisible(bool(message))

    def _sync(self) -> None:
        self.empty.setVisible(not self.entries)
        full = self.field.max_files is not None and len(self.entries) >= self.field.max_files
        self.add_button.setEnabled(not full)
        self.structure_changed.emit()

    # -- value -----------------------------------------------------------------------------------

    def raw_value(self) -> Any:
        return [dict(entry.ref) for entry in self.entries] or None

    def set_value(self, stored: Any) -> None:
        for entry in list(self.entries):
            entry.show_thumbnail(False)
            entry.hide()
            entry.deleteLater()
        self.entries = []
        items = stored if isinstance(stored, list) else ([] if stored is None else [stored])
        for ref in items:
            if isinstance(ref, dict):
                self._add_entry(ref)
        self._say("")
        self._sync()

    def set_revealed(self, revealed: bool) -> None:
        self._revealed = revealed
        for entry in self.entries:
            entry.show_thumbnail(revealed)

    def thumbnails_shown(self) -> int:
        return sum(1 for entry in self.entries if entry.has_thumbnail())

    def focus_widgets(self) -> list[QWidget]:
        widgets: list[QWidget] = []
        if not self.ctx.read_only:
            widgets.extend(entry.remove for entry in self.entries)
            widgets.append(self.add_button)
        return widgets

    def set_accessible(self, name: str, description: str) -> None:
        self.setAccessibleName(name)
        self.setAccessibleDescription(description)
        self.add_button.setAccessibleName(_("Add files to {field}").format(field=name))
        self.add_button.setAccessibleDescription(description)

    def focus_input(self) -> None:
        if self.add_button.isVisible():
            self.add_button.setFocus()
