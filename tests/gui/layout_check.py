"""A check that a dialog or page shows all its text: every visible label and button lies inside
the window, is as wide as its text needs (a label that does not wrap) and as high as its wrapped
lines need at the width it has. Set FIELDKIT_SHOTS to a folder to also save a picture of each."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

from PySide6.QtCore import QRect, Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QLabel,
    QLineEdit,
    QListView,
    QWidget,
)
from pytestqt.exceptions import TimeoutError as WaitTimeout

ITEM_MARGIN = 8  # the item's own padding and focus frame, at least


def _needed_height(widget: QWidget) -> int:
    if isinstance(widget, QLabel) and widget.wordWrap():
        return widget.heightForWidth(widget.width())
    return widget.minimumSizeHint().height()


def _needed_width(widget: QWidget) -> int:
    if isinstance(widget, QLabel) and not widget.wordWrap():
        return widget.sizeHint().width()
    return widget.minimumSizeHint().width()


def clipped(window: QWidget) -> list[str]:
    """The texts of ``window`` that are clipped, each with what is wrong (empty if none is)."""
    QApplication.processEvents()
    inside = window.rect()
    problems = []
    for widget in window.findChildren(QWidget):
        if not isinstance(widget, QLabel | QAbstractButton) or not widget.isVisibleTo(window):
            continue
        if widget.window() is not window or not widget.text():
            continue
        text = widget.text()
        where = QRect(widget.mapTo(window, widget.rect().topLeft()), widget.size())
        if not inside.contains(where):
            problems.append(f"outside the window: {text!r}")
        if widget.width() < _needed_width(widget):
            problems.append(f"too narrow ({widget.width()} < {_needed_width(widget)}): {text!r}")
        if widget.height() < _needed_height(widget):
            problems.append(f"too low ({widget.height()} < {_needed_height(widget)}): {text!r}")
    for field in window.findChildren(QLineEdit):
        hint = field.placeholderText()
        if (
            not hint
            or field.text()
            or not field.isVisibleTo(window)
            or field.window() is not window
        ):
            continue
        room = field.width() - 2 * ITEM_MARGIN
        if field.fontMetrics().horizontalAdvance(hint) > room:
            problems.append(f"placeholder elided: {hint!r}")
    for view in window.findChildren(QListView):
        if view.isVisibleTo(window) and view.window() is window:
            problems += _clipped_items(view)
    return problems


def _clipped_items(view: QListView) -> list[str]:
    """The items of a list that are cut short (elided, or wrapped lines cut off)."""
    model, metrics, problems = view.model(), view.fontMetrics(), []
    for row in range(model.rowCount()):
        index = model.index(row, view.modelColumn())
        text = str(index.data() or "")
        shown = view.visualRect(index)
        width = view.viewport().width() - ITEM_MARGIN
        if view.wordWrap():
            flags = Qt.TextFlag.TextWordWrap
            needed = metrics.boundingRect(QRect(0, 0, width, 10_000), flags, text).height()
            if shown.height() < needed:
                problems.append(f"list item too low ({shown.height()} < {needed}): {text!r}")
        elif metrics.horizontalAdvance(text) > width:
            problems.append(f"list item elided: {text!r}")
    return problems


def assert_fits(window: QWidget, name: str = "") -> None:
    """Fail if a text of ``window`` is clipped; save a picture when FIELDKIT_SHOTS is set."""
    QApplication.processEvents()
    folder = os.environ.get("FIELDKIT_SHOTS")
    if folder and name:
        window.grab().save(str(Path(folder) / f"{name}.png"))
    problems = clipped(window)
    assert not problems, "\n".join(problems)


SETTLE_MS = 2000


def settled_fits(qtbot: Any, window: QWidget, name: str = "") -> None:
    """:func:`assert_fits` once the window's queued resizes have run: what the user looks at. On
    a busy machine they can take more than one turn of the event loop; a window that never
    fits still fails, saying what is clipped."""
    with contextlib.suppress(WaitTimeout):
        qtbot.waitUntil(lambda: not clipped(window), timeout=SETTLE_MS)
    assert_fits(window, name)
