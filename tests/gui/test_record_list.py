"""The record list: lazy pages, 1,000 imported records, filters and search, status badges, long
places elided with the whole place in the tooltip."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QModelIndex, QRect, Qt
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QStyleOptionViewItem, QWidget

from fieldkit.gui.records_model import AMENDING, PAGE, BadgesRole, RecordTableModel, badges
from fieldkit.gui.status_delegate import BADGE_COLOURS, StatusBadgeDelegate
from fieldkit.i18n import set_language
from fieldkit.services import records, vaults
from fieldkit.services.records import RecordFilter
from tests.conftest import PASSPHRASE, all_types_answers
from tests.gui.conftest import WAIT_MS, Shell, ShellFactory, fill, unlock


def _model(shell: Shell) -> RecordTableModel:
    assert shell.window.workspace is not None
    return shell.window.workspace.records.model


def test_a_thousand_imported_records_load_a_page_at_a_time(
    qtbot: Any, make_shell: ShellFactory, vault_folder: Path
) -> None:
    vault = vaults.unlock_vault(vault_folder, PASSPHRASE)
    lines = [(i + 1, all_types_answers(subject=f"Record {i:04d}")) for i in range(1000)]
    assert records.import_lines(vault, "all-types", lines) == 1000
    vault.close()
    shell = make_shell(vault_folder)
    unlock(qtbot, shell)
    model = _model(shell)
    assert model.total == 1000
    assert model.rowCount() == PAGE
    assert model.columnCount() == 5
    first = model.index(0, RecordTableModel.TITLE).data()
    assert first.startswith("Record ")
    assert model.index(0, RecordTableModel.FORM).data() == "All field types"
    assert model.index(0, RecordTableModel.DATE).data() == "2026-03"
    assert model.index(0, RecordTableModel.PLACE).data() == "Bridge north of the market"
    assert model.canFetchMore(QModelIndex())
    model.fetchMore(QModelIndex())
    assert not model.canFetchMore(QModelIndex())  # one page at a time
    qtbot.waitUntil(lambda: model.rowCount() == 2 * PAGE, timeout=WAIT_MS)
    while model.canFetchMore(QModelIndex()) or model.loading:
        if model.canFetchMore(QModelIndex()):
            model.fetchMore(QModelIndex())
        qtbot.waitUntil(lambda: not model.loading, timeout=WAIT_MS)
    assert model.rowCount() == 1000
    titles = {model.index(r, RecordTableModel.TITLE).data() for r in range(1000)}
    assert len(titles) == 1000
    page = shell.window.workspace.records  # type: ignore[union-attr]
    assert "1,000 records" in page.count.text()


def test_scrolling_the_view_fetches_more(
    qtbot: Any, make_shell: ShellFactory, vault_folder: Path
) -> None:
    fill(vault_folder, [f"Row {i}" for i in range(PAGE + 50)])
    shell = make_shell(vault_folder)
    unlock(qtbot, shell)
    model = _model(shell)
    table = shell.window.workspace.records.table  # type: ignore[union-attr]
    assert model.rowCount() == PAGE
    table.scrollToBottom()
    qtbot.waitUntil(lambda: model.rowCount() == PAGE + 50, timeout=WAIT_MS)


def test_filters_and_search(qtbot: Any, make_shell: ShellFactory, vault_folder: Path) -> None:
    fill(vault_folder, [f"Fuel levy {i}" for i in range(6)], day="2026-03-14")
    fill(vault_folder, [f"Ivory cache {i}" for i in range(4)], day="2025-11-02")
    vault = vaults.unlock_vault(vault_folder, PASSPHRASE)
    sealed = records.create(vault, "all-types", all_types_answers(subject="Sealed ivory"))
    records.finalize(vault, sealed)
    records.create(vault, "illicit-market-observation", {})
    vault.close()
    shell = make_shell(vault_folder)
    unlock(qtbot, shell)
    page = shell.window.workspace.records  # type: ignore[union-attr]
    model = page.model
    assert model.total == 12

    def settle(total: int) -> None:
        qtbot.waitUntil(lambda: not model.loading and model.total == total, timeout=WAIT_MS)

    QTest.keyClick(shell.window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert QApplication.focusWidget() is page.filters.search
    with qtbot.waitSignal(model.loaded, timeout=WAIT_MS):
        qtbot.keyClicks(page.filters.search, "ivory")  # debounced: no query per key stroke
        assert model.filters.search is None
    settle(5)
    assert model.filters == RecordFilter(search="ivory")
    page.filters.status.setCurrentIndex(page.filters.status.findData("final"))
    settle(1)
    assert model.index(0, RecordTableModel.TITLE).data() == "Sealed ivory"
    page.filters.status.setCurrentIndex(0)
    page.filters.search.clear()
    settle(12)
    page.filters.form.setCurrentIndex(page.filters.form.findData("illicit-market-observation"))
    settle(1)
    page.filters.form.setCurrentIndex(0)
    settle(12)
    page.filters.date_from.setText("2026-01-01")
    settle(7)
    page.filters.date_to.setText("2026-02-28")
    settle(0)
    assert page.empty.isVisibleTo(page) and "No record matches" in page.empty.text()


def test_status_badges_mark_drafts_of_sealed_records(
    qtbot: Any, make_shell: ShellFactory, vault_folder: Path
) -> None:
    vault = vaults.unlock_vault(vault_folder, PASSPHRASE)
    draft = records.create(vault, "all-types", all_types_answers(subject="a draft"))
    final = records.create(vault, "all-types", all_types_answers(subject="sealed"))
    records.finalize(vault, final)
    amended = records.create(vault, "all-types", all_types_answers(subject="being amended"))
    records.finalize(vault, amended)
    records.start_amendment(vault, amended)
    vault.close()
    shell = make_shell(vault_folder)
    unlock(qtbot, shell)
    model = _model(shell)
    by_title = {
        model.index(r, RecordTableModel.TITLE).data(): model.index(r, RecordTableModel.STATUS)
        for r in range(model.rowCount())
    }
    assert by_title["a draft"].data(BadgesRole) == ("draft",)
    assert by_title["sealed"].data(BadgesRole) == ("final",)
    assert by_title["being amended"].data(BadgesRole) == ("final", AMENDING)
    assert by_title["being amended"].data() == "final, draft"
    item = model.find(draft)
    assert item is not None and badges(item) == ("draft",)

    delegate = StatusBadgeDelegate()
    image = QImage(240, 30, QImage.Format.Format_ARGB32)
    image.fill(QColor("white"))
    painter = QPainter(image)
    option = QStyleOptionViewItem()
    option.rect = QRect(0, 0, 240, 30)
    option.font = shell.window.font()
    delegate.paint(painter, option, by_title["being amended"])
    painter.end()
    colours = {image.pixelColor(x, 15).name() for x in range(240)}
    assert BADGE_COLOURS["final"][0] in colours
    assert BADGE_COLOURS[AMENDING][0] in colours
    assert BADGE_COLOURS["draft"][0] not in colours


def test_the_list_never_makes_a_widget_per_row(
    qtbot: Any, make_shell: ShellFactory, vault_folder: Path
) -> None:
    fill(vault_folder, [f"Row {i}" for i in range(300)])
    shell = make_shell(vault_folder)
    unlock(qtbot, shell)
    table = shell.window.workspace.records.table  # type: ignore[union-attr]
    assert table.model().rowCount() == PAGE
    assert table.indexWidget(table.model().index(0, 0)) is None
    assert len(table.viewport().findChildren(QWidget)) < 5
    assert isinstance(table.itemDelegateForColumn(RecordTableModel.STATUS), StatusBadgeDelegate)


LONG_PLACE = "The bridge north of the central market, by the river road, old customs"
# (the list's summary keeps 80 characters of a place: this one is whole there)


def test_a_long_place_is_elided_with_the_whole_place_in_the_tooltip(
    qtbot: Any, make_shell: ShellFactory, vault_folder: Path
) -> None:
    fill(vault_folder, ["short", "long"], place=LONG_PLACE)
    shell = make_shell(vault_folder)
    unlock(qtbot, shell)
    model = _model(shell)
    qtbot.waitUntil(lambda: model.rowCount() == 2, timeout=WAIT_MS)
    place = model.index(0, RecordTableModel.PLACE)
    assert place.data(Qt.ItemDataRole.ToolTipRole) == LONG_PLACE
    assert model.index(0, RecordTableModel.TITLE).data(Qt.ItemDataRole.ToolTipRole) == "long"
    assert model.index(0, RecordTableModel.FORM).data(Qt.ItemDataRole.ToolTipRole) is None
    table = shell.window.workspace.records.table  # type: ignore[union-attr]
    assert table.textElideMode() == Qt.TextElideMode.ElideRight
    width = table.columnWidth(RecordTableModel.PLACE)
    assert table.fontMetrics().horizontalAdvance(LONG_PLACE) > width  # so it is elided


ARABIC_PLACE = "الجسر شمال السوق المركزي، على طريق النهر، بجانب الجمارك القديمة"


def test_in_arabic_a_long_latin_place_is_elided_at_its_own_end(
    qtbot: Any, make_shell: ShellFactory, vault_folder: Path
) -> None:
    fill(vault_folder, ["arabic"], place=ARABIC_PLACE)
    fill(vault_folder, ["latin"], place=LONG_PLACE)
    fill(vault_folder, ["mixed"], place="Tillabéri, النيجر")
    set_language("ar")
    shell = make_shell(vault_folder)
    unlock(qtbot, shell)
    model = _model(shell)
    qtbot.waitUntil(lambda: model.rowCount() == 3, timeout=WAIT_MS)
    table = shell.window.workspace.records.table  # type: ignore[union-attr]
    assert table.layoutDirection() == Qt.LayoutDirection.RightToLeft

    def laid_out(row: int, column: int) -> QStyleOptionViewItem:
        index = model.index(row, column)
        option = QStyleOptionViewItem()
        table.initViewItemOption(option)
        delegate = table.itemDelegateForIndex(index)
        delegate.initStyleOption(option, index)
        return option

    rows = {model.index(r, RecordTableModel.TITLE).data(): r for r in range(3)}
    latin = laid_out(rows["latin"], RecordTableModel.PLACE)
    assert latin.text == LONG_PLACE
    assert latin.direction == Qt.LayoutDirection.LeftToRight  # cut at its end, "…" on the right
    assert latin.displayAlignment & Qt.AlignmentFlag.AlignRight  # where Arabic lines start
    assert latin.displayAlignment & Qt.AlignmentFlag.AlignAbsolute
    title = laid_out(rows["latin"], RecordTableModel.TITLE)
    assert title.direction == Qt.LayoutDirection.LeftToRight
    arabic = laid_out(rows["arabic"], RecordTableModel.PLACE)
    assert arabic.direction == Qt.LayoutDirection.RightToLeft
    mixed = laid_out(rows["mixed"], RecordTableModel.PLACE)  # the list's own direction
    assert mixed.direction == Qt.LayoutDirection.RightToLeft
    assert not mixed.displayAlignment & Qt.AlignmentFlag.AlignAbsolute
    assert table.fontMetrics().horizontalAdvance(LONG_PLACE) > table.columnWidth(
        RecordTableModel.PLACE
    )
