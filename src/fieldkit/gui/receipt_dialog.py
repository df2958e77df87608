"""Importing a receipt from headquarters: the records it holds become acknowledged.

The receipt is checked on the task runner against the headquarters key pinned at enrolment; a
receipt for another device, another headquarters or a bundle this device did not write is refused
with a plain message. With the purge policy on, the dialog says how many records lost their
content.
"""

from __future__ import annotations

from pathlib import Path

import shiboken6
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QDialogButtonBox, QPushButton, QVBoxLayout, QWidget

from fieldkit.gui.bidi import count_text, isolate
from fieldkit.gui.file_choice import open_file
from fieldkit.gui.key_text import plain_label
from fieldkit.gui.page import paragraph
from fieldkit.gui.session import VaultSession
from fieldkit.gui.tasks import TaskRunner
from fieldkit.gui.work_dialog import WorkDialog
from fieldkit.i18n import _, ngettext
from fieldkit.services import receipts
from fieldkit.services.receipts import ReceiptResult


def outcome_text(result: ReceiptResult) -> str:
    if result.already_imported:
        return _("This receipt was already imported; nothing changed.")
    text = ngettext(
        "Headquarters acknowledged {n} sealed revision of bundle number {seq}.",
        "Headquarters acknowledged {n} sealed revisions of bundle number {seq}.",
        result.acknowledged,
    ).format(n=count_text(result.acknowledged), seq=isolate(str(result.sequence)))
    if result.purged_records:
        text += "\n\n" + ngettext(
            "As the settings ask, the content of {n} record was removed from this device; its "
            "id, hashes and signatures stay.",
            "As the settings ask, the content of {n} records was removed from this device; their "
            "ids, hashes and signatures stay.",
            result.purged_records,
        ).format(n=count_text(result.purged_records))
    return text


class ReceiptDialog(WorkDialog):
    min_width = 520

    imported = Signal(object)
    """The :class:`ReceiptResult` (the record list needs a refresh)."""

    def __init__(
        self, session: VaultSession, runner: TaskRunner, parent: QWidget | None = None
    ) -> None:
        super().__init__(session, runner, parent)
        self.setWindowTitle(_("Import a receipt"))
        self.setAccessibleName(_("Import a receipt"))
        intro = paragraph(
            _(
                "Headquarters answers every bundle it receives with a receipt, a file ending in "
                ".fkr. Importing it marks the records headquarters now holds as acknowledged."
            )
        )
        self.choose = QPushButton(_("Choose the receipt file…"))
        self.choose.setAccessibleName(_("Choose the receipt file"))
        self.choose.setDefault(True)
        self.choose.clicked.connect(self.choose_and_import)
        self.file_name = plain_label(_("Receipt file"))
        self.outcome = paragraph("")
        self.outcome.setAccessibleName(_("Result"))
        self.outcome.hide()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.close_button = buttons.button(QDialogButtonBox.StandardButton.Close)
        self.close_button.setText(_("Close"))
        self.close_button.setAccessibleName(_("Close"))
        self.close_button.setAutoDefault(False)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.choose)
        layout.addWidget(self.file_name)
        layout.addWidget(self.outcome)
        layout.addWidget(self.error)
        layout.addWidget(self.busy)
        layout.addWidget(buttons)
        self.fit()
        self.choose.setFocus()

    def choose_file(self) -> Path | None:
        return open_file(self, _("Choose the receipt file"), _("Receipts (*.fkr)"))

    def choose_and_import(self) -> None:
        path = self.choose_file()
        if path is not None and shiboken6.isValid(self) and self.alive():
            self.load(path)

    def load(self, path: Path) -> None:
        """Check and import the receipt at ``path`` in the background."""
        if self.working or not self.alive():
            return
        vault = self._session.vault
        self.file_name.setText(path.name)
        self.outcome.hide()
        self.set_working(True, _("Checking the receipt…"))
        self._runner.run(
            "import receipt",
            lambda: receipts.import_receipt(vault, path),
            self._imported,
            self.fail,
            owner=self,
        )

    def _imported(self, result: ReceiptResult) -> None:
        if not self.alive():
            return
        self.set_working(False)
        self.outcome.setText(outcome_text(result))
        self.outcome.show()
        self.fit()
        self.close_button.setFocus()
        self.imported.emit(result)

    def working_changed(self, working: bool) -> None:
        self.choose.setEnabled(not working)
        self.close_button.setEnabled(not working)

    def clear(self) -> None:
        super().clear()
        self.file_name.clear()
        self.outcome.clear()
