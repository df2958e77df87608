"""Filters above the record list: form, status, event date from/to, and full-text search.

Choosing a form or a status applies at once; dates apply once they are complete (a year, a month
or a day: ``2026``, ``2026-03``, ``2026-03-14``); the search applies a quarter of a second after
the last key stroke, so that typing does not start a query per letter.
"""

from __future__ import annotations

from PySide6.QtCore import QRegularExpression, QTimer, Signal
from PySide6.QtGui import QRegularExpressionValidator
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QLineEdit, QWidget

from fieldkit.domain.records import STATUS_LABELS
from fieldkit.i18n import _
from fieldkit.services.records import RecordFilter

SEARCH_DEBOUNCE_MS = 250
DATE_PATTERN = r"\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?"


def _date_field(accessible_name: str) -> QLineEdit:
    field = QLineEdit()
    field.setAccessibleName(accessible_name)
    field.setPlaceholderText(_("YYYY-MM-DD"))
    field.setValidator(QRegularExpressionValidator(QRegularExpression(DATE_PATTERN)))
    field.setClearButtonEnabled(True)
    field.setMaximumWidth(field.fontMetrics().horizontalAdvance("0000-00-00") + 48)
    return field


class FilterBar(QWidget):
    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.search = QLineEdit()
        self.search.setAccessibleName(_("Search records"))
        self.search.setPlaceholderText(_("Search (Ctrl+F)"))
        self.search.setClearButtonEnabled(True)
        self.form = QComboBox()
        self.form.setAccessibleName(_("Form"))
        self.form.addItem(_("All forms"), None)
        self.status = QComboBox()
        self.status.setAccessibleName(_("Status"))
        self.status.addItem(_("Any status"), None)
        for status, label in STATUS_LABELS.items():
            self.status.addItem(_(label), status.value)
        self.date_from = _date_field(_("Event date from"))
        self.date_to = _date_field(_("Event date to"))
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.search, 3)
        layout.addWidget(self.form, 2)
        layout.addWidget(self.status, 1)
        for text, field in ((_("From:"), self.date_from), (_("To:"), self.date_to)):
            buddy = QLabel(text)
            buddy.setBuddy(field)
            layout.addWidget(buddy)
            layout.addWidget(field)
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(SEARCH_DEBOUNCE_MS)
        self._debounce.timeout.connect(self._apply)
        self.search.textChanged.connect(lambda _text: self._debounce.start())
        self.form.currentIndexChanged.connect(lambda _index: self._apply())
        self.status.currentIndexChanged.connect(lambda _index: self._apply())
        for field in (self.date_from, self.date_to):
            field.textChanged.connect(lambda _text: self._debounce.start())
        self._applied = RecordFilter()

    def set_forms(self, forms: list[tuple[str, str]]) -> None:
        """(form id, title) of the forms to offer."""
        chosen = self.form.currentData()
        self.form.blockSignals(True)
        while self.form.count() > 1:
            self.form.removeItem(1)
        for form_id, title in forms:
            self.form.addItem(title, form_id)
        self.form.setCurrentIndex(max(0, self.form.findData(chosen)) if chosen else 0)
        self.form.blockSignals(False)

    def filters(self) -> RecordFilter:
        def date(field: QLineEdit) -> str | None:
            return field.text() if field.text() and field.hasAcceptableInput() else None

        return RecordFilter(
            form_id=self.form.currentData() or None,
            status=self.status.currentData() or None,
            search=self.search.text().strip() or None,
            date_from=date(self.date_from),
            date_to=date(self.date_to),
        )

    def reset(self) -> None:
        """Empty every filter without emitting ``changed`` (on lock)."""
        self._debounce.stop()
        for widget in (self.search, self.date_from, self.date_to, self.form, self.status):
            widget.blockSignals(True)
        self.search.clear()
        self.date_from.clear()
        self.date_to.clear()
        self.form.setCurrentIndex(0)
        self.status.setCurrentIndex(0)
        for widget in (self.search, self.date_from, self.date_to, self.form, self.status):
            widget.blockSignals(False)
        self._applied = RecordFilter()

    def _apply(self) -> None:
        self._debounce.stop()
        filters = self.filters()
        if filters != self._applied:
            self._applied = filters
            self.changed.emit()
