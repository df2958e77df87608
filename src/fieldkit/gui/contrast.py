"""Readable secondary text: quieter than the main text, yet with the contrast WCAG asks of body
text (4.5:1 against the window), in light and dark palettes alike."""

from __future__ import annotations

from PySide6.QtCore import QEvent
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QLabel, QWidget

READABLE = 4.5  # WCAG 2 AA, normal-size text
_SOFTEST = 0.4  # at most this far from the text colour towards the background


def _luminance(colour: QColor) -> float:
    def channel(value: float) -> float:
        return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4

    return (
        0.2126 * channel(colour.redF())
        + 0.7152 * channel(colour.greenF())
        + 0.0722 * channel(colour.blueF())
    )


def contrast_ratio(first: QColor, second: QColor) -> float:
    """WCAG 2 contrast ratio of two opaque colours, from 1 to 21."""
    lighter, darker = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def _mix(text: QColor, background: QColor, amount: float) -> QColor:
    return QColor.fromRgbF(
        text.redF() + (background.redF() - text.redF()) * amount,
        text.greenF() + (background.greenF() - text.greenF()) * amount,
        text.blueF() + (background.blueF() - text.blueF()) * amount,
    )


def secondary_text(palette: QPalette) -> QColor:
    """The window text colour softened towards the window, as far as stays readable."""
    text = palette.color(QPalette.ColorGroup.Active, QPalette.ColorRole.WindowText)
    background = palette.color(QPalette.ColorGroup.Active, QPalette.ColorRole.Window)
    steps = 8
    for step in range(steps, 0, -1):
        candidate = _mix(text, background, _SOFTEST * step / steps)
        if contrast_ratio(candidate, background) >= READABLE:
            return candidate
    return text


class SecondaryLabel(QLabel):
    """Plain, enabled text in :func:`secondary_text`, following the application's palette."""

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self._follow_palette()

    def _follow_palette(self) -> None:
        colour = secondary_text(QApplication.palette(self))
        palette = self.palette()
        for group in (QPalette.ColorGroup.Active, QPalette.ColorGroup.Inactive):
            palette.setColor(group, QPalette.ColorRole.WindowText, colour)
        self.setPalette(palette)

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt API
        super().changeEvent(event)
        if event.type() == QEvent.Type.ApplicationPaletteChange:
            self._follow_palette()
