"""The record list as a lazily loaded table model: fast at 100,000 records.

Only the count and the rows seen so far are in memory. The first page and the count are loaded
together; further pages of ``PAGE`` rows come when the view scrolls near the end (``fetchMore``).
Every query runs in the task runner; a result that arrives after the filters changed or the model
was cleared is dropped by its generation number. The model holds plain list items (ids and the
summary columns), never ORM objects, and ``clear()`` forgets them all.
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)

from fieldkit.domain.records import STATUS_LABELS, RecordStatus
from fieldkit.gui.tasks import TaskRunner
from fieldkit.i18n import _
from fieldkit.services import records
from fieldkit.services.records import RecordFilter, RecordItem
from fieldkit.vault.store import Vault

log = logging.getLogger(__name__)

PAGE = 200
ItemRole = Qt.ItemDataRole.UserRole + 1
BadgesRole = Qt.ItemDataRole.UserRole + 2
AMENDING = "amending"
"""Badge for a sealed record with a draft of its next revision."""

Index = QModelIndex | QPersistentModelIndex


def badges(item: RecordItem) -> tuple[str, ...]:
    """The status badges of a record: its status, plus "draft" while a sealed one is amended."""
    if item.has_draft and item.revision_count > 0:
        return (item.status, AMENDING)
    return (item.status,)


def badge_label(badge: str) -> str:
    if badge == AMENDING:
        return _("draft")
    try:
        return _(STATUS_LABELS[RecordStatus(badge)])
    except ValueError:
        return badge


def _first_page(vault: Vault, filters: RecordFilter) -> tuple[int, list[RecordItem]]:
    return records.count(vault, filters), records.list_items(vault, filters, PAGE, 0)


class RecordTableModel(QAbstractTableModel):
    FORM, TITLE, DATE, PLACE, STATUS = range(5)

    loaded = Signal()
    """The count and the first page are in."""
    page_loaded = Signal()
    load_failed = Signal(object)

    def __init__(self, runner: TaskRunner, parent: Any = None) -> None:
        super().__init__(parent)
        self._runner = runner
        self._vault: Vault | None = None
        self._form_titles: dict[str, str] = {}
        self._filters = RecordFilter()
        self._items: list[RecordItem] = []
        self._total = 0
        self._generation = 0
        self._fetching = False
        self._loading = False

    # -- state ----------------------------------------------------------------------------------

    @property
    def total(self) -> int:
        """How many records match the filters (known once ``loaded`` was emitted)."""
        return self._total

    @property
    def loading(self) -> bool:
        return self._loading or self._fetching

    @property
    def filters(self) -> RecordFilter:
        return self._filters

    def set_vault(self, vault: Vault, form_titles: dict[str, str]) -> None:
        self._vault = vault
        self._form_titles = dict(form_titles)
        self.reload()

    def set_filters(self, filters: RecordFilter) -> None:
        self._filters = filters
        self.reload()

    def item(self, row: int) -> RecordItem | None:
        return self._items[row] if 0 <= row < len(self._items) else None

    def find(self, record_id: str) -> RecordItem | None:
        """The loaded row of ``record_id``, if it is loaded."""
        return next((item for item in self._items if item.id == record_id), None)

    def clear(self) -> None:
        """Forget the vault and every row (on lock)."""
        self.beginResetModel()
        self._generation += 1
        self._vault = None
        self._items = []
        self._form_titles = {}
        self._total = 0
        self._fetching = self._loading = False
        self.endResetModel()

    def reload(self) -> None:
        vault = self._vault
        if vault is None:
            return
        self._generation += 1
        generation, filters = self._generation, self._filters
        self._loading = True
        self._fetching = False
        self._runner.run(
            "list records",
            lambda: _first_page(vault, filters),
            lambda result: self._first_page_in(generation, result),
            lambda error: self._failed(generation, error),
            owner=self,
        )

    def _first_page_in(self, generation: int, result: tuple[int, list[RecordItem]]) -> None:
        if generation != self._generation:
            return
        total, items = result
        self.beginResetModel()
        self._items = items
        self._total = max(total, len(items))
        self._loading = False
        self.endResetModel()
        self.loaded.emit()

    def _failed(self, generation: int, error: BaseException) -> None:
        if generation != self._generation:
            return
        self._loading = self._fetching = False
        self.load_failed.emit(error)

    # -- lazy loading ---------------------------------------------------------------------------

    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008, N802 - Qt API
        return (
            not parent.isValid()
            and self._vault is not None
            and not self._loading
            and not self._fetching
            and len(self._items) < self._total
        )

    def fetchMore(self, parent: Index = QModelIndex()) -> None:  # noqa: B008, N802 - Qt API
        if not self.canFetchMore(parent):
            return
        vault = self._vault
        if vault is None:
            return
        self._fetching = True
        generation, filters, offset = self._generation, self._filters, len(self._items)
        self._runner.run(
            "list records (next page)",
            lambda: records.list_items(vault, filters, PAGE, offset),
            lambda items: self._page_in(generation, offset, items),
            lambda error: self._failed(generation, error),
            owner=self,
        )

    def _page_in(self, generation: int, offset: int, items: list[RecordItem]) -> None:
        if generation != self._generation or offset != len(self._items):
            return
        self._fetching = False
        if not items:
            self._total = len(self._items)  # records went away meanwhile
            return
        first = len(self._items)
        self.beginInsertRows(QModelIndex(), first, first + len(items) - 1)
        self._items.extend(items)
        self._total = max(self._total, len(self._items))
        self.endInsertRows()
        self.page_loaded.emit()

    # -- the table ------------------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802 - Qt API
        return 0 if parent.isValid() else len(self._items)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802 - Qt API
        return 0 if parent.isValid() else 5

    def headerData(  # noqa: N802 - Qt API
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or role != Qt.ItemDataRole.DisplayRole:
            return None
        names = (_("Form"), _("Title"), _("Date"), _("Place"), _("Status"))
        return names[section] if 0 <= section < len(names) else None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        item = self.item(index.row()) if index.isValid() else None
        if item is None:
            return None
        column = index.column()
        if role == ItemRole:
            return item
        if role == BadgesRole:
            return badges(item)
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            if column == self.FORM:
                return self._form_titles.get(item.form_id, item.form_id)
            if column == self.TITLE:
                return item.title
            if column == self.DATE:
                return item.event_date
            if column == self.PLACE:
                return item.place
            if column == self.STATUS:
                return ", ".join(badge_label(b) for b in badges(item))
        if role == Qt.ItemDataRole.ToolTipRole and column in (self.TITLE, self.PLACE):
            return (item.title if column == self.TITLE else item.place) or None  # elided if long
        return None
