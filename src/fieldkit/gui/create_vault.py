"""Creating the vault: the passphrase twice with a live strength meter, the warning that nothing
can recover a forgotten passphrase, the device name and the language.

The checks and the key derivation run in the task runner; the window stays responsive and shows
a busy indicator meanwhile.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFormLayout, QHBoxLayout, QLineEdit, QPushButton, QWidget

from fieldkit.gui.busy import BusyIndicator
from fieldkit.gui.errors import user_message
from fieldkit.gui.fields import error_label, passphrase_field
from fieldkit.gui.language import LanguageCombo
from fieldkit.gui.page import CentredPage, heading, paragraph
from fieldkit.gui.session import VaultSession
from fieldkit.gui.strength import StrengthMeter
from fieldkit.gui.tasks import TaskRunner
from fieldkit.i18n import _

if TYPE_CHECKING:
    from fieldkit.vault.store import Vault

MAX_DEVICE_NAME = 80


def _create(folder: Path, passphrase: str, confirmation: str, device_name: str) -> Vault:
    from fieldkit.services import passphrases, vaults

    passphrases.check_new_passphrase(passphrase, confirmation)
    return vaults.create_vault(folder, passphrase, device_name=device_name)


class CreateVaultPage(CentredPage):
    back_requested = Signal()
    language_chosen = Signal(str)

    def __init__(
        self, session: VaultSession, runner: TaskRunner, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._session = session
        self._runner = runner
        self.column.addWidget(heading(_("Create your vault")))
        self.column.addWidget(
            paragraph(_("Choose a passphrase of several unrelated words that only you know."))
        )
        self.language = LanguageCombo()
        self.language.language_chosen.connect(self.language_chosen)
        self.passphrase = passphrase_field(_("Passphrase"))
        self.confirmation = passphrase_field(_("Passphrase again"))
        self.meter = StrengthMeter(runner)
        self.passphrase.textChanged.connect(self.meter.set_passphrase)
        self.device_name = QLineEdit()
        self.device_name.setMaxLength(MAX_DEVICE_NAME)
        self.device_name.setAccessibleName(_("Device name"))
        example = _("For example: laptop 3, Goma office")
        self.device_name.setPlaceholderText(example)
        room = self.device_name.fontMetrics().horizontalAdvance(example) + 24
        self.device_name.setMinimumWidth(room)  # the whole example, in any language
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow(_("Language:"), self.language)
        form.addRow(_("Passphrase:"), self.passphrase)
        form.addRow(_("Passphrase again:"), self.confirmation)
        form.addRow("", self.meter)
        form.addRow(_("Device name:"), self.device_name)
        self.column.addLayout(form)
        warning = paragraph(
            _(
                "If you forget this passphrase, nothing and nobody can recover the records in this "
                "vault: not fieldkit, not headquarters. Keep it where no one else can find it."
            )
        )
        warning.setStyleSheet("font-weight: bold;")
        warning.setAccessibleName(_("Warning"))
        self.column.addWidget(warning)
        self.error = error_label(_("Error"))
        self.column.addWidget(self.error)
        self.busy = BusyIndicator()
        self.column.addWidget(self.busy)
        self.back = QPushButton(_("Back"))
        self.back.setAccessibleName(_("Back"))
        self.back.clicked.connect(self.back_requested)
        self.create_button = QPushButton(_("Create the vault"))
        self.create_button.setAccessibleName(_("Create the vault"))
        self.create_button.setDefault(True)
        self.create_button.clicked.connect(self.submit)
        buttons = QHBoxLayout()
        buttons.addWidget(self.back)
        buttons.addStretch(1)
        buttons.addWidget(self.create_button)
        self.column.addLayout(buttons)
        self.fit_column()
        for field in (self.passphrase, self.confirmation, self.device_name):
            field.returnPressed.connect(self.submit)
        for first, second in (
            (self.language, self.passphrase),
            (self.passphrase, self.confirmation),
            (self.confirmation, self.device_name),
            (self.device_name, self.create_button),
            (self.create_button, self.back),
        ):
            QWidget.setTabOrder(first, second)
        self.setFocusProxy(self.passphrase)

    @property
    def working(self) -> bool:
        return not self.create_button.isEnabled()

    def submit(self) -> None:
        if not self.create_button.isEnabled():
            return
        self._set_working(True)
        folder = self._session.folder
        passphrase, confirmation = self.passphrase.text(), self.confirmation.text()
        device_name = self.device_name.text().strip()
        self._runner.run(
            "create vault",
            lambda: _create(folder, passphrase, confirmation, device_name),
            self._created,
            self._failed,
            owner=self,
            discard=lambda vault: vault.close(),
        )

    def _created(self, vault: Vault) -> None:
        self._set_working(False)
        self.passphrase.clear()
        self.confirmation.clear()
        self._session.open(vault)

    def _failed(self, error: BaseException) -> None:
        self._set_working(False)
        self.error.setText(user_message(error))
        self.error.show()
        self.passphrase.setFocus()

    def _set_working(self, working: bool) -> None:
        for widget in (
            self.language,
            self.passphrase,
            self.confirmation,
            self.device_name,
            self.create_button,
            self.back,
        ):
            widget.setEnabled(not working)
        if working:
            self.error.hide()
            self.busy.start(_("Creating the vault and deriving its key…"))
        else:
            self.busy.stop()
