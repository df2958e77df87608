"""Enrolling with headquarters: choose the enrolment file, compare its fingerprint, then pin it.

The file is read and its signature checked on the task runner without pinning anything
(``inspect_enrolment``). The user compares the fingerprint shown with the one headquarters gave by
another channel; only "They match" pins it, and only the key whose fingerprint was shown (a file
swapped meanwhile is refused). Moving a device that is enrolled with another headquarters takes a
second, explicit confirmation.
"""

from __future__ import annotations

from pathlib import Path

import shiboken6
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from fieldkit.bundle import Enrolment
from fieldkit.gui.bidi import isolate
from fieldkit.gui.file_choice import open_file
from fieldkit.gui.key_text import fingerprint_label, key_label, plain_label, set_fingerprint
from fieldkit.gui.page import paragraph
from fieldkit.gui.session import VaultSession
from fieldkit.gui.tasks import TaskRunner
from fieldkit.gui.work_dialog import WorkDialog
from fieldkit.i18n import _
from fieldkit.services import enrolment
from fieldkit.services.enrolment import EnrolledHQ
from fieldkit.vault.store import Vault

WARNING_STYLE = "color: #7a2e00; background-color: #fde2cf; padding: 6px; border-radius: 4px;"


def _inspect(vault: Vault, path: Path) -> tuple[Enrolment, EnrolledHQ | None]:
    return enrolment.inspect_enrolment(path), enrolment.current(vault)


