"""Status badges in the record list: a rounded coloured label per badge, drawn by a delegate."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QColor, QFontMetrics, QPainter
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem, QWidget

from fieldkit.domain.records import STATUS_LABELS
from fieldkit.gui.records_model import AMENDING, BadgesRole, badge_label

# (background, text) per badge; colour is never the only cue: each badge also says its name.
BADGE_COLOURS: dict[str, tuple[str, str]] = {
    "draft": ("#fff4ce", "#5c4400"),
    "final": ("#dbeafe", "#0b3a75"),
    "exported": ("#e9e3f7", "#3f2a73"),
    "acknowledged": ("#dcf2e3", "#14532d"),
    AMENDING: ("#fde2cf", "#7a2e00"),
}
FALLBACK = ("#e5e7eb", "#1f2937")
PAD_X, PAD_Y, GAP = 8, 2, 6


def widest_badges(metrics: QFontMetrics) -> int:
    """Room for the widest status badge followed by the "draft" badge of an amendment, in the
    current language (a fixed width cut "acknowledged draft" and the French badges short)."""

    def width(badge: str) -> int:
        return metrics.horizontalAdvance(badge_label(badge)) + 2 * PAD_X + GAP

    return max(width(status) for status in STATUS_LABELS) + width(AMENDING) + 2 * GAP


class StatusBadgeDelegate(QStyledItemDelegate):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)

    @staticmethod
    def _badges(index: QModelIndex | QPersistentModelIndex) -> tuple[str, ...]:
        value = index.data(BadgesRole)
        return tuple(value) if value else ()

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        badges = self._badges(index)
        if not badges:
            super().paint(painter, option, index)
            return
        widget = option.widget
        style = widget.style() if widget is not None else None
        background = QStyleOptionViewItem(option)
        self.initStyleOption(background, index)
        background.text = ""
        if style is not None:
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, background, painter, widget)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        metrics = QFontMetrics(option.font)
        rect: QRect = option.rect
        right_to_left = option.direction == Qt.LayoutDirection.RightToLeft
        height = metrics.height() + 2 * PAD_Y
        top = rect.top() + (rect.height() - height) // 2
        x = rect.right() - GAP if right_to_left else rect.left() + GAP
        for badge in badges:
            text = badge_label(badge)
            width = metrics.horizontalAdvance(text) + 2 * PAD_X
            left = x - width if right_to_left else x
            box = QRect(left, top, width, height)
            back, fore = BADGE_COLOURS.get(badge, FALLBACK)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(back))
            painter.drawRoundedRect(box, height / 2, height / 2)
            painter.setPen(QColor(fore))
            painter.drawText(box, Qt.AlignmentFlag.AlignCenter, text)
            x = left - GAP if right_to_left else left + width + GAP
        painter.restore()

    def sizeHint(  # noqa: N802 - Qt API
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        hint = super().sizeHint(option, index)
        metrics = QFontMetrics(option.font)
        width = sum(
            metrics.horizontalAdvance(badge_label(b)) + 2 * PAD_X + GAP for b in self._badges(index)
        )
        return QSize(max(hint.width(), width + GAP), max(hint.height(), metrics.height() + 8))
