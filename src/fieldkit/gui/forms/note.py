"""A note: text of the form shown between fields (it holds no answer)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QLabel, QVBoxLayout, QWidget

from fieldkit.domain.forms import FieldDef
from fieldkit.gui.forms.context import RenderContext
from fieldkit.gui.forms.node import FormNode


class NoteView(FormNode):
    def __init__(self, ctx: RenderContext, field: FieldDef, parent: QWidget | None = None) -> None:
        super().__init__(ctx, field, parent)
        self.label = QLabel(ctx.label(field), self)
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        self.label.setWordWrap(True)
        self.label.setFrameShape(QFrame.Shape.StyledPanel)
        self.label.setMargin(6)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.label.setAccessibleName(ctx.label(field))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label)
