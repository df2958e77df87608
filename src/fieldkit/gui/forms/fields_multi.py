"""Several choices: check boxes for a short list; a searchable list of check items for a long one
(such as transit countries). The answer lists the stored codes in the form's order."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from fieldkit.domain.forms import FieldDef
from fieldkit.gui.forms.context import CHECKBOX_CHOICES, RenderContext
from fieldkit.gui.forms.fields_base import FieldInput
from fieldkit.i18n import _

LIST_ROWS = 8
CODE_ROLE = Qt.ItemDataRole.UserRole


class SelectMultipleInput(FieldInput):
    def __init__(self, ctx: RenderContext, field: FieldDef, parent: QWidget | None = None) -> None:
        super().__init__(ctx, field, parent)
        self.choices = ctx.choices(field)
        self._labels = dict(self.choices)
        self._shown: list[str] = []
        """The stored codes shown in read-only mode."""
        self._extra: list[str] = []
        """Stored codes that are not among the choices (shown as an error by the domain)."""
        self.display: QLineEdit | None = None
        self.boxes: list[QCheckBox] = []
        self.filter: QLineEdit | None = None
        self.list: QListWidget | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        if ctx.read_only:
            self.display = QLineEdit(self)
            self.display.setReadOnly(True)
            layout.addWidget(self.display)
            self.setFocusProxy(self.display)
        elif len(self.choices) <= CHECKBOX_CHOICES:
            for _code, label in self.choices:
                box = QCheckBox(label, self)
                box.setAccessibleName(label)
                box.toggled.connect(self.notify_edited)
                self.boxes.append(box)
                layout.addWidget(box)
        else:
            self._build_list(layout)

    def _build_list(self, layout: QVBoxLayout) -> None:
        self.filter = QLineEdit(self)
        self.filter.setPlaceholderText(_("Type to filter the list…"))
        self.filter.setClearButtonEnabled(True)
        self.filter.textChanged.connect(self._filter)
        self.list = QListWidget(self)
        for code, label in self.choices:
            item = QListWidgetItem(label, self.list)
            item.setData(CODE_ROLE, code)
            item.setFlags(
                Qt.ItemFlag.ItemIsEnabled
                | Qt.ItemFlag.ItemIsSelectable
                | Qt.ItemFlag.ItemIsUserCheckable
            )
            item.setCheckState(Qt.CheckState.Unchecked)
        rows = min(LIST_ROWS, len(self.choices))
        self.list.setFixedHeight(self.list.sizeHintForRow(0) * rows + 2 * self.list.frameWidth())
        self.list.itemChanged.connect(self.notify_edited)
        layout.addWidget(self.filter)
        layout.addWidget(self.list)

    def _filter(self, text: str) -> None:
        if self.list is None:
            return
        folded = text.strip().casefold()
        first_shown: QListWidgetItem | None = None
        for row in range(self.list.count()):
            item = self.list.item(row)
            hidden = bool(folded) and folded not in item.text().casefold()
            item.setHidden(hidden)
            if not hidden and first_shown is None:
                first_shown = item
        if first_shown is not None:
            self.list.setCurrentItem(first_shown)

    def item_for(self, stored: str) -> QListWidgetItem | None:
        if self.list is None:
            return None
        for row in range(self.list.count()):
            item = self.list.item(row)
            if item.data(CODE_ROLE) == stored:
                return item
        return None

    def box_for(self, stored: str) -> QCheckBox | None:
        if not self.boxes:
            return None
        for (code, _label), box in zip(self.choices, self.boxes, strict=True):
            if code == stored:
                return box
        return None

    # -- value -----------------------------------------------------------------------------------

    def selected(self) -> list[str]:
        if self.boxes:
            chosen = [
                code
                for (code, _l), box in zip(self.choices, self.boxes, strict=True)
                if box.isChecked()
            ]
        elif self.list is not None:
            chosen = [
                str(self.list.item(row).data(CODE_ROLE))
                for row in range(self.list.count())
                if self.list.item(row).checkState() == Qt.CheckState.Checked
            ]
        else:
            chosen = list(self._shown)
        choice_list = self.ctx.form.choice_list_for(self.field)
        order = {choice_list.stored_code(c.code): n for n, c in enumerate(choice_list.choices)}
        chosen.sort(key=lambda code: order.get(code, len(order)))  # shown sorted by label
        return [*chosen, *self._extra]

    def raw_value(self) -> Any:
        return self.selected() or None

    def set_value(self, stored: Any) -> None:
        codes: list[str] = []
        self._extra = []
        choice_list = self.ctx.form.choice_list_for(self.field)
        for value in stored if isinstance(stored, list) else []:
            choice = choice_list.find(str(value))
            if choice is None:
                self._extra.append(str(value))
            else:
                codes.append(choice_list.stored_code(choice.code))
        with self.quiet():
            self._shown = [code for code, _label in self.choices if code in codes]
            for code, _label in self.choices:
                box = self.box_for(code)
                if box is not None:
                    box.setChecked(code in codes)
                item = self.item_for(code)
                if item is not None:
                    item.setCheckState(
                        Qt.CheckState.Checked if code in codes else Qt.CheckState.Unchecked
                    )
            if self.display is not None:
                self.display.setText(
                    "; ".join([*(self._labels[c] for c in self._shown), *self._extra])
                )
            if self.filter is not None:
                self.filter.clear()

    def wipe(self) -> None:
        with self.quiet():
            self.set_value(None)
            if self.filter is not None:
                self.filter.setText("")

    def focus_widgets(self) -> list[QWidget]:
        if self.display is not None:
            return [self.display]
        if self.list is not None and self.filter is not None:
            return [self.filter, self.list]
        return list(self.boxes)

    def set_accessible(self, name: str, description: str) -> None:
        self.setAccessibleName(name)
        self.setAccessibleDescription(description)
        if self.display is not None:
            self.display.setAccessibleName(name)
            self.display.setAccessibleDescription(description)
        if self.filter is not None:
            self.filter.setAccessibleName(_("{field}: filter the choices").format(field=name))
            self.filter.setAccessibleDescription(description)
        if self.list is not None:
            self.list.setAccessibleName(name)
            self.list.setAccessibleDescription(description)
        for box in self.boxes:
            box.setAccessibleDescription(
                _("{field}. {description}").format(field=name, description=description).strip()
            )
