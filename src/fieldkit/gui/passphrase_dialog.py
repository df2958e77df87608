"""Changing the vault's passphrase: the old one, the new one twice, a live strength meter, and
the choice to replace the database key too (ticked as soon as the user says that someone else may
know the old passphrase).

The work (``services.passphrases.change``: two key derivations, an atomic rewrite of the key file,
and a passphrase remembered in the keyring replaced by the new one; with the database key
replaced, the whole database re-encrypted and the vault reopened under the new key) runs in the
task runner.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QVBoxLayout,
    QWidget,
)

from fieldkit.gui.busy import BusyIndicator
from fieldkit.gui.errors import user_message
from fieldkit.gui.fields import error_label, passphrase_field
from fieldkit.gui.session import VaultSession
from fieldkit.gui.sizing import fit
from fieldkit.gui.strength import StrengthMeter
from fieldkit.gui.tasks import TaskRunner
from fieldkit.i18n import _
from fieldkit.services import passphrases

if TYPE_CHECKING:
    from fieldkit.vault.store import Vault

MIN_WIDTH = 460


class ChangePassphraseDialog(QDialog):
    def __init__(
        self, session: VaultSession, runner: TaskRunner, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._session = session
        self._runner = runner
        self.setWindowTitle(_("Change the passphrase"))
        self.setAccessibleName(_("Change the passphrase"))
        self.old = passphrase_field(_("Current passphrase"))
        self.new = passphrase_field(_("New passphrase"))
        self.confirmation = passphrase_field(_("New passphrase again"))
        self.meter = StrengthMeter(runner)
        self.new.textChanged.connect(self.meter.set_passphrase)
        form = QFormLayout()
        form.addRow(_("Current passphrase:"), self.old)
        form.addRow(_("New passphrase:"), self.new)
        form.addRow(_("New passphrase again:"), self.confirmation)
        form.addRow("", self.meter)
        self.known = QCheckBox(_("Someone else may know the old passphrase"))
        self.known.setAccessibleName(_("Someone else may know the old passphrase"))
        self.rotate = QCheckBox(
            _(
                "Also replace the database key: an old copy of the vault's key file then opens "
                "nothing, even with the old passphrase (re-encrypts the vault; takes longer)"
            )
        )
        self.rotate.setAccessibleName(_("Also replace the database key"))
        self.known.toggled.connect(self.rotate.setChecked)
        form.addRow("", self.known)
        form.addRow("", self.rotate)
        self.error = error_label(_("Error"))
        self.busy = BusyIndicator()
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok.setText(_("Change the passphrase"))
        self.ok.setAccessibleName(_("Change the passphrase"))
        self.ok.setDefault(True)
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
        self.meter.changed.connect(self.fit)
        self.fit()
        self.old.setFocus()

    def fit(self) -> None:
        """Fit what the dialog now shows: the strength advice and an error grow it."""
        fit(self, MIN_WIDTH)

    def submit(self) -> None:
        if not self.ok.isEnabled() or not self._session.is_open:
            return
        folder, vault = self._session.folder, self._session.vault
        old, new, again = self.old.text(), self.new.text(), self.confirmation.text()
        rotate = self.rotate.isChecked()
        if rotate:
            self._session.key_replacing.emit()
        self._set_working(True)
        self._runner.run(
            "change passphrase",
            lambda: passphrases.change(folder, old, new, again, vault=vault, rotate_key=rotate),
            self._done,
            self._failed,
            owner=self,
        )

    def _done(self, reopened: Vault | None) -> None:
        self._set_working(False)
        if reopened is not None:  # the database key was replaced: the old vault opens nothing
            self._session.open(reopened)
        self.accept()

    def _failed(self, error: BaseException) -> None:
        self._set_working(False)
        self.error.setText(user_message(error))
        self.error.show()
        self.fit()

    def _set_working(self, working: bool) -> None:
        for widget in (
            self.old,
            self.new,
            self.confirmation,
            self.known,
            self.rotate,
            self.buttons,
        ):
            widget.setEnabled(not working)
        if working:
            self.error.hide()
            self.busy.start(
                _("Replacing the database key and re-encrypting the vault…")
                if self.rotate.isChecked()
                else _("Changing the passphrase…")
            )
        else:
            self.busy.stop()
