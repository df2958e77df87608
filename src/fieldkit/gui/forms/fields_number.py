"""Whole and decimal numbers, typed into a line edit.

The validator only refuses characters that can never belong to a number; partial typing such as
``-`` stays in the widget, and the domain says whether the text is a number yet.
"""

from __future__ import annotations

from typing import Any, ClassVar

from PySide6.QtCore import QRegularExpression
from PySide6.QtGui import QRegularExpressionValidator
from PySide6.QtWidgets import QLineEdit, QVBoxLayout, QWidget

from fieldkit.domain.forms import FieldDef, FieldType
from fieldkit.gui.forms.context import RenderContext
from fieldkit.gui.forms.fields_base import FieldInput

_INTEGER = r"^\s*[-+]?\d{0,20}\s*$"
_DECIMAL = r"^\s*[-+]?\d{0,20}([.,]\d{0,20})?\s*$"


class NumberInput(FieldInput):
    MASKS_ITSELF: ClassVar[bool] = True

    def __init__(self, ctx: RenderContext, field: FieldDef, parent: QWidget | None = None) -> None:
        super().__init__(ctx, field, parent)
        self.line = QLineEdit(self)
        pattern = QRegularExpression(_INTEGER if field.type is FieldType.INTEGER else _DECIMAL)
        # Digits of every script (Arabic-Indic too): the domain reads them all.
        pattern.setPatternOptions(QRegularExpression.PatternOption.UseUnicodePropertiesOption)
        self.line.setValidator(QRegularExpressionValidator(pattern, self.line))
        self.line.setReadOnly(ctx.read_only)
        self.line.textEdited.connect(self.notify_edited)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.line)
        self.setFocusProxy(self.line)

    def raw_value(self) -> Any:
        text = self.line.text().strip()
        return text or None

    def set_value(self, stored: Any) -> None:
        self.line.setText("" if stored is None else str(stored))

    def focus_widgets(self) -> list[QWidget]:
        return [self.line]

    def set_revealed(self, revealed: bool) -> None:
        self.line.setEchoMode(
            QLineEdit.EchoMode.Normal if revealed else QLineEdit.EchoMode.Password
        )
