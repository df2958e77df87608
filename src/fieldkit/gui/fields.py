"""Input fields shared by several pages."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QLineEdit

MAX_PASSPHRASE = 1024


def passphrase_field(accessible_name: str) -> QLineEdit:
    """A masked field that input methods must not learn from or predict into."""
    field = QLineEdit()
    field.setEchoMode(QLineEdit.EchoMode.Password)
    field.setAccessibleName(accessible_name)
    field.setMaxLength(MAX_PASSPHRASE)
    field.setInputMethodHints(
        Qt.InputMethodHint.ImhHiddenText
        | Qt.InputMethodHint.ImhSensitiveData
        | Qt.InputMethodHint.ImhNoPredictiveText
        | Qt.InputMethodHint.ImhNoAutoUppercase
    )
    return field


def error_label(accessible_name: str) -> QLabel:
    """A hidden red line for a one-line error message."""
    label = QLabel()
    label.setWordWrap(True)
    label.setStyleSheet("color: #b3261e;")
    label.setAccessibleName(accessible_name)
    label.hide()
    return label
