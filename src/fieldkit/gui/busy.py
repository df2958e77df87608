"""A busy indicator: an indeterminate progress bar with a short text, hidden when idle."""

from __future__ import annotations

from PySide6.QtWidgets import QProgressBar, QWidget

from fieldkit.i18n import _


class BusyIndicator(QProgressBar):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setRange(0, 0)  # indeterminate: the bar moves while the work runs
        self.setTextVisible(False)
        self.setMaximumHeight(8)
        self.setAccessibleName(_("Working"))
        self.hide()

    def start(self, what: str) -> None:
        self.setAccessibleDescription(what)
        self.setToolTip(what)
        self.show()

    def stop(self) -> None:
        self.hide()