class EnrolDialog(WorkDialog):
    min_width = 620

    enrolled = Signal(object)
    """The :class:`EnrolledHQ` now pinned."""

    def __init__(
        self, session: VaultSession, runner: TaskRunner, parent: QWidget | None = None
    ) -> None:
        super().__init__(session, runner, parent)
        self._path: Path | None = None
        self._offered: Enrolment | None = None
        self._current: EnrolledHQ | None = None
        self.replace_box: QMessageBox | None = None
        self.replace_confirm: QPushButton | None = None
        self.setWindowTitle(_("Enrol with headquarters"))
        self.setAccessibleName(_("Enrol with headquarters"))
        intro = paragraph(
            _(
                "Headquarters gives you an enrolment file and, by another channel (a phone call, "
                "a message, a sheet of paper handed over in person), its fingerprint. Enrol only "
                "if the fingerprint below is exactly the one headquarters gave you."
            )
        )
        self.choose = QPushButton(_("Choose the enrolment file…"))
        self.choose.setAccessibleName(_("Choose the enrolment file"))
        self.choose.clicked.connect(self.choose_and_load)
        self.file_name = plain_label(_("Enrolment file"))
        self.details = QWidget()
        self.hq_name = plain_label(_("Headquarters"))
        self.fingerprint = fingerprint_label(_("Headquarters fingerprint"))
        self.recipients = key_label(_("Bundles are encrypted to"))
        self.address = plain_label(_("Address"))
        self.address_caption = QLabel(_("Address:"))
        form = QFormLayout()
        form.addRow(_("Headquarters:"), self.hq_name)
        form.addRow(_("Encrypted to:"), self.recipients)
        form.addRow(self.address_caption, self.address)
        question = paragraph(
            _(
                "Compare this fingerprint, group by group, with the one headquarters gave you. "
                "If a single character differs, do not enrol: cancel and tell headquarters."
            )
        )
        details = QVBoxLayout(self.details)
        details.setContentsMargins(0, 0, 0, 0)
        details.addWidget(QLabel(_("Fingerprint of headquarters:")))
        details.addWidget(self.fingerprint)
        details.addLayout(form)
        details.addWidget(question)
        self.details.hide()
        self.moving = paragraph("")
        self.moving.setStyleSheet(WARNING_STYLE)
        self.moving.setAccessibleName(_("Warning"))
        self.moving.hide()
        self.outcome = paragraph("")
        self.outcome.setAccessibleName(_("Result"))
        self.outcome.hide()
        self.confirm = QPushButton(_("They match: enrol this device"))
        self.confirm.setAccessibleName(_("The fingerprints match: enrol this device"))
        self.confirm.setAutoDefault(False)
        self.confirm.setEnabled(False)
        self.confirm.clicked.connect(self.confirm_match)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.buttons.addButton(self.confirm, QDialogButtonBox.ButtonRole.ActionRole)
        self.cancel = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        self.cancel.setText(_("Cancel"))
        self.cancel.setAccessibleName(_("Cancel"))
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.choose)
        layout.addWidget(self.file_name)
        layout.addWidget(self.details)
        layout.addWidget(self.moving)
        layout.addWidget(self.outcome)
        layout.addWidget(self.error)
        layout.addWidget(self.busy)
        layout.addWidget(self.buttons)
        self.fit()
        self.choose.setFocus()

    # -- choosing and checking the file ---------------------------------------------------------

    def choose_file(self) -> Path | None:
        return open_file(self, _("Choose the enrolment file"), _("Enrolment files (*.fke *.json)"))

    def choose_and_load(self) -> None:
        path = self.choose_file()
        if path is not None and shiboken6.isValid(self) and self.alive():
            self.load(path)

    def load(self, path: Path) -> None:
        """Read and check ``path`` in the background, then show what it says."""
        if self.working or not self.alive():
            return
        self._show_offer(None, None)
        self._path = path
        self.file_name.setText(path.name)
        vault = self._session.vault
        self.set_working(True, _("Checking the enrolment file…"))
        self._runner.run(
            "inspect enrolment",
            lambda: _inspect(vault, path),
            self._inspected,
            self.fail,
            owner=self,
        )

    def _inspected(self, found: tuple[Enrolment, EnrolledHQ | None]) -> None:
        if not self.alive():
            return
        self.set_working(False)
        offered, current = found
        self._show_offer(offered, current)
        self.fingerprint.setFocus()
        self.fit()

    def _show_offer(self, offered: Enrolment | None, current: EnrolledHQ | None) -> None:
        self._offered, self._current = offered, current
        self.details.setVisible(offered is not None)
        self.confirm.setEnabled(offered is not None)
        self.outcome.hide()
        self.moving.hide()
        if offered is None:
            for label in (self.hq_name, self.fingerprint, self.recipients, self.address):
                label.clear()
            return
        self.hq_name.setText(offered.hq_name)
        set_fingerprint(self.fingerprint, offered.fingerprint)
        self.recipients.setText("\n".join(offered.recipients))
        self.address.setText(offered.address or "")
        self.address.setVisible(bool(offered.address))
        self.address_caption.setVisible(bool(offered.address))
        if current is None:
            return
        if current.hq_key_id == offered.signing_key_id:
            self.moving.setText(
                _(
                    "This device is already enrolled with this headquarters. Enrolling again "
                    "updates its name, address and keys."
                )
            )
        else:
            self.moving.setText(
                _(
                    "This device is enrolled with {old} (fingerprint {fingerprint}). Enrolling "
                    "moves it to {new}: you will be asked to confirm."
                ).format(
                    old=isolate(current.hq_name),
                    fingerprint=isolate(current.fingerprint),
                    new=isolate(offered.hq_name),
                )
            )
        self.moving.show()

    # -- pinning --------------------------------------------------------------------------------

    @property
    def moves_hq(self) -> bool:
        return (
            self._offered is not None
            and self._current is not None
            and self._current.hq_key_id != self._offered.signing_key_id
        )

    def confirm_match(self) -> None:
        if self._offered is None or self.working or not self.alive():
            return
        if self.moves_hq and self._current is not None:
            self._ask_to_move(self._current.hq_name, self._offered.hq_name)
        else:
            self._enrol(replace=False)

    def _ask_to_move(self, old: str, new: str) -> None:
        """The second confirmation: a message box whose default answer is Cancel."""
        old, new = isolate(old), isolate(new)
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle(_("Move to another headquarters"))
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.setText(_("Move this device from {old} to {new}?").format(old=old, new=new))
        box.setInformativeText(
            _(
                "Bundles you export from now on can be opened by {new} only, and receipts from "
                "{old} are no longer accepted. Records {old} has not acknowledged go to {new}."
            ).format(old=old, new=new)
        )
        box.setAccessibleName(_("Move to another headquarters"))
        self.replace_confirm = box.addButton(
            _("Move to {new}").format(new=new), QMessageBox.ButtonRole.AcceptRole
        )
        keep = box.addButton(_("Cancel"), QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(keep)
        box.setEscapeButton(keep)
        box.finished.connect(lambda _result: self._move_answered(box))
        self.replace_box = box
        box.open()

    def _move_answered(self, box: QMessageBox) -> None:
        confirmed = box.clickedButton() is self.replace_confirm and self.replace_confirm is not None
        self.replace_box = self.replace_confirm = None
        box.deleteLater()
        if confirmed and self.alive():
            self._enrol(replace=True)

    def _enrol(self, replace: bool) -> None:
        path, offered = self._path, self._offered
        if path is None or offered is None:
            return
        vault, key_id = self._session.vault, offered.signing_key_id
        self.set_working(True, _("Enrolling…"))
        self._runner.run(
            "enrol",
            lambda: enrolment.enroll(vault, path, replace=replace, expected_key_id=key_id),
            self._enrolled,
            self.fail,
            owner=self,
        )

    def _enrolled(self, enrolled: EnrolledHQ) -> None:
        if not self.alive():
            return
        self.set_working(False)
        self.moving.hide()
        self.confirm.hide()
        self.choose.setEnabled(False)
        self.outcome.setText(
            _(
                "This device is now enrolled with {name}. Bundles you export are encrypted so "
                "that only this headquarters can open them."
            ).format(name=isolate(enrolled.hq_name))
        )
        self.outcome.show()
        self.cancel.setText(_("Close"))
        self.cancel.setAccessibleName(_("Close"))
        self.cancel.setFocus()
        self.enrolled.emit(enrolled)
        self.fit()

    # -- state ----------------------------------------------------------------------------------

    def working_changed(self, working: bool) -> None:
        self.choose.setEnabled(not working)
        self.confirm.setEnabled(not working and self._offered is not None)
        self.cancel.setEnabled(not working)

    def clear(self) -> None:
        super().clear()
        if self.replace_box is not None:
            self.replace_box.reject()
        self._path = None
        self.file_name.clear()
        self._show_offer(None, None)
        self.outcome.clear()
