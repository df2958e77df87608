"""Labels for keys: fingerprints to compare by eye, age recipients, and text from files.

A fingerprint is shown exactly as grouped (ten groups of four), large and in a fixed-width font,
on two lines of five groups so that it fits any dialog and is easy to read aloud. Keys are Latin
text: they keep left-to-right order in an Arabic window. Everything is plain text (an HQ name
comes from a file and is never rich text).
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QFontDatabase, QGuiApplication
from PySide6.QtWidgets import QLabel

FINGERPRINT_SCALE = 1.6


def plain_label(accessible_name: str = "") -> QLabel:
    label = QLabel()
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setWordWrap(True)
    label.setTextInteractionFlags(
        Qt.TextInteractionFlag.TextSelectableByMouse
        | Qt.TextInteractionFlag.TextSelectableByKeyboard
    )
    if accessible_name:
        label.setAccessibleName(accessible_name)
    return label


def _left_to_right(label: QLabel) -> QLabel:
    label.setLayoutDirection(Qt.LayoutDirection.LeftToRight)
    return label


def fingerprint_label(accessible_name: str) -> QLabel:
    """Large, fixed-width, centred, selectable (and reachable with Tab, for screen readers)."""
    label = _left_to_right(plain_label(accessible_name))
    label.setWordWrap(False)
    font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
    font.setPointSizeF(QFont().pointSizeF() * FINGERPRINT_SCALE)
    font.setBold(True)
    label.setFont(font)
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    label.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
    label.setStyleSheet("padding: 6px; border: 1px solid palette(mid); border-radius: 4px;")
    return label


def key_label(accessible_name: str) -> QLabel:
    """An age recipient or key id: fixed-width, left to right, on the side where lines start."""
    label = _left_to_right(plain_label(accessible_name))
    label.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
    side = (
        Qt.AlignmentFlag.AlignRight
        if QGuiApplication.layoutDirection() == Qt.LayoutDirection.RightToLeft
        else Qt.AlignmentFlag.AlignLeft
    )
    label.setAlignment(side | Qt.AlignmentFlag.AlignAbsolute | Qt.AlignmentFlag.AlignVCenter)
    return label


def fingerprint_lines(fingerprint: str) -> str:
    """The groups as given, half on each line (no group is ever split or regrouped)."""
    groups = fingerprint.split()
    half = (len(groups) + 1) // 2
    return "\n".join(" ".join(line) for line in (groups[:half], groups[half:]) if line)


def set_fingerprint(label: QLabel, fingerprint: str) -> None:
    label.setText(fingerprint_lines(fingerprint))
    label.setAccessibleDescription(fingerprint)
