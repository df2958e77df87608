"""The sync status area in the main window: the docked panel, the status bar line, and the two
actions of the Headquarters menu ("Sending to headquarters", which shows or hides the panel, and
"Sync now"). Built again with the other actions when the language changes; the scheduler itself
lives as long as the window."""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMenu

from fieldkit.gui.bidi import shortcut_left_to_right
from fieldkit.gui.sync_panel import SyncDock, SyncStatusButton
from fieldkit.gui.sync_scheduler import SyncScheduler
from fieldkit.i18n import _

PANEL_KEYS = "Ctrl+Shift+S"


class SyncArea(QObject):
    def __init__(self, window: QMainWindow, scheduler: SyncScheduler) -> None:
        super().__init__(window)
        self._window = window
        self.scheduler = scheduler
        self.dock = SyncDock(scheduler, window)
        window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.dock)
        self.dock.hide()
        self.status = SyncStatusButton(scheduler)
        self.status.clicked.connect(self.show_panel)
        window.statusBar().addWidget(self.status)
        self.panel_action = QAction(_("Sending to headquarters"), self)
        self.panel_action.setCheckable(True)
        self.panel_action.setShortcut(QKeySequence(PANEL_KEYS))
        shortcut_left_to_right(self.panel_action)
        self.panel_action.triggered.connect(self._toggle)
        self.dock.visibilityChanged.connect(self.panel_action.setChecked)
        self.sync_action = QAction(_("Sync now"), self)
        self.sync_action.triggered.connect(scheduler.sync_now)
        for action in (self.panel_action, self.sync_action):
            window.addAction(action)

    def actions(self) -> list[QAction]:
        return [self.panel_action, self.sync_action]

    def fill_menu(self, menu: QMenu) -> None:
        menu.addSeparator()
        menu.addAction(self.panel_action)
        menu.addAction(self.sync_action)

    def _toggle(self, on: bool) -> None:
        if on:
            self.show_panel()
        else:
            self.dock.hide()

    def show_panel(self) -> None:
        self.dock.show()
        self.dock.raise_()
        self.dock.panel.table.setFocus(Qt.FocusReason.ShortcutFocusReason)
        if not self.dock.panel.table.isVisible():
            self.dock.panel.sync_now.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def set_unlocked(self, unlocked: bool) -> None:
        self._window.statusBar().setVisible(unlocked)
        if not unlocked:
            self.dock.hide()

    def remove(self) -> None:
        """Take the panel and the status line out of the window (before building them again)."""
        self._window.removeDockWidget(self.dock)
        self.dock.deleteLater()
        self._window.statusBar().removeWidget(self.status)
        self.status.deleteLater()
        for action in self.actions():
            self._window.removeAction(action)
        self.deleteLater()
