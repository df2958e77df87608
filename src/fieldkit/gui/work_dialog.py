"""The frame of the dialogs that carry records to headquarters: work on the task runner, a busy
line, one error line, and the rules for closing.

While work runs, Escape and the window's close button do nothing, so that an export is not
abandoned half-way by a stray key; a lock still closes the dialog (it calls ``reject``). However
the dialog closes, ``clear`` wipes what it showed, and results that arrive afterwards are dropped.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QCloseEvent, QKeyEvent
from PySide6.QtWidgets import QDialog, QWidget

from fieldkit.gui.busy import BusyIndicator
from fieldkit.gui.errors import user_message
from fieldkit.gui.fields import error_label
from fieldkit.gui.session import VaultSession
from fieldkit.gui.sizing import fit
from fieldkit.gui.tasks import TaskRunner
from fieldkit.i18n import _


class WorkDialog(QDialog):
    min_width = 460
    """The narrowest the dialog gets (it grows to what its content needs)."""

    def __init__(
        self, session: VaultSession, runner: TaskRunner, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._session = session
        self._runner = runner
        self._working = False
        self._closed = False
        self.error = error_label(_("Error"))
        self.error.setTextFormat(Qt.TextFormat.PlainText)  # messages may quote a name from a file
        self.busy = BusyIndicator()
        self.finished.connect(self.deleteLater)

    @property
    def working(self) -> bool:
        return self._working

    def alive(self) -> bool:
        """False once the dialog closed or the vault locked: late results are then dropped."""
        return not self._closed and self._session.is_open

    def set_working(self, working: bool, what: str = "") -> None:
        self._working = working
        if working:
            self.error.hide()
            self.busy.start(what)
        else:
            self.busy.stop()
        self.working_changed(working)

    def working_changed(self, working: bool) -> None:
        """Enable or disable the dialog's own controls (subclasses)."""

    def fit(self) -> None:
        """Fit what the dialog now shows (wrapped text needs its height recomputed)."""
        fit(self, self.min_width)

    def fail(self, error: BaseException) -> None:
        if not self.alive():
            return
        self.set_working(False)
        self.error.setText(user_message(error))
        self.error.show()
        self.fit()

    def clear(self) -> None:
        """Wipe what the dialog shows (subclasses add their own fields)."""
        self.error.clear()
        self.error.hide()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt API
        if self._working and event.key() == Qt.Key.Key_Escape:
            event.accept()
            return
        super().keyPressEvent(event)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt API
        if self._working:
            event.ignore()
            return
        super().closeEvent(event)

    def done(self, result: int) -> None:
        """Close and clear; a dialog opened from this one (enrolment from Headquarters) too."""
        self._closed = True
        for child in self.findChildren(WorkDialog):
            if not child._closed:
                child.reject()
        self._working = False
        self.busy.stop()
        self.clear()
        super().done(result)
