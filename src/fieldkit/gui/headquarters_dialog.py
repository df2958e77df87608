"""Headquarters and this device: who the device is enrolled with, and the device's own identity.

The headquarters half shows the pinned name, fingerprint and enrolment date, and opens the
enrolment dialog. The device half shows this device's fingerprint, which headquarters compares
with the identity file it registers, and saves that file ("Save this device's identity…").
"""

from __future__ import annotations

from pathlib import Path

import shiboken6
from PySide6.QtWidgets import (
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from fieldkit.gui.bidi import isolate
from fieldkit.gui.enrol_dialog import EnrolDialog
from fieldkit.gui.file_choice import existing_folder
from fieldkit.gui.forms.history import local_time
from fieldkit.gui.key_text import fingerprint_label, key_label, plain_label, set_fingerprint
from fieldkit.gui.page import paragraph
from fieldkit.gui.session import VaultSession
from fieldkit.gui.tasks import TaskRunner
from fieldkit.gui.work_dialog import WorkDialog
from fieldkit.i18n import _
from fieldkit.services import enrolment, vaults
from fieldkit.services.enrolment import EnrolledHQ
from fieldkit.services.vaults import DeviceIdentity
from fieldkit.vault.store import Vault


def _state(vault: Vault) -> tuple[EnrolledHQ | None, DeviceIdentity]:
    return enrolment.current(vault), vaults.device_identity(vault)


class HeadquartersDialog(WorkDialog):
    min_width = 620

    def __init__(
        self, session: VaultSession, runner: TaskRunner, parent: QWidget | None = None
    ) -> None:
        super().__init__(session, runner, parent)
        self.enrol_dialog: EnrolDialog | None = None
        self.loaded = False
        """The enrolment and the device identity are shown."""
        self.setWindowTitle(_("Headquarters and this device"))
        self.setAccessibleName(_("Headquarters and this device"))

        hq_box = QGroupBox(_("Headquarters"))
        self.hq_state = paragraph("")
        self.hq_state.setAccessibleName(_("Enrolment"))
        self.hq_fingerprint = fingerprint_label(_("Headquarters fingerprint"))
        self.hq_fingerprint.hide()
        self.enrol = QPushButton(_("Enrol with headquarters…"))
        self.enrol.setAccessibleName(_("Enrol with headquarters"))
        self.enrol.clicked.connect(self.open_enrolment)
        hq_layout = QVBoxLayout(hq_box)
        hq_layout.addWidget(self.hq_state)
        hq_layout.addWidget(self.hq_fingerprint)
        hq_layout.addWidget(self.enrol)

        device_box = QGroupBox(_("This device"))
        self.device_name = plain_label(_("Device name"))
        self.device_key = key_label(_("Device key id"))
        self.device_fingerprint = fingerprint_label(_("This device's fingerprint"))
        device_form = QFormLayout()
        device_form.addRow(_("Name:"), self.device_name)
        device_form.addRow(_("Key id:"), self.device_key)
        note = paragraph(
            _(
                "Headquarters registers this device from its identity file. Give them the file, "
                "then read them this fingerprint by another channel so that they can check the "
                "file is yours."
            )
        )
        self.save_identity = QPushButton(_("Save this device's identity for headquarters…"))
        self.save_identity.setAccessibleName(_("Save this device's identity for headquarters"))
        self.save_identity.clicked.connect(self.choose_and_save_identity)
        self.saved = paragraph("")
        self.saved.setAccessibleName(_("Result"))
        self.saved.hide()
        device_layout = QVBoxLayout(device_box)
        device_layout.addLayout(device_form)
        device_layout.addWidget(QLabel(_("Fingerprint of this device:")))
        device_layout.addWidget(self.device_fingerprint)
        device_layout.addWidget(note)
        device_layout.addWidget(self.save_identity)
        device_layout.addWidget(self.saved)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.close_button = buttons.button(QDialogButtonBox.StandardButton.Close)
        self.close_button.setText(_("Close"))
        self.close_button.setAccessibleName(_("Close"))
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(hq_box)
        layout.addWidget(device_box)
        layout.addWidget(self.error)
        layout.addWidget(self.busy)
        layout.addWidget(buttons)
        self.fit()
        self.refresh()

    def refresh(self) -> None:
        if not self.alive():
            return
        vault = self._session.vault
        self._runner.run(
            "headquarters state", lambda: _state(vault), self._state_in, self.fail, owner=self
        )

    def _state_in(self, state: tuple[EnrolledHQ | None, DeviceIdentity]) -> None:
        if not self.alive():
            return
        self.loaded = True
        enrolled, device = state
        if enrolled is None:
            self.hq_state.setText(
                _(
                    "This device is not enrolled with a headquarters yet: records cannot be "
                    "exported until it is."
                )
            )
            self.hq_fingerprint.clear()
            self.hq_fingerprint.hide()
            self.enrol.setText(_("Enrol with headquarters…"))
        else:
            self.hq_state.setText(
                _("Enrolled with {name} since {date}. Its fingerprint:").format(
                    name=isolate(enrolled.hq_name), date=isolate(local_time(enrolled.enrolled_at))
                )
            )
            set_fingerprint(self.hq_fingerprint, enrolled.fingerprint)
            self.hq_fingerprint.show()
            self.enrol.setText(_("Enrol again or move to another headquarters…"))
        self.device_name.setText(device.device_name or _("(no name)"))
        self.device_key.setText(device.key_id)
        set_fingerprint(self.device_fingerprint, device.fingerprint)
        self.fit()

    # -- enrolment ------------------------------------------------------------------------------

    def open_enrolment(self) -> EnrolDialog | None:
        if not self.alive():
            return None
        dialog = EnrolDialog(self._session, self._runner, self)
        dialog.enrolled.connect(lambda _enrolled: self.refresh())
        self.enrol_dialog = dialog
        dialog.finished.connect(self._enrolment_closed)
        dialog.open()
        return dialog

    def _enrolment_closed(self) -> None:
        self.enrol_dialog = None

    # -- the device's identity ------------------------------------------------------------------

    def choose_folder(self) -> Path | None:
        return existing_folder(self, _("Where to save this device's identity"))

    def choose_and_save_identity(self) -> None:
        folder = self.choose_folder()
        if folder is not None and shiboken6.isValid(self) and self.alive():
            self.save_identity_to(folder)

    def save_identity_to(self, folder: Path) -> None:
        if self.working or not self.alive():
            return
        vault = self._session.vault
        self.saved.hide()
        self.set_working(True, _("Saving this device's identity…"))
        self._runner.run(
            "save device identity",
            lambda: enrolment.export_identity(vault, folder),
            self._identity_saved,
            self.fail,
            owner=self,
        )

    def _identity_saved(self, path: Path) -> None:
        if not self.alive():
            return
        self.set_working(False)
        text = _("Saved as {path}. It holds this device's name and public keys, nothing secret.")
        self.saved.setText(text.format(path=path))
        self.saved.show()
        self.fit()

    # -- state ----------------------------------------------------------------------------------

    def working_changed(self, working: bool) -> None:
        for button in (self.enrol, self.save_identity, self.close_button):
            button.setEnabled(not working)

    def clear(self) -> None:
        super().clear()
        for label in (
            self.hq_state,
            self.hq_fingerprint,
            self.device_name,
            self.device_key,
            self.device_fingerprint,
            self.saved,
        ):
            label.clear()
