"""Export to USB: every sealed revision headquarters has not acknowledged, as one bundle on a drive.

The dialog says how many sealed revisions will go, lists the removable drives (refreshed on
request; any other folder can be chosen), and refuses plainly when the device is not enrolled or
nothing waits. The export runs on the task runner; its progress comes back by signal, throttled
by the runner. While it runs, the dialog keeps the rest of the window out of reach and cannot be
closed by Escape, so that nothing else changes the vault meanwhile; a lock still closes it.
"""

from __future__ import annotations

from pathlib import Path

import shiboken6
from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from fieldkit.gui.bidi import count_text, isolate
from fieldkit.gui.drive_list import DriveList, size_text
from fieldkit.gui.file_choice import existing_folder
from fieldkit.gui.page import paragraph
from fieldkit.gui.session import VaultSession
from fieldkit.gui.tasks import Progress, TaskRunner
from fieldkit.gui.work_dialog import WorkDialog
from fieldkit.i18n import _, ngettext
from fieldkit.services import drives, enrolment, exporting
from fieldkit.services.drives import Drive
from fieldkit.services.exporting import ExportResult
from fieldkit.vault.store import Vault


def _summary(vault: Vault) -> tuple[str | None, int]:
    """(the name of the headquarters enrolled with, or None; sealed revisions waiting)."""
    enrolled = enrolment.current(vault)
    return (enrolled.hq_name if enrolled else None), exporting.pending_count(vault)


def _find_drives() -> list[Drive]:
    return drives.removable_drives()


def _export(vault: Vault, folder: Path, progress: Progress) -> ExportResult:
    return exporting.export(vault, folder, progress)


