"""Settings: language, auto-lock time, remembering the passphrase on this device, the way to
change the passphrase, the purge policy for what headquarters has acknowledged, and sending over
the network (automatic or manual, not on metered links).

Language and auto-lock time are non-secret preferences (``services.preferences``). Remembering
uses the system keyring, and only a safe one: where there is none, the box is disabled and says
why. Turning it on asks for the passphrase once more, checked against the vault in the task
runner (``services.passphrases.remember_verified``), so that a typo is not remembered. The purge
policy and the sending settings are kept in the vault itself (rules about the vault's content),
read and written in the task runner.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from fieldkit.gui.busy import BusyIndicator
from fieldkit.gui.errors import user_message
from fieldkit.gui.fields import error_label, passphrase_field
from fieldkit.gui.language import LanguageCombo
from fieldkit.gui.passphrase_dialog import ChangePassphraseDialog
from fieldkit.gui.session import VaultSession
from fieldkit.gui.sizing import fit
from fieldkit.gui.sync_settings import SyncSettingsBox
from fieldkit.gui.tasks import TaskRunner
from fieldkit.i18n import _, ngettext
from fieldkit.services import passphrases, preferences, receipts
from fieldkit.services import sync as sync_service
from fieldkit.services.preferences import AUTO_LOCK_CHOICES, Preferences

MIN_WIDTH = 560


def _keyring_state(folder: Path) -> tuple[bool, bool]:
    """(a safe keyring exists, a passphrase is remembered for this vault)."""
    available = passphrases.keyring_available()
    return available, available and passphrases.recall(folder) is not None


def _run_all(steps: list[Callable[[], object]]) -> None:
    for step in steps:
        step()


class SettingsDialog(QDialog):
    applied = Signal(object)
    """The saved :class:`Preferences`."""
    sync_applied = Signal(object)
    """The saved :class:`SyncSettings`, when they changed."""

    def __init__(
        self,
        session: VaultSession,
        runner: TaskRunner,
        current: Preferences,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._session = session
        self._runner = runner
        self._current = current
        self._remembered = False
        self._keyring_available = False
        self._purge: bool | None = None
        """The purge policy in the vault, once read."""
        self.setWindowTitle(_("Settings"))
        self.setAccessibleName(_("Settings"))
        self.language = LanguageCombo()
        self.auto_lock = QComboBox()
        self.auto_lock.setAccessibleName(_("Lock after this much idle time"))
        for minutes in AUTO_LOCK_CHOICES:
            label = ngettext("{n} minute", "{n} minutes", minutes).format(n=minutes)
            self.auto_lock.addItem(label, minutes)
        self.auto_lock.setCurrentIndex(max(0, self.auto_lock.findData(current.auto_lock_minutes)))
        self.remember = QCheckBox(_("Remember the passphrase on this device"))
        self.remember.setAccessibleName(_("Remember the passphrase on this device"))
        self.remember.setEnabled(False)
        self.remember_note = QLabel(_("Checking this device's keyring…"))
        self.remember_note.setWordWrap(True)
        self.remember_passphrase = passphrase_field(_("Passphrase to remember"))
        self.remember_passphrase.setPlaceholderText(_("Type the passphrase to remember it"))
        self.remember_passphrase.hide()
        self.remember.toggled.connect(self._remember_toggled)
        self.change_passphrase = QPushButton(_("Change the passphrase…"))
        self.change_passphrase.setAccessibleName(_("Change the passphrase"))
        self.change_passphrase.clicked.connect(self.open_passphrase_dialog)
        form = QFormLayout()
        form.addRow(_("Language:"), self.language)
        language_note = QLabel(_("The window is rebuilt in the new language when you save."))
        language_note.setWordWrap(True)
        form.addRow("", language_note)
        form.addRow(_("Lock after idle:"), self.auto_lock)
        form.addRow("", self.remember)
        form.addRow("", self.remember_note)
        form.addRow("", self.remember_passphrase)
        form.addRow(_("Passphrase:"), self.change_passphrase)
        self.purge = QCheckBox(_("Remove the content of records headquarters has acknowledged"))
        self.purge.setAccessibleName(
            _("Remove the content of records headquarters has acknowledged from this device")
        )
        self.purge.setEnabled(False)
        self.purge_note = QLabel(
            _(
                "When you import a receipt, the answers, attachments and search text of every "
                "record headquarters holds entirely leave this device. Their ids, revision "
                "hashes and signatures stay, so the list still shows them (without title, date "
                "or place) and the audit log still checks out. A record being amended, or with a "
                "revision headquarters has not acknowledged, is kept whole. Removed content "
                "cannot be brought back on this device."
            )
        )
        self.purge_note.setWordWrap(True)
        form.addRow(_("After a receipt:"), self.purge)
        form.addRow("", self.purge_note)
        self.sync = SyncSettingsBox()
        form.addRow(_("Sending:"), self.sync)
        self.error = error_label(_("Error"))
        self.busy = BusyIndicator()
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        save = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        save.setText(_("Save"))
        save.setAccessibleName(_("Save"))
        save.setDefault(True)
        cancel = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        cancel.setText(_("Cancel"))
        cancel.setAccessibleName(_("Cancel"))
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.busy)
        layout.addWidget(self.buttons)
        self.passphrase_dialog: ChangePassphraseDialog | None = None
        folder = session.folder
        runner.run("keyring state", lambda: _keyring_state(folder), self._keyring_known, owner=self)
        if session.is_open:
            vault = session.vault
            runner.run(
                "purge policy", lambda: receipts.purge_policy(vault), self._purge_known, owner=self
            )
            runner.run(
                "sync settings",
                lambda: sync_service.settings(vault),
                self._sync_known,
                owner=self,
            )
        self.fit()

    def fit(self) -> None:
        """Fit what the dialog now shows, in any language: at least as wide as its widest line
        (a long French label) and as high as its wrapped notes need."""
        fit(self, MIN_WIDTH)

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt's name
        # Wrapped notes are measured right only once the dialog is polished for display: a
        # keyring answer that came before the dialog showed was fitted with the wrong heights.
        super().showEvent(event)
        self.fit()

    def _purge_known(self, enabled: bool) -> None:
        self._purge = enabled
        self.purge.setChecked(enabled)
        self.purge.setEnabled(not self.busy.isVisible())

    def _sync_known(self, chosen: sync_service.SyncSettings) -> None:
        self.sync.show_settings(chosen)
        self.sync.set_working(self.busy.isVisible())

    def _keyring_known(self, state: tuple[bool, bool]) -> None:
        available, remembered = state
        self._remembered = remembered
        self._keyring_available = available
        self.remember.blockSignals(True)
        self.remember.setChecked(remembered)
        self.remember.blockSignals(False)
        self.remember.setEnabled(available)
        if available:
            self.remember_note.setText(
                _(
                    "fieldkit then unlocks without asking when it starts. Anyone who can log in "
                    "to this computer as you can then open the vault."
                )
            )
        else:
            self.remember_note.setText(
                _(
                    "Not available: this device has no secure keyring, so fieldkit keeps asking "
                    "for the passphrase."
                )
            )
        self.fit()

    def _remember_toggled(self, on: bool) -> None:
        self.remember_passphrase.setVisible(on and not self._remembered)
        if self.remember_passphrase.isVisible():
            self.remember_passphrase.setFocus()
        self.fit()

    def open_passphrase_dialog(self) -> ChangePassphraseDialog:
        dialog = ChangePassphraseDialog(self._session, self._runner, self)
        self.passphrase_dialog = dialog
        dialog.open()
        return dialog

    def chosen(self) -> Preferences:
        return self._current.with_changes(
            language=self.language.language(), auto_lock_minutes=int(self.auto_lock.currentData())
        )

    def submit(self) -> None:
        if not self._session.is_open:
            self.reject()
            return
        chosen = self.chosen()
        preferences.save(chosen)
        folder, vault = self._session.folder, self._session.vault
        steps: list[Callable[[], object]] = []
        if self._purge is not None and self.purge.isChecked() != self._purge:
            purge = self.purge.isChecked()
            steps.append(lambda: receipts.set_purge(vault, purge))
        sync_chosen = self.sync.chosen() if self.sync.changed() else None
        if sync_chosen is not None:
            steps.append(lambda: sync_service.save_settings(vault, sync_chosen))
        checking = False
        if self.remember.isChecked() and not self._remembered:
            passphrase = self.remember_passphrase.text()
            steps.append(lambda: passphrases.remember_verified(folder, passphrase))
            checking = True
        elif self._remembered and not self.remember.isChecked():
            steps.append(lambda: passphrases.forget(folder))
        if not steps:
            self._finish(chosen)
            return
        self._set_working(True, checking)
        self._runner.run(
            "save settings",
            lambda: _run_all(steps),
            lambda _none: self._finish(chosen, sync_chosen),
            self._failed,
            owner=self,
        )

    def _finish(
        self, chosen: Preferences, sync_saved: sync_service.SyncSettings | None = None
    ) -> None:
        self._set_working(False)
        self.remember_passphrase.clear()
        self.accept()
        if sync_saved is not None:
            self.sync_applied.emit(sync_saved)
        self.applied.emit(chosen)

    def _failed(self, error: BaseException) -> None:
        self._set_working(False)
        self.error.setText(user_message(error))
        self.error.show()
        self.fit()

    def _set_working(self, working: bool, checking: bool = False) -> None:
        for widget in (self.language, self.auto_lock, self.buttons):
            widget.setEnabled(not working)
        self.remember.setEnabled(not working and self._keyring_available)
        self.purge.setEnabled(not working and self._purge is not None)
        self.sync.set_working(working)
        if working:
            self.error.hide()
            self.busy.start(_("Checking the passphrase…") if checking else _("Saving…"))
        else:
            self.busy.stop()
