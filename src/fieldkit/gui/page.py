"""The frame shared by the full-window pages before unlock: a centred column of fixed width,
wider only when a line that cannot wrap needs it (a long French field hint)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

COLUMN_WIDTH = 520


def heading(text: str) -> QLabel:
    label = QLabel(text)
    font = QFont(label.font())
    font.setPointSizeF(font.pointSizeF() * 1.5)
    font.setBold(True)
    label.setFont(font)
    label.setWordWrap(True)
    label.setAccessibleName(text)
    return label


def paragraph(text: str) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.PlainText)
    return label


class CentredPage(QWidget):
    """A page whose content sits in ``self.column`` (a vertical layout), centred in the window."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        inner = QWidget()
        self._inner = inner
        inner.setMaximumWidth(COLUMN_WIDTH)
        inner.setMinimumWidth(min(COLUMN_WIDTH, 360))
        self.column = QVBoxLayout(inner)
        self.column.setSpacing(10)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(inner, 4)
        row.addStretch(1)
        outer = QVBoxLayout(self)
        outer.addStretch(1)
        outer.addLayout(row)
        outer.addStretch(2)

    def fit_column(self) -> None:
        """Widen the column past its usual width if what it holds cannot be narrower."""
        self._inner.setMaximumWidth(max(COLUMN_WIDTH, self._inner.minimumSizeHint().width()))