class ExportDialog(WorkDialog):
    min_width = 560

    exported = Signal(object)
    """The :class:`ExportResult` (records are now marked exported)."""
    enrol_requested = Signal()

    def __init__(
        self, session: VaultSession, runner: TaskRunner, parent: QWidget | None = None
    ) -> None:
        super().__init__(session, runner, parent)
        self._hq: str | None = None
        self._pending: int | None = None
        self._done = False
        self._checking = False
        self.setWindowTitle(_("Export to USB"))
        self.setAccessibleName(_("Export to USB"))
        intro = paragraph(
            _(
                "The export puts every sealed record that headquarters has not acknowledged yet "
                "into one encrypted bundle. Only headquarters can open it, and its file name says "
                "nothing about this device or its records. Drafts stay here."
            )
        )
        self.summary = paragraph(_("Counting the sealed records…"))
        self.summary.setAccessibleName(_("What will be exported"))
        self.enrol = QPushButton(_("Enrol with headquarters…"))
        self.enrol.setAccessibleName(_("Enrol with headquarters"))
        self.enrol.clicked.connect(self.enrol_requested)
        self.enrol.hide()
        self.drives = DriveList()
        self.drives.currentRowChanged.connect(lambda _row: self._update_buttons())
        drives_label = QLabel(_("&Export to:"))
        drives_label.setBuddy(self.drives)
        self.no_drive = paragraph("")
        self.no_drive.hide()
        self.refresh = QPushButton(_("&Refresh"))
        self.refresh.setAccessibleName(_("Look for drives again"))
        self.refresh.clicked.connect(self.find_drives)
        self.other = QPushButton(_("Choose another &folder…"))
        self.other.setAccessibleName(_("Choose another folder"))
        self.other.clicked.connect(self.choose_and_add_folder)
        drive_buttons = QHBoxLayout()
        drive_buttons.addWidget(self.refresh)
        drive_buttons.addWidget(self.other)
        drive_buttons.addStretch(1)
        self.progress = QProgressBar()
        self.progress.setRange(0, 100)
        self.progress.setAccessibleName(_("Export progress"))
        self.progress.hide()
        self.stage = QLabel()
        self.stage.hide()
        self.outcome = paragraph("")
        self.outcome.setAccessibleName(_("Result"))
        self.outcome.hide()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.export = QPushButton(_("Export"))
        self.export.setAccessibleName(_("Export"))
        self.export.setDefault(True)
        self.export.setEnabled(False)
        self.export.clicked.connect(self.start_export)
        self.buttons.addButton(self.export, QDialogButtonBox.ButtonRole.ActionRole)
        self.close_button = self.buttons.button(QDialogButtonBox.StandardButton.Close)
        self.close_button.setText(_("Close"))
        self.close_button.setAccessibleName(_("Close"))
        self.close_button.setAutoDefault(False)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.summary)
        layout.addWidget(self.enrol)
        layout.addWidget(drives_label)
        layout.addWidget(self.drives)
        layout.addWidget(self.no_drive)
        layout.addLayout(drive_buttons)
        layout.addWidget(self.progress)
        layout.addWidget(self.stage)
        layout.addWidget(self.outcome)
        layout.addWidget(self.error)
        layout.addWidget(self.busy)
        layout.addWidget(self.buttons)
        self.fit()
        self.drives.setFocus()
        self._load()

    # -- what goes, and where -------------------------------------------------------------------

    def _load(self) -> None:
        if not self.alive():
            return
        vault = self._session.vault
        self._runner.run(
            "export summary", lambda: _summary(vault), self._summary_in, self.fail, owner=self
        )
        self.find_drives()

    def _summary_in(self, summary: tuple[str | None, int]) -> None:
        if not self.alive():
            return
        self._hq, self._pending = summary
        pending = self._pending
        if self._hq is None:
            text = _(
                "This device is not enrolled with a headquarters yet, so there is nobody to "
                "encrypt a bundle to. Enrol first, with the file your headquarters gave you."
            )
        elif pending == 0:
            text = _(
                "Nothing to export: headquarters has acknowledged every sealed record. Finalize "
                "a draft to send it."
            )
        else:
            text = ngettext(
                "{n} sealed revision will go to {hq}: it is not acknowledged yet.",
                "{n} sealed revisions will go to {hq}: they are not acknowledged yet.",
                pending,
            ).format(n=count_text(pending), hq=isolate(self._hq))
        self.summary.setText(text)
        self.enrol.setVisible(self._hq is None)
        self._update_buttons()
        self.fit()

    def find_drives(self) -> None:
        if self.working or not self.alive():
            return
        self.refresh.setEnabled(False)
        self._runner.run("find drives", _find_drives, self._drives_in, self.fail, owner=self)

    def _drives_in(self, found: list[Drive]) -> None:
        if not self.alive():
            return
        self.refresh.setEnabled(not self.working)
        self.drives.set_drives(found)
        if not self.drives.count():
            self.no_drive.setText(
                _(
                    "No USB stick or memory card found. Plug one in and press Refresh, or "
                    "choose another folder."
                )
            )
        self.no_drive.setVisible(not self.drives.count())
        self._update_buttons()
        self.fit()

    def choose_folder(self) -> Path | None:
        return existing_folder(self, _("Choose the folder to export to"))

    def choose_and_add_folder(self) -> None:
        folder = self.choose_folder()
        if folder is not None and shiboken6.isValid(self) and self.alive():
            self.add_folder(folder)

    def add_folder(self, folder: Path) -> None:
        self.drives.add_folder(folder)
        self.no_drive.hide()
        self._update_buttons()

    # -- the export -----------------------------------------------------------------------------

    def start_export(self) -> None:
        folder = self.drives.chosen()
        if folder is None or not self.export.isEnabled() or not self.alive():
            return
        vault = self._session.vault
        self.outcome.hide()
        self.progress.setValue(0)
        self._checking = False
        self.progress.show()
        self.stage.setText(_("Writing the bundle…"))
        self.stage.show()
        self.set_working(True, _("Exporting…"))
        self.fit()
        self._runner.run_with_progress(
            "export",
            lambda report: _export(vault, folder, report),
            self._progressed,
            self._exported,
            self.fail,
            owner=self,
        )

    def _progressed(self, done: int, total: int) -> None:
        if not self.alive():
            return
        percent = 100 if total <= 0 else min(100, done * 100 // total)
        self.progress.setValue(percent)
        if percent >= 100 and not self._checking:
            self._checking = True
            self.stage.setText(_("Reading the bundle back from the drive to check it…"))
            self.fit()

    def _exported(self, result: ExportResult) -> None:
        if not self.alive():
            return
        self._done = True
        self.set_working(False)
        self.stage.hide()
        written = ngettext(
            "{n} sealed revision exported to {file} ({size}), bundle number {seq}.",
            "{n} sealed revisions exported to {file} ({size}), bundle number {seq}.",
            result.revisions,
        ).format(
            n=count_text(result.revisions),
            file=isolate(result.path.name),
            size=isolate(size_text(result.size)),
            seq=isolate(str(result.sequence)),
        )
        advice = _(
            "Eject the drive safely before you unplug it, then hand it to headquarters. The "
            "records show as “exported” until you import the receipt headquarters sends back."
        )
        self.outcome.setText(f"{written}\n\n{advice}")
        self.outcome.show()
        self.fit()
        self.close_button.setFocus()
        self.exported.emit(result)

    def fail(self, error: BaseException) -> None:
        super().fail(error)
        if self.alive():
            self.progress.hide()
            self.stage.hide()
            self.fit()

    # -- state ----------------------------------------------------------------------------------

    def _update_buttons(self) -> None:
        ready = bool(self._hq) and bool(self._pending) and self.drives.chosen() is not None
        self.export.setEnabled(ready and not self.working and not self._done)

    def working_changed(self, working: bool) -> None:
        for widget in (self.drives, self.refresh, self.other, self.close_button, self.enrol):
            widget.setEnabled(not working)
        self._update_buttons()

    def clear(self) -> None:
        super().clear()
        self.drives.clear()
        self.summary.clear()
        self.outcome.clear()
        self.stage.clear()
        self.progress.reset()
        self._hq = self._pending = None
