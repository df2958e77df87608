"""Installing a form from a file: a fieldkit form (``.yaml``), an XLSForm (``.xlsx``, ``.xls``,
``.csv``), or a form signed by headquarters (``.fkf``), installed only if the HQ this device is
enrolled with signed it.

The file is read, converted and checked on the task runner, never on the main thread: a large or
hostile spreadsheet takes time to refuse, and the window keeps answering meanwhile, the busy line
showing. The result comes back by the runner's signal: the form installed (and, for an XLSForm,
what was not carried over), or the one-line reason it was refused.
"""

from __future__ import annotations

from pathlib import Path

import shiboken6
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QDialogButtonBox, QPlainTextEdit, QPushButton, QVBoxLayout, QWidget

from fieldkit.gui.bidi import count_text, isolate
from fieldkit.gui.file_choice import open_file
from fieldkit.gui.key_text import plain_label
from fieldkit.gui.page import paragraph
from fieldkit.gui.session import VaultSession
from fieldkit.gui.tasks import TaskRunner
from fieldkit.gui.work_dialog import WorkDialog
from fieldkit.i18n import _, ngettext
from fieldkit.services import forms as form_service
from fieldkit.services.forms import InstallResult


def outcome_text(result: InstallResult) -> str:
    names = {"id": isolate(result.form_id), "version": isolate(result.version)}
    if not result.installed:
        text = _("The form {id} version {version} was installed already; nothing changed.")
    elif result.signed_by:
        text = _(
            "The form {id} version {version}, signed by your headquarters, is installed: new "
            "records can use it."
        )
    else:
        text = _("The form {id} version {version} is installed: new records can use it.")
    text = text.format(**names)
    if result.not_carried_over:
        n = len(result.not_carried_over)
        text += "\n\n" + ngettext(
            "{n} thing in the XLSForm was not carried over:",
            "{n} things in the XLSForm were not carried over:",
            n,
        ).format(n=count_text(n))
    return text


class FormInstallDialog(WorkDialog):
    min_width = 560

    installed = Signal(object)
    """The :class:`InstallResult` (the list of forms needs a reload)."""

    def __init__(
        self, session: VaultSession, runner: TaskRunner, parent: QWidget | None = None
    ) -> None:
        super().__init__(session, runner, parent)
        self.setWindowTitle(_("Install a form"))
        self.setAccessibleName(_("Install a form"))
        intro = paragraph(
            _(
                "Choose a form from your headquarters (.fkf), a fieldkit form (.yaml) or an ODK or "
                "KoboToolbox XLSForm (.xlsx, .xls or .csv). A form from headquarters is installed "
                "only if the headquarters this device is enrolled with signed it. An XLSForm is "
                "converted; what fieldkit cannot represent is listed here."
            )
        )
        self.choose = QPushButton(_("Choose the form file…"))
        self.choose.setAccessibleName(_("Choose the form file"))
        self.choose.setDefault(True)
        self.choose.clicked.connect(self.choose_and_install)
        self.file_name = plain_label(_("Form file"))
        self.outcome = paragraph("")
        self.outcome.setAccessibleName(_("Result"))
        self.outcome.hide()
        self.dropped = QPlainTextEdit()
        self.dropped.setReadOnly(True)
        self.dropped.setAccessibleName(_("Not carried over from the XLSForm"))
        self.dropped.hide()
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
        layout.addWidget(self.dropped)
        layout.addWidget(self.error)
        layout.addWidget(self.busy)
        layout.addWidget(buttons)
        self.fit()
        self.choose.setFocus()

    def choose_file(self) -> Path | None:
        return open_file(
            self, _("Choose the form file"), _("Forms (*.fkf *.yaml *.yml *.xlsx *.xls *.csv)")
        )

    def choose_and_install(self) -> None:
        path = self.choose_file()
        if path is not None and shiboken6.isValid(self) and self.alive():
            self.load(path)

    def load(self, path: Path) -> None:
        """Read, check and install the form at ``path`` in the background."""
        if self.working or not self.alive():
            return
        vault = self._session.vault
        self.file_name.setText(path.name)
        self.outcome.hide()
        self.dropped.clear()
        self.dropped.hide()
        self.set_working(True, _("Reading the form…"))
        self._runner.run(
            "install form",
            lambda: form_service.install_file(vault, path),
            self._installed,
            self.fail,
            owner=self,
        )

    def working_changed(self, working: bool) -> None:
        self.choose.setEnabled(not working)
        self.close_button.setEnabled(not working)

    def _installed(self, result: InstallResult) -> None:
        if not self.alive():
            return
        self.set_working(False)
        self.outcome.setText(outcome_text(result))
        self.outcome.show()
        if result.not_carried_over:
            self.dropped.setPlainText("\n".join(result.not_carried_over))
            self.dropped.show()
        self.fit()
        self.installed.emit(result)

    def clear(self) -> None:
        super().clear()
        self.file_name.clear()
        self.outcome.clear()
        self.dropped.clear()
