"""The record list page: the filter bar, the lazily loaded table and how many records match."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QStackedWidget, QVBoxLayout, QWidget

from fieldkit.gui.bidi import count_text
from fieldkit.gui.errors import show_error
from fieldkit.gui.filter_bar import FilterBar
from fieldkit.gui.record_table import RecordTableView
from fieldkit.gui.records_model import RecordTableModel
from fieldkit.gui.tasks import TaskRunner
from fieldkit.i18n import _, ngettext
from fieldkit.services.records import RecordFilter, RecordItem
from fieldkit.vault.store import Vault


class RecordsPage(QWidget):
    open_requested = Signal(str)
    """The id of the record to open."""

    def __init__(self, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = RecordTableModel(runner, self)
        self.filters = FilterBar()
        self.table = RecordTableView(self.model)
        self.count = QLabel()
        self.count.setAccessibleName(_("Number of records"))
        self.empty = QLabel()
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)
        self.empty.setAccessibleName(_("No records"))
        self._stack = QStackedWidget()
        self._stack.addWidget(self.table)
        self._stack.addWidget(self.empty)
        layout = QVBoxLayout(self)
        layout.addWidget(self.filters)
        layout.addWidget(self._stack, 1)
        layout.addWidget(self.count)
        self.filters.changed.connect(self._filters_changed)
        self.model.loaded.connect(self._loaded)
        self.model.page_loaded.connect(self._show_count)
        self.model.load_failed.connect(lambda error: show_error(self, error))
        self.table.open_requested.connect(self._open_row)
        QWidget.setTabOrder(self.filters.date_to, self.table)
        self.setFocusProxy(self.table)

    def start(
        self, vault: Vault, form_titles: dict[str, str], offered: list[tuple[str, str]]
    ) -> None:
        """Show the vault's records; ``offered`` are the (id, title) of forms to filter by."""
        self.filters.set_forms(offered)
        self.table.fit_form_column(list(form_titles.values()))
        self.model.set_vault(vault, form_titles)

    def refresh(self) -> None:
        self.model.reload()

    def clear(self) -> None:
        self.model.clear()
        self.filters.reset()
        self.count.clear()

    def focus_search(self) -> None:
        self.filters.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.filters.search.selectAll()

    def selected_item(self) -> RecordItem | None:
        return self.model.item(self.table.currentIndex().row())

    def open_selected(self) -> None:
        self._open_row(self.table.currentIndex().row())

    def _open_row(self, row: int) -> None:
        item = self.model.item(row)
        if item is not None:
            self.open_requested.emit(item.id)

    def _filters_changed(self) -> None:
        self.model.set_filters(self.filters.filters())

    def _loaded(self) -> None:
        self._show_count()
        if self.model.total == 0:
            filtered = self.model.filters != RecordFilter()
            self.empty.setText(
                _("No record matches these filters.")
                if filtered
                else _("No records yet. Press Ctrl+N to start a new record.")
            )
            self._stack.setCurrentWidget(self.empty)
        else:
            self._stack.setCurrentWidget(self.table)
            if not self.table.currentIndex().isValid():
                self.table.setCurrentIndex(self.model.index(0, 0))

    def _show_count(self) -> None:
        total = self.model.total
        shown = self.model.rowCount()
        text = ngettext("{n} record", "{n} records", total).format(n=count_text(total))
        if shown < total:
            text += " · " + _("{shown} loaded; scroll for more").format(shown=count_text(shown))
        self.count.setText(text)
