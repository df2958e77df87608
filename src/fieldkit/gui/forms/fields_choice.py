"""One choice: radio buttons for a handful of choices, else a combo box; long lists (such as the
249 countries) filter as the user types. The answer is the stored code (``name:version:code`` for
a controlled vocabulary)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QButtonGroup,
    QComboBox,
    QCompleter,
    QHBoxLayout,
    QLineEdit,
    QRadioButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from fieldkit.domain.forms import FieldDef
from fieldkit.gui.forms.context import RADIO_CHOICES, SEARCHABLE_CHOICES, RenderContext
from fieldkit.gui.forms.fields_base import FieldInput
from fieldkit.i18n import _


class SelectOneInput(FieldInput):
    def __init__(self, ctx: RenderContext, field: FieldDef, parent: QWidget | None = None) -> None:
        super().__init__(ctx, field, parent)
        self.choices = ctx.choices(field)
        self._labels = dict(self.choices)
        self._value: str | None = None
        self.combo: QComboBox | None = None
        self.display: QLineEdit | None = None
        self.radios: list[QRadioButton] = []
        self.group: QButtonGroup | None = None
        self.clear_button: QToolButton | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        if ctx.read_only:
            self.display = QLineEdit(self)
            self.display.setReadOnly(True)
            layout.addWidget(self.display)
            self.setFocusProxy(self.display)
        elif len(self.choices) <= RADIO_CHOICES:
            self._build_radios(layout)
        else:
            self._build_combo(layout)

    # -- building --------------------------------------------------------------------------------

    def _build_radios(self, layout: QVBoxLayout) -> None:
        self.group = QButtonGroup(self)
        self.group.setExclusive(True)
        for index, (_code, label) in enumerate(self.choices):
            radio = QRadioButton(label, self)
            radio.setAccessibleName(label)
            self.group.addButton(radio, index)
            self.radios.append(radio)
            if index < len(self.choices) - 1:
                layout.addWidget(radio)
        self.group.buttonClicked.connect(self._radio_clicked)
        self.clear_button = QToolButton(self)
        self.clear_button.setText(_("Clear choice"))
        self.clear_button.clicked.connect(self._clear_clicked)
        # Its place is kept while it is hidden: choosing does not push the form down.
        policy = self.clear_button.sizePolicy()
        policy.setRetainSizeWhenHidden(True)
        self.clear_button.setSizePolicy(policy)
        self.clear_button.setVisible(False)
        row = QHBoxLayout()  # beside the last choice, not on a line of its own
        if self.radios:
            row.addWidget(self.radios[-1])
        row.addSpacing(12)
        row.addWidget(self.clear_button)
        row.addStretch(1)
        layout.addLayout(row)

    def _build_combo(self, layout: QVBoxLayout) -> None:
        combo = QComboBox(self)
        self.combo = combo
        searchable = len(self.choices) > SEARCHABLE_CHOICES
        combo.addItem("" if searchable else _("(no answer)"), None)
        for code, label in self.choices:
            combo.addItem(label, code)
        combo.setMaxVisibleItems(15)
        if searchable:
            combo.setEditable(True)
            combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
            completer = QCompleter(combo.model(), combo)
            completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
            completer.setFilterMode(Qt.MatchFlag.MatchContains)
            completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
            combo.setCompleter(completer)
            line = combo.lineEdit()
            if line is not None:
                line.setPlaceholderText(_("Type to search…"))
                line.editingFinished.connect(self._resolve_typed)
        combo.currentIndexChanged.connect(self._combo_changed)
        layout.addWidget(combo)
        self.setFocusProxy(combo)

    # -- reacting --------------------------------------------------------------------------------

    def _radio_clicked(self, button: QAbstractButton) -> None:
        if self.group is not None:
            index = self.group.id(button)
            self._value = self.choices[index][0] if index >= 0 else None
        self._sync_clear_button()
        self.notify_edited()

    def _clear_clicked(self) -> None:
        self._set_radio(None)
        if self.radios:
            self.radios[0].setFocus()
        self.notify_edited()

    def _combo_changed(self, index: int) -> None:
        if self.combo is None:
            return
        data = self.combo.itemData(index)
        self._value = data if isinstance(data, str) else None
        self.notify_edited()

    def _resolve_typed(self) -> None:
        """After typing in a searchable list: take the choice the text names, else go back."""
        combo = self.combo
        if combo is None:
            return
        text = combo.currentText().strip()
        current = combo.currentIndex()
        if text == combo.itemText(current):
            return
        if not text:
            combo.setCurrentIndex(0)
            return
        folded = text.casefold()
        exact = [i for i in range(1, combo.count()) if combo.itemText(i).casefold() == folded]
        partial = [i for i in range(1, combo.count()) if folded in combo.itemText(i).casefold()]
        codes = [i for i in range(1, combo.count()) if self._short(i).casefold() == folded]
        for candidates in (exact, codes, partial):
            if len(candidates) == 1:
                combo.setCurrentIndex(candidates[0])
                combo.setEditText(combo.itemText(candidates[0]))
                return
        combo.setEditText(combo.itemText(current))

    def _short(self, index: int) -> str:
        data = self.combo.itemData(index) if self.combo is not None else None
        return str(data).rsplit(":", 1)[-1] if data else ""

    # -- value -----------------------------------------------------------------------------------

    def raw_value(self) -> Any:
        return self._value

    def set_value(self, stored: Any) -> None:
        code = self._find(stored)
        with self.quiet():
            self._value = code if code is not None else (None if stored is None else str(stored))
            if self.display is not None:
                self.display.setText(
                    self._labels.get(code or "", "" if stored is None else str(stored))
                )
            elif self.combo is not None:
                index = self.combo.findData(code) if code is not None else 0
                self.combo.setCurrentIndex(max(index, 0))
                self.combo.setEditText(self.combo.itemText(max(index, 0)))
            else:
                self._set_radio(code)

    def _find(self, stored: Any) -> str | None:
        if not isinstance(stored, str):
            return None
        choice_list = self.ctx.form.choice_list_for(self.field)
        choice = choice_list.find(stored)
        return None if choice is None else choice_list.stored_code(choice.code)

    def _set_radio(self, code: str | None) -> None:
        self._value = code
        if self.group is None:
            return
        self.group.setExclusive(False)
        for (choice_code, _label), radio in zip(self.choices, self.radios, strict=True):
            radio.setChecked(choice_code == code)
        self.group.setExclusive(True)
        self._sync_clear_button()

    def _sync_clear_button(self) -> None:
        if self.clear_button is not None:
            self.clear_button.setVisible(self._value is not None)

    def wipe(self) -> None:
        with self.quiet():
            self.set_value(None)
            if self.combo is not None:
                self.combo.clearEditText()
                self.combo.setCurrentIndex(0)

    def focus_widgets(self) -> list[QWidget]:
        if self.display is not None:
            return [self.display]
        if self.combo is not None:
            return [self.combo]
        widgets: list[QWidget] = list(self.radios)
        if self.clear_button is not None:
            widgets.append(self.clear_button)
        return widgets

    def set_accessible(self, name: str, description: str) -> None:
        self.setAccessibleName(name)
        self.setAccessibleDescription(description)
        if self.display is not None:
            self.display.setAccessibleName(name)
            self.display.setAccessibleDescription(description)
        if self.combo is not None:
            self.combo.setAccessibleName(name)
            self.combo.setAccessibleDescription(description)
            line = self.combo.lineEdit()
            if line is not None:
                line.setAccessibleName(name)
                line.setAccessibleDescription(description)
        for radio in self.radios:
            radio.setAccessibleDescription(
                _("{field}. {description}").format(field=name, description=description).strip()
            )
        if self.clear_button is not None:
            self.clear_button.setAccessibleName(
                _("Clear the choice for {field}").format(field=name)
            )
