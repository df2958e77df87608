"""The sync status area: a panel docked in the main window, and a summary in the status bar.

The panel lists every outbox bundle with its state, shows the one being sent with a progress bar,
says why nothing is sent now (manual sending, no network, a metered link), the last error in one
line with the time of the next try, and has the "Sync now" button. The status bar sums it up in
one line ("3 waiting · last sent 10:42"); clicking it opens the panel. Everything is reached with
the keyboard (Tab, the arrow keys in the list) and named for screen readers.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDockWidget,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from fieldkit.gui import sync_states as states
from fieldkit.gui.bidi import count_text
from fieldkit.gui.sync_model import (
    REFUSED_COLOUR,
    STATE,
    WHAT,
    OutboxModel,
    StateDelegate,
    percent,
    percent_text,
    time_text,
    what_text,
)
from fieldkit.gui.sync_scheduler import SyncScheduler
from fieldkit.i18n import _, ngettext

SEPARATOR = " · "


def summary_text(scheduler: SyncScheduler) -> str:
    """One line: what is being sent, how many wait or were refused, when the last one arrived."""
    parts: list[str] = []
    current = scheduler.current
    if current is not None:
        parts.append(
            _("Sending {what}: {percent} %").format(
                what=what_text(current), percent=percent_text(percent(current))
            )
        )
    elif scheduler.running:
        parts.append(_("Connecting to headquarters…"))
    waiting = scheduler.count(states.WAITING, states.SENDING, states.AT_HQ)
    if waiting:
        parts.append(ngettext("{n} waiting", "{n} waiting", waiting).format(n=count_text(waiting)))
    refused = scheduler.count(states.REFUSED)
    if refused:
        parts.append(ngettext("{n} refused", "{n} refused", refused).format(n=count_text(refused)))
    if not parts:
        parts.append(_("Nothing waiting to be sent"))
    if scheduler.last_sent is not None:
        parts.append(_("last sent {time}").format(time=time_text(scheduler.last_sent)))
    return SEPARATOR.join(parts)


def error_text(scheduler: SyncScheduler) -> str:
    """The last error in one line, and when the next try comes (or that none comes on its own)."""
    if scheduler.last_error is None:
        return ""
    line = _("Not sent: {reason}").format(reason=scheduler.last_error)
    if scheduler.next_retry is not None:
        when = time_text(scheduler.next_retry)
        return line + " " + _("Next try at {time}.").format(time=when)
    return line + " " + _("No new try until you choose “Sync now”.")


class SyncPanel(QWidget):
    """What the outbox holds and how sending goes."""

    def __init__(self, scheduler: SyncScheduler, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.scheduler = scheduler
        self.setAccessibleName(_("Sending to headquarters"))
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByKeyboard)
        self.summary.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByKeyboard)
        self.error.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        palette = self.error.palette()
        palette.setColor(QPalette.ColorRole.WindowText, QColor(REFUSED_COLOUR))
        self.error.setPalette(palette)
        self.sync_now = QPushButton(_("Sync now"))
        self.sync_now.setAccessibleName(_("Sync now"))
        self.sync_now.setAccessibleDescription(
            _("Send what waits to headquarters now, whatever the network settings say")
        )
        self.sync_now.clicked.connect(scheduler.sync_now)
        self.progress = QProgressBar()
        self.progress.setRange(0, 100)
        self.progress.setTextVisible(True)
        self.model = OutboxModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setAccessibleName(_("Outbox"))
        self.table.setAccessibleDescription(
            _("Each bundle for headquarters, newest first, with its state")
        )
        self.table.setItemDelegateForColumn(STATE, StateDelegate(self.table))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setTabKeyNavigation(False)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(STATE, QHeaderView.ResizeMode.Stretch)
        header.setMinimumSectionSize(120)
        self.empty = QLabel(_("Nothing has been put in the outbox yet."))
        self.empty.setWordWrap(True)
        top = QHBoxLayout()
        top.addWidget(self.summary, 1)
        top.addWidget(self.sync_now, 0, Qt.AlignmentFlag.AlignTop)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.note)
        layout.addWidget(self.error)
        layout.addWidget(self.progress)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.empty)
        self.setTabOrder(self.sync_now, self.table)
        scheduler.changed.connect(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        scheduler = self.scheduler
        summary = summary_text(scheduler)
        self.summary.setText(summary)
        self.summary.setAccessibleName(summary)
        holding = scheduler.holding_back() if not scheduler.running else None
        self.note.setText(holding or "")
        self.note.setVisible(bool(holding))
        error = error_text(scheduler)
        self.error.setText(error)
        self.error.setAccessibleName(error)
        self.error.setVisible(bool(error))
        self.sync_now.setEnabled(scheduler.settings is not None and not scheduler.running)
        current = scheduler.current
        self.progress.setVisible(current is not None)
        if current is not None:
            self.progress.setValue(percent(current))
            self.progress.setFormat(_("{percent} %").format(percent=percent_text(percent(current))))
            self.progress.setAccessibleName(_("Sending {what}").format(what=what_text(current)))
        rows_changed = self.model.set_items(scheduler.items)
        self.table.setVisible(bool(scheduler.items))
        self.empty.setVisible(not scheduler.items)
        if rows_changed and scheduler.items:  # not at each progress step: it reads every row
            self.table.resizeColumnToContents(WHAT)


class SyncDock(QDockWidget):
    def __init__(self, scheduler: SyncScheduler, parent: QWidget | None = None) -> None:
        super().__init__(_("Sending to headquarters"), parent)
        self.setObjectName("sync-dock")
        self.setAccessibleName(_("Sending to headquarters"))
        self.setFeatures(
            QDockWidget.DockWidgetFeature.DockWidgetClosable
            | QDockWidget.DockWidgetFeature.DockWidgetMovable
        )
        self.setAllowedAreas(
            Qt.DockWidgetArea.BottomDockWidgetArea
            | Qt.DockWidgetArea.LeftDockWidgetArea
            | Qt.DockWidgetArea.RightDockWidgetArea
        )
        self.panel = SyncPanel(scheduler, self)
        self.setWidget(self.panel)
        self.setFocusProxy(self.panel.sync_now)


class SyncStatusButton(QToolButton):
    """The status bar's line about sending; a click opens the panel. It stays out of the Tab
    chain (Tab runs through the list or the open record, then comes round): the keyboard opens
    the panel with Ctrl+Shift+S or the Headquarters menu, and the panel repeats the line."""

    def __init__(self, scheduler: SyncScheduler, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.scheduler = scheduler
        self.setAutoRaise(True)
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        scheduler.changed.connect(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        text = summary_text(self.scheduler)
        if self.scheduler.last_error is not None:
            text += SEPARATOR + _("not sent, see why")
        self.setText(text)
        self.setAccessibleName(_("Sending to headquarters: {summary}").format(summary=text))
        self.setToolTip(_("Show what is sent to headquarters"))
