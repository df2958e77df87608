"""The one place where errors reach the user, and the one place where they are logged.

A :class:`FieldkitError` carries its own translated one-line message. Anything else is a defect:
the user gets a plain sentence pointing at the log file, and the log gets the exception's type and
where it was raised, never its message (which could quote record content or a passphrase).
"""

from __future__ import annotations

import logging
import traceback
from types import TracebackType

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QWidget

from fieldkit.errors import FieldkitError
from fieldkit.i18n import _

log = logging.getLogger("fieldkit.gui")


def _where(tb: TracebackType | None) -> str:
    frames = traceback.extract_tb(tb)[-4:]
    return " < ".join(f"{f.name}@{f.filename.rsplit('/', 1)[-1]}:{f.lineno}" for f in frames[::-1])


def log_failure(task: str, error: BaseException) -> None:
    """Log what failed and where: the type and code locations only."""
    if isinstance(error, FieldkitError):
        log.info("%s: %s", task, type(error).__name__)
    else:
        log.error("%s: %s at %s", task, type(error).__name__, _where(error.__traceback__))


def user_message(error: BaseException) -> str:
    if isinstance(error, FieldkitError):
        return error.user_message
    return _(
        "Something went wrong and the action was not completed. Your saved records are safe; "
        "the log file says where the problem lies."
    )


def show_error(parent: QWidget | None, error: BaseException) -> QMessageBox:
    """Show ``error`` in a window-modal message box (closed by a lock like any dialog)."""
    box = QMessageBox(QMessageBox.Icon.Warning, "fieldkit", user_message(error), parent=parent)
    box.setAccessibleName(_("Error"))
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.open()
    return box
