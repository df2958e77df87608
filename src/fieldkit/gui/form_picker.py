"""Choosing the form of a new record: the installed forms, titled in the current language."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from fieldkit.gui.bidi import isolate
from fieldkit.i18n import _


class FormPickerDialog(QDialog):
    def __init__(
        self,
        forms: list[tuple[str, str]],
        parent: QWidget | None = None,
        signed: frozenset[str] = frozenset(),
    ) -> None:
        """``forms``: (form id, title) of the forms offered for new records; ``signed``: the ids
        of those whose offered version came signed by the enrolled headquarters."""
        super().__init__(parent)
        self.setWindowTitle(_("New record"))
        self.setAccessibleName(_("New record"))
        self.forms = QListWidget()
        self.forms.setAccessibleName(_("Forms"))
        self.forms.setWordWrap(True)  # a long form title is shown whole, on several lines
        self.forms.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.forms.setResizeMode(QListWidget.ResizeMode.Adjust)
        for form_id, title in forms:
            shown = title
            if form_id in signed:
                shown = _("{title} (from your headquarters)").format(title=isolate(title))
            item = QListWidgetItem(shown)
            item.setData(Qt.ItemDataRole.UserRole, form_id)
            self.forms.addItem(item)
        self.forms.setCurrentRow(0)
        self.forms.itemActivated.connect(lambda _item: self.accept())
        label = QLabel(_("Which form does the new record use?"))
        label.setWordWrap(True)
        label.setBuddy(self.forms)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setText(_("Start the record"))
        ok.setAccessibleName(_("Start the record"))
        ok.setDefault(True)
        ok.setEnabled(bool(forms))
        cancel = buttons.button(QDialogButtonBox.StandardButton.Cancel)
        cancel.setText(_("Cancel"))
        cancel.setAccessibleName(_("Cancel"))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(label)
        layout.addWidget(self.forms)
        layout.addWidget(buttons)
        self.forms.setFocus()
        self.resize(420, 280)

    def chosen(self) -> str | None:
        item = self.forms.currentItem()
        return str(item.data(Qt.ItemDataRole.UserRole)) if item is not None else None
