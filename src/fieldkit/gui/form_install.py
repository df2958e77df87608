"""Installing a form from a file: a fieldkit form (``.yaml``), an XLSForm (``.xlsx``, ``.xls``,
``.csv``), or a form signed by headquarters (``.fkf``), installed only if the HQ this device is
enrolled with signed it.

The file is read, converted and checked on the task runner, never on the main thread: a large or
hostile spreadsheet takes time to refuse, and the window keeps answering meanwhile, the busy line
showing. The result comes back by the runner's signal: the form installed (and, for an XLSForm,
what was not carried over), or the one-line reason it was refused.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QPlainTextEdit, QWidget

from fieldkit.gui.bidi import count_text, isolate
from fieldkit.gui.file_task_dialog import FileTaskDialog
from fieldkit.gui.session import VaultSession
from fieldkit.gui.tasks import TaskRunner
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


class FormInstallDialog(FileTaskDialog):
    min_width = 560

    installed = Signal(object)
    """The :class:`InstallResult` (the list of forms needs a reload)."""

    def __init__(
        self, session: VaultSession, runner: TaskRunner, parent: QWidget | None = None
    ) -> None:
        super().__init__(session, runner, parent)
        self.dropped = QPlainTextEdit()
        self.dropped.setReadOnly(True)
        self.dropped.setAccessibleName(_("Not carried over from the XLSForm"))
        self.dropped.hide()
        self.build(
            title=_("Install a form"),
            intro=_(
                "Choose a form from your headquarters (.fkf), a fieldkit form (.yaml) or an ODK or "
                "KoboToolbox XLSForm (.xlsx, .xls or .csv). A form from headquarters is installed "
                "only if the headquarters this device is enrolled with signed it. An XLSForm is "
                "converted; what fieldkit cannot represent is listed here."
            ),
            choose=_("Choose the form file…"),
            choose_name=_("Choose the form file"),
            file_kind=_("Form file"),
            file_filter=_("Forms (*.fkf *.yaml *.yml *.xlsx *.xls *.csv)"),
            busy=_("Reading the form…"),
            task=("install form", form_service.install_file),
            show=self._installed,
            reset=self._clear_dropped,
            extra=(self.dropped,),
        )

    def _installed(self, result: InstallResult) -> str:
        if result.not_carried_over:
            self.dropped.setPlainText("\n".join(result.not_carried_over))
            self.dropped.show()
        self.installed.emit(result)
        return outcome_text(result)

    def _clear_dropped(self) -> None:
        self.dropped.clear()
        self.dropped.hide()
