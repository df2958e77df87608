"""The panic-lock key, heard in every window of the app, modal dialogs included.

The lock action's own shortcut does not fire while a modal dialog blocks the main window (Qt
checks modality for application shortcuts). A key press that reaches any widget of the app
instead passes through this application-wide event filter, which triggers the lock.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence

PANIC_KEYS = "Ctrl+Shift+L"


class PanicKey(QObject):
    pressed = Signal()

    def __init__(self, app: QCoreApplication, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._sequence = QKeySequence(PANIC_KEYS)
        app.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if (
            event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and QKeySequence(event.keyCombination()) == self._sequence
        ):
            self.pressed.emit()
            return True
        return False
