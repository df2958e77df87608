"""Text answers: one line (QLineEdit) or several (QPlainTextEdit)."""

from __future__ import annotations

from typing import Any, ClassVar

from PySide6.QtWidgets import QLineEdit, QPlainTextEdit, QVBoxLayout, QWidget

from fieldkit.domain.forms import FieldDef
from fieldkit.gui.forms.context import RenderContext
from fieldkit.gui.forms.fields_base import FieldInput

LONG_TEXT_LINES = 5


class TextInput(FieldInput):
    """A one-line text. Identifying text is typed and shown as password dots until revealed."""

    MASKS_ITSELF: ClassVar[bool] = True

    def __init__(self, ctx: RenderContext, field: FieldDef, parent: QWidget | None = None) -> None:
        super().__init__(ctx, field, parent)
        self.line = QLineEdit(self)
        if field.max_length:
            self.line.setMaxLength(field.max_length)
        self.line.setReadOnly(ctx.read_only)
        self.line.textEdited.connect(self.notify_edited)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.line)
        self.setFocusProxy(self.line)

    def raw_value(self) -> Any:
        text = self.line.text()
        return text if text.strip() else None

    def set_value(self, stored: Any) -> None:
        # setText (unlike clear) also empties the undo history: nothing comes back with Ctrl+Z.
        self.line.setText("" if stored is None else str(stored))

    def focus_widgets(self) -> list[QWidget]:
        return [self.line]

    def set_revealed(self, revealed: bool) -> None:
        self.line.setEchoMode(
            QLineEdit.EchoMode.Normal if revealed else QLineEdit.EchoMode.Password
        )


class LongTextInput(FieldInput):
    """Several lines. Tab moves to the next field, so that the form works by keyboard alone."""

    def __init__(self, ctx: RenderContext, field: FieldDef, parent: QWidget | None = None) -> None:
        super().__init__(ctx, field, parent)
        self.edit = QPlainTextEdit(self)
        self.edit.setTabChangesFocus(True)
        self.edit.setReadOnly(ctx.read_only)
        line_height = self.edit.fontMetrics().lineSpacing()
        self.edit.setMinimumHeight(line_height * LONG_TEXT_LINES)
        self.edit.textChanged.connect(self.notify_edited)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.edit)
        self.setFocusProxy(self.edit)

    def raw_value(self) -> Any:
        text = self.edit.toPlainText()
        return text if text.strip() else None

    def set_value(self, stored: Any) -> None:
        with self.quiet():
            self.edit.setPlainText("" if stored is None else str(stored))
            self.edit.document().clearUndoRedoStacks()

    def focus_widgets(self) -> list[QWidget]:
        return [self.edit]
