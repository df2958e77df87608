"""Importing a receipt from headquarters: the records it holds become acknowledged.

The receipt is checked on the task runner against the headquarters key pinned at enrolment; a
receipt for another device, another headquarters or a bundle this device did not write is refused
with a plain message. With the purge policy on, the dialog says how many records lost their
content.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QWidget

from fieldkit.gui.bidi import count_text, isolate
from fieldkit.gui.file_task_dialog import FileTaskDialog
from fieldkit.gui.session import VaultSession
from fieldkit.gui.tasks import TaskRunner
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


class ReceiptDialog(FileTaskDialog):
    min_width = 520

    imported = Signal(object)
    """The :class:`ReceiptResult` (the record list needs a refresh)."""

    def __init__(
        self, session: VaultSession, runner: TaskRunner, parent: QWidget | None = None
    ) -> None:
        super().__init__(session, runner, parent)
        self.build(
            title=_("Import a receipt"),
            intro=_(
                "Headquarters answers every bundle it receives with a receipt, a file ending in "
                ".fkr. Importing it marks the records headquarters now holds as acknowledged."
            ),
            choose=_("Choose the receipt file…"),
            choose_name=_("Choose the receipt file"),
            file_kind=_("Receipt file"),
            file_filter=_("Receipts (*.fkr)"),
            busy=_("Checking the receipt…"),
            task=("import receipt", receipts.import_receipt),
            show=self._imported,
        )

    def _imported(self, result: ReceiptResult) -> str:
        self.imported.emit(result)
        return outcome_text(result)
