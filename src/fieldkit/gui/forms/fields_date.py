"""A date at the precision the field allows: ``2026-03-14`` (day), ``2026-03`` or ``2026``.

The user types the date (or picks it from a calendar) and chooses how much of it is known; the
text always has the chosen precision's form, and the domain checks that it is a real date.

The Calendar button is a plain button that opens the calendar in a popup below it (a tool button
with a menu would draw its menu arrow over its text).
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from PySide6.QtCore import QDate, QPoint, QRegularExpression
from PySide6.QtGui import QRegularExpressionValidator
from PySide6.QtWidgets import (
    QCalendarWidget,
    QComboBox,
    QHBoxLayout,
    QLineEdit,
    QMenu,
    QToolButton,
    QWidget,
    QWidgetAction,
)

from fieldkit.domain.forms import DatePrecision, FieldDef
from fieldkit.gui.forms.context import RenderContext, Unreadable
from fieldkit.gui.forms.fields_base import FieldInput
from fieldkit.i18n import _

_LENGTH = {DatePrecision.DAY: 10, DatePrecision.MONTH: 7, DatePrecision.YEAR: 4}
_COMPLETE = {
    DatePrecision.DAY: re.compile(r"^\d{4}-\d{2}-\d{2}$"),
    DatePrecision.MONTH: re.compile(r"^\d{4}-\d{2}$"),
    DatePrecision.YEAR: re.compile(r"^\d{4}$"),
}
_TYPING = {
    DatePrecision.DAY: r"^[0-9]{0,4}(-[0-9]{0,2}(-[0-9]{0,2})?)?$",
    DatePrecision.MONTH: r"^[0-9]{0,4}(-[0-9]{0,2})?$",
    DatePrecision.YEAR: r"^[0-9]{0,4}$",
}


def precision_name(precision: DatePrecision) -> str:
    return {
        DatePrecision.DAY: _("Day known"),
        DatePrecision.MONTH: _("Month only"),
        DatePrecision.YEAR: _("Year only"),
    }[precision]


def precision_example(precision: DatePrecision) -> str:
    return {
        DatePrecision.DAY: _("YYYY-MM-DD"),
        DatePrecision.MONTH: _("YYYY-MM"),
        DatePrecision.YEAR: _("YYYY"),
    }[precision]


class DateInput(FieldInput):
    """A date, typed or picked. Identifying dates are typed and shown as dots until revealed."""

    MASKS_ITSELF: ClassVar[bool] = True

    def __init__(self, ctx: RenderContext, field: FieldDef, parent: QWidget | None = None) -> None:
        super().__init__(ctx, field, parent)
        self.precisions = list(field.date_precisions)
        self.line = QLineEdit(self)
        self.line.setReadOnly(ctx.read_only)
        self.line.textEdited.connect(self.notify_edited)
        self._validator = QRegularExpressionValidator(self.line)
        self.line.setValidator(self._validator)
        self.precision = QComboBox(self)
        for precision in self.precisions:
            self.precision.addItem(precision_name(precision), precision.value)
        self.precision.setVisible(len(self.precisions) > 1)
        self.precision.setEnabled(not ctx.read_only)
        self.precision.currentIndexChanged.connect(self._precision_changed)
        self.calendar_button = QToolButton(self)
        self.calendar_button.setText(_("Calendar"))
        self.calendar_button.clicked.connect(self.open_calendar)
        self.calendar: QCalendarWidget | None = None
        self._calendar_action: QWidgetAction | None = None
        self.calendar_menu = QMenu(self.calendar_button)
        """The popup that holds the calendar (not the button's menu: no arrow over the text)."""
        self.calendar_menu.aboutToShow.connect(self._prepare_calendar)
        self.calendar_button.setVisible(not ctx.read_only)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.line, 1)
        layout.addWidget(self.precision)
        layout.addWidget(self.calendar_button)
        self.setFocusProxy(self.line)
        self._apply_precision()

    def current_precision(self) -> DatePrecision:
        return DatePrecision(self.precision.currentData() or self.precisions[0].value)

    def _apply_precision(self) -> None:
        precision = self.current_precision()
        self._validator.setRegularExpression(QRegularExpression(_TYPING[precision]))
        self.line.setPlaceholderText(precision_example(precision))

    def _precision_changed(self) -> None:
        self._apply_precision()
        limit = _LENGTH[self.current_precision()]
        if len(self.line.text()) > limit:
            self.line.setText(self.line.text()[:limit].rstrip("-"))
        self.notify_edited()

    def open_calendar(self) -> None:
        """Show the calendar below the button (aligned with its far edge in right-to-left)."""
        self._prepare_calendar()
        menu, button = self.calendar_menu, self.calendar_button
        x = button.width() - menu.sizeHint().width() if button.isRightToLeft() else 0
        menu.popup(button.mapToGlobal(QPoint(x, button.height())))
        if self._calendar_action is not None:
            menu.setActiveAction(self._calendar_action)  # the keyboard works in the calendar

    def _prepare_calendar(self) -> None:
        """Made when first opened: a form has many date fields, and most never need one."""
        if self.calendar is not None:
            return
        menu = self.calendar_menu
        self.calendar = QCalendarWidget(menu)
        self.calendar.setGridVisible(True)
        self.calendar.clicked.connect(self._picked)
        self.calendar.activated.connect(self._picked)
        self._calendar_action = QWidgetAction(menu)
        self._calendar_action.setDefaultWidget(self.calendar)
        menu.addAction(self._calendar_action)

    def _picked(self, date: QDate) -> None:
        self.line.setText(date.toString("yyyy-MM-dd")[: _LENGTH[self.current_precision()]])
        self.calendar_menu.close()
        self.line.setFocus()
        self.notify_edited()

    def raw_value(self) -> Any:
        text = self.line.text().strip()
        if not text:
            return None
        precision = self.current_precision()
        if not _COMPLETE[precision].match(text):
            return Unreadable(
                _("Write the date as {form}, or choose another precision.").format(
                    form=precision_example(precision)
                )
            )
        return text

    def set_value(self, stored: Any) -> None:
        text = "" if stored is None else str(stored)
        with self.quiet():
            by_length = {_LENGTH[p]: p for p in self.precisions}
            precision = by_length.get(len(text))
            if precision is not None:
                self.precision.setCurrentIndex(self.precisions.index(precision))
            elif not text:
                self.precision.setCurrentIndex(0)
            self._apply_precision()
            self.line.setText(text)

    def focus_widgets(self) -> list[QWidget]:
        widgets: list[QWidget] = [self.line]
        if len(self.precisions) > 1:
            widgets.append(self.precision)
        if not self.ctx.read_only:
            widgets.append(self.calendar_button)
        return widgets

    def set_revealed(self, revealed: bool) -> None:
        self.line.setEchoMode(
            QLineEdit.EchoMode.Normal if revealed else QLineEdit.EchoMode.Password
        )

    def set_accessible(self, name: str, description: str) -> None:
        super().set_accessible(name, description)
        self.precision.setAccessibleName(_("{field}: precision").format(field=name))
        self.calendar_button.setAccessibleName(
            _("{field}: pick from a calendar").format(field=name)
        )
