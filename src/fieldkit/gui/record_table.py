"""The record list's view: whole-row selection, Enter or a double click opens the record; a long
title or place is elided, with the whole of it in the tooltip.

Each title, place and form name written in one direction is laid out in that direction: in an
Arabic list a long Latin place is cut at its end, on the right, with the "…" there (laid out
right to left, it lost its end with the "…" on the left). It stays on the side where the list's
lines start. Mixed text keeps the direction of the list."""

from __future__ import annotations

import unicodedata

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QWidget,
)

from fieldkit.gui.records_model import RecordTableModel
from fieldkit.gui.status_delegate import StatusBadgeDelegate, widest_badges
from fieldkit.i18n import _


def text_direction(text: str) -> Qt.LayoutDirection | None:
    """The direction of a text written in one direction only (None for mixed or neutral text:
    "Tillabéri, النيجر" keeps the direction of the list, where its comma reads right)."""
    kinds = {unicodedata.bidirectional(char) for char in text}
    left, right = "L" in kinds, bool(kinds & {"R", "AL"})
    if left and not right:
        return Qt.LayoutDirection.LeftToRight
    if right and not left:
        return Qt.LayoutDirection.RightToLeft
    return None


class OwnDirectionDelegate(QStyledItemDelegate):
    """Draws a cell's text in its own direction (so it is elided at its own end), aligned on the
    side where the view's lines start."""

    def initStyleOption(  # noqa: N802 - Qt API
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        super().initStyleOption(option, index)
        own = text_direction(option.text)
        view = option.direction
        if own is None or own == view:
            return
        start = (
            Qt.AlignmentFlag.AlignRight
            if view == Qt.LayoutDirection.RightToLeft
            else Qt.AlignmentFlag.AlignLeft
        )
        vertical = option.displayAlignment & Qt.AlignmentFlag.AlignVertical_Mask
        option.displayAlignment = start | Qt.AlignmentFlag.AlignAbsolute | vertical
        option.direction = own


class RecordTableView(QTableView):
    open_requested = Signal(int)
    """The row to open."""

    def __init__(self, model: RecordTableModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setModel(model)
        self.setAccessibleName(_("Records"))
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setTabKeyNavigation(False)  # Tab leaves the list, arrows move in it
        self.setWordWrap(False)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)  # the whole text in the tooltip
        self.setAlternatingRowColors(True)
        self.setShowGrid(False)
        self.setSortingEnabled(False)  # newest first, as the service returns them
        self.verticalHeader().hide()
        self.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 12)
        header = self.horizontalHeader()
        header.setHighlightSections(False)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(False)
        header.setSectionResizeMode(RecordTableModel.TITLE, QHeaderView.ResizeMode.Stretch)
        em = self.fontMetrics().horizontalAdvance("M")
        for column, width in (
            (RecordTableModel.FORM, 16),
            (RecordTableModel.DATE, 8),
            (RecordTableModel.PLACE, 14),
        ):
            self.setColumnWidth(column, width * em)
        status_width = max(11 * em, widest_badges(self.fontMetrics()))
        self.setColumnWidth(RecordTableModel.STATUS, status_width)
        self.setItemDelegateForColumn(RecordTableModel.STATUS, StatusBadgeDelegate(self))
        self.own_direction = OwnDirectionDelegate(self)
        for column in (RecordTableModel.FORM, RecordTableModel.TITLE, RecordTableModel.PLACE):
            self.setItemDelegateForColumn(column, self.own_direction)
        self.doubleClicked.connect(self._open_index)

    def fit_form_column(self, titles: list[str]) -> None:
        """Wide enough for the longest form title (measured once, not row by row)."""
        metrics = self.fontMetrics()
        widest = max((metrics.horizontalAdvance(t) for t in titles), default=0)
        limit = metrics.horizontalAdvance("M") * 24
        self.setColumnWidth(RecordTableModel.FORM, min(widest + 24, limit) or limit // 2)

    def _open_index(self, index: QModelIndex) -> None:
        if index.isValid():
            self.open_requested.emit(index.row())

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt API
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self._open_index(self.currentIndex())
            event.accept()
            return
        super().keyPressEvent(event)
