"""The Headquarters menu: enrol, this device's identity, export to USB, import a receipt.

Each action opens one window-modal dialog (and closes the open record first, saving its typing,
so that nothing else writes to the vault meanwhile). The dialogs are closed by a lock like every
other dialog; ``forget`` drops the references to them. ``records_changed`` tells the window to
reload the record list, whose status badges then show "exported" or "acknowledged".
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDialog, QMenu, QWidget

from fieldkit.gui.session import VaultSession
from fieldkit.gui.tasks import TaskRunner
from fieldkit.i18n import _

if TYPE_CHECKING:
    from fieldkit.gui.enrol_dialog import EnrolDialog
    from fieldkit.gui.export_dialog import ExportDialog
    from fieldkit.gui.headquarters_dialog import HeadquartersDialog
    from fieldkit.gui.receipt_dialog import ReceiptDialog

EXPORT_KEYS = "Ctrl+E"
RECEIPT_KEYS = "Ctrl+I"
HEADQUARTERS_KEYS = "Ctrl+Shift+H"


class BundleActions(QObject):
    records_changed = Signal()
    enrolled = Signal()
    """The vault was enrolled with headquarters (network sending may start)."""

    def __init__(
        self,
        window: QWidget,
        session: VaultSession,
        runner: TaskRunner,
        close_document: Callable[[], None],
    ) -> None:
        super().__init__(window)
        self._window = window
        self._session = session
        self._runner = runner
        self._close_document = close_document
        self.dialog: QDialog | None = None
        """The dialog this menu opened last, while it is open."""
        self.headquarters_action = self._action(
            _("Headquarters and this device…"), HEADQUARTERS_KEYS, self.open_headquarters
        )
        self.enrol_action = self._action(_("Enrol with headquarters…"), "", self.open_enrolment)
        self.identity_action = self._action(
            _("Save this device's identity for headquarters…"), "", self.save_identity
        )
        self.export_action = self._action(_("Export to USB…"), EXPORT_KEYS, self.open_export)
        self.receipt_action = self._action(_("Import a receipt…"), RECEIPT_KEYS, self.open_receipt)

    def _action(self, text: str, shortcut: str, slot: Callable[[], object]) -> QAction:
        action = QAction(text, self)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(slot)
        self._window.addAction(action)
        return action

    def actions(self) -> list[QAction]:
        return [
            self.headquarters_action,
            self.enrol_action,
            self.identity_action,
            self.export_action,
            self.receipt_action,
        ]

    def fill_menu(self, menu: QMenu) -> None:
        menu.addAction(self.export_action)
        menu.addAction(self.receipt_action)
        menu.addSeparator()
        menu.addAction(self.headquarters_action)
        menu.addAction(self.enrol_action)
        menu.addAction(self.identity_action)

    def forget(self) -> None:
        self.dialog = None

    # -- opening --------------------------------------------------------------------------------

    def _show(self, dialog: QDialog) -> None:
        self.dialog = dialog
        dialog.finished.connect(lambda _result: self._closed(dialog))
        dialog.open()

    def _closed(self, dialog: QDialog) -> None:
        if self.dialog is dialog:
            self.dialog = None

    def open_headquarters(self) -> HeadquartersDialog | None:
        if not self._session.is_open:
            return None
        from fieldkit.gui.headquarters_dialog import HeadquartersDialog

        dialog = HeadquartersDialog(self._session, self._runner, self._window)
        self._show(dialog)
        return dialog

    def open_enrolment(self) -> EnrolDialog | None:
        if not self._session.is_open:
            return None
        from fieldkit.gui.enrol_dialog import EnrolDialog

        dialog = EnrolDialog(self._session, self._runner, self._window)
        dialog.enrolled.connect(lambda _result: self.enrolled.emit())
        self._show(dialog)
        return dialog

    def save_identity(self) -> HeadquartersDialog | None:
        """The headquarters dialog (it shows the fingerprint), asking where to save the file."""
        dialog = self.open_headquarters()
        if dialog is not None:
            dialog.choose_and_save_identity()
        return dialog

    def open_export(self) -> ExportDialog | None:
        if not self._session.is_open:
            return None
        from fieldkit.gui.export_dialog import ExportDialog

        self._close_document()
        dialog = ExportDialog(self._session, self._runner, self._window)
        dialog.exported.connect(lambda _result: self.records_changed.emit())
        dialog.enrol_requested.connect(lambda: self._enrol_instead(dialog))
        self._show(dialog)
        return dialog

    def _enrol_instead(self, export: QDialog) -> None:
        export.reject()
        self.open_enrolment()

    def open_receipt(self) -> ReceiptDialog | None:
        if not self._session.is_open:
            return None
        from fieldkit.gui.receipt_dialog import ReceiptDialog

        self._close_document()
        dialog = ReceiptDialog(self._session, self._runner, self._window)
        dialog.imported.connect(lambda _result: self.records_changed.emit())
        self._show(dialog)
        return dialog
