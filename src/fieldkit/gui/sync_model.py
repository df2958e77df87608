"""The outbox as a table for the sync status area, and the texts that describe it.

One row per outbox bundle, newest first: what it carries, its size, its state (waiting, sending
with a progress bar, waiting for the receipt, delivered, refused with headquarters' reason) and
when it was made or delivered. Every cell has an accessible text that says in words what the cell
shows (a screen reader hears "Sending, 42 percent" where the eye sees a bar). Numbers, sizes and
times are written in the current language and kept whole inside Arabic sentences.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from PySide6.QtCore import (
    QAbstractTableModel,
    QDateTime,
    QLocale,
    QModelIndex,
    QPersistentModelIndex,
    QRect,
    Qt,
)
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import (
    QApplication,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionProgressBar,
    QStyleOptionViewItem,
    QWidget,
)

from fieldkit.gui import sync_states as states
from fieldkit.gui.bidi import count_text, isolate
from fieldkit.i18n import _, ngettext

if TYPE_CHECKING:
    from fieldkit.services.sync import OutboxItem

WHAT, SIZE, STATE, WHEN = range(4)
ItemRole = Qt.ItemDataRole.UserRole + 1
"""The :class:`OutboxItem` of the row."""
REFUSED_COLOUR = "#9b1c1c"
"""Dark red on the default light background (contrast above 7:1); the word says it too."""

Index = QModelIndex | QPersistentModelIndex


def percent(item: OutboxItem) -> int:
    if item.size <= 0:
        return 100 if item.state != states.WAITING else 0
    return max(0, min(100, item.sent * 100 // item.size))


def percent_text(value: int) -> str:
    return isolate(QLocale().toString(value))


def what_text(item: OutboxItem) -> str:
    """ "12 record revisions" or "3 attachments" (a bundle carries one kind)."""
    if item.kind == "attachments":
        n = item.attachments
        return ngettext("{n} attachment", "{n} attachments", n).format(n=count_text(n))
    n = item.revisions
    return ngettext("{n} record revision", "{n} record revisions", n).format(n=count_text(n))


def state_text(item: OutboxItem) -> str:
    if item.state == states.SENDING:
        return _("Sending: {percent} %").format(percent=percent_text(percent(item)))
    if item.state == states.AT_HQ:
        return _("Waiting for the receipt")
    if item.state == states.DELIVERED:
        return _("Delivered")
    if item.state == states.REFUSED:
        # Headquarters' own words (in its language): kept whole in an Arabic sentence.
        reason = isolate(item.reason) if item.reason else _("no reason given")
        return _("Refused: {reason}").format(reason=reason)
    return _("Waiting")


def size_text(size: int) -> str:
    return isolate(QLocale().formattedDataSize(size))


def time_text(moment: datetime | None, *, today: datetime | None = None) -> str:
    """Local time, with the date unless it is today; "" for none."""
    if moment is None:
        return ""
    local = QDateTime.fromSecsSinceEpoch(int(moment.timestamp())).toLocalTime()
    now = QDateTime.fromSecsSinceEpoch(int(today.timestamp())) if today else None
    current = (now or QDateTime.currentDateTime()).toLocalTime()
    locale = QLocale()
    if local.date() == current.date():
        return isolate(locale.toString(local.time(), QLocale.FormatType.ShortFormat))
    return isolate(locale.toString(local, QLocale.FormatType.ShortFormat))


def stamp_text(stamp: str | None) -> str:
    if not stamp:
        return ""
    try:
        moment = datetime.fromisoformat(stamp)
    except ValueError:
        return stamp
    return time_text(moment)


class OutboxModel(QAbstractTableModel):
    HEADERS = (
        lambda: _("Contents"),
        lambda: _("Size"),
        lambda: _("State"),
        lambda: _("Made or delivered"),
    )

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._items: list[OutboxItem] = []

    def set_items(self, items: list[OutboxItem]) -> bool:
        """Show these items; whether the rows changed (not only the progress of one)."""
        if [(i.sequence, i.state) for i in items] == [(i.sequence, i.state) for i in self._items]:
            self._items = list(items)  # the same rows: only progress moved
            if items:
                self.dataChanged.emit(self.index(0, 0), self.index(len(items) - 1, WHEN))
            return False
        self.beginResetModel()
        self._items = list(items)
        self.endResetModel()
        return True

    def item(self, row: int) -> OutboxItem | None:
        return self._items[row] if 0 <= row < len(self._items) else None

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008 - Qt API
        return 0 if parent.isValid() else len(self._items)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008 - Qt API
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(  # noqa: N802 - Qt API
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> object:
        horizontal = orientation == Qt.Orientation.Horizontal
        if horizontal and role == Qt.ItemDataRole.DisplayRole and 0 <= section < len(self.HEADERS):
            return self.HEADERS[section]()
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        item = self.item(index.row())
        if item is None:
            return None
        column = index.column()
        if role == ItemRole:
            return item
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return self._text(item, column)
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return self._spoken(item, column)
        refused = column == STATE and item.state == states.REFUSED
        if role == Qt.ItemDataRole.ForegroundRole and refused:
            return QColor(REFUSED_COLOUR)
        return None

    @staticmethod
    def _text(item: OutboxItem, column: int) -> str:
        if column == WHAT:
            return what_text(item)
        if column == SIZE:
            return size_text(item.size)
        if column == STATE:
            return state_text(item)
        return stamp_text(item.delivered_at or item.created_at)

    @classmethod
    def _spoken(cls, item: OutboxItem, column: int) -> str:
        if column == STATE and item.state == states.SENDING:
            return _("Sending, {percent} percent").format(percent=percent(item))
        if column == WHEN:
            if item.delivered_at:
                return _("Delivered {when}").format(when=stamp_text(item.delivered_at))
            return _("Made {when}").format(when=stamp_text(item.created_at))
        return cls._text(item, column)


class StateDelegate(QStyledItemDelegate):
    """Draws the state cell of an item being sent as a progress bar with its percentage."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        item = index.data(ItemRole)
        if item is None or item.state != states.SENDING:
            super().paint(painter, option, index)
            return
        widget = option.widget
        style = widget.style() if widget is not None else QApplication.style()
        background = QStyleOptionViewItem(option)
        self.initStyleOption(background, index)
        background.text = ""
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, background, painter, widget)
        bar = QStyleOptionProgressBar()
        rect: QRect = option.rect
        bar.rect = rect.adjusted(4, 3, -4, -3)
        bar.direction = option.direction
        bar.state = QStyle.StateFlag.State_Enabled | QStyle.StateFlag.State_Horizontal
        bar.minimum, bar.maximum, bar.progress = 0, 100, percent(item)
        bar.text = state_text(item)
        bar.textVisible = True
        bar.textAlignment = Qt.AlignmentFlag.AlignCenter
        bar.palette = option.palette
        bar.fontMetrics = option.fontMetrics
        style.drawControl(QStyle.ControlElement.CE_ProgressBar, bar, painter, widget)
