"""A dialog that takes one file and runs one task on it in the background: choose the file, see
its name and the busy line while the task runs, then the outcome or the one-line reason it was
refused. The receipt import and the form install are such dialogs; each says what its file is,
which task runs, and how its outcome reads."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import shiboken6
from PySide6.QtWidgets import QDialogButtonBox, QPushButton, QVBoxLayout, QWidget

from fieldkit.gui.file_choice import open_file
from fieldkit.gui.key_text import plain_label
from fieldkit.gui.page import paragraph
from fieldkit.gui.work_dialog import WorkDialog
from fieldkit.i18n import _
from fieldkit.vault.store import Vault


class FileTaskDialog(WorkDialog):
    """Subclasses call :meth:`build` from their constructor with their texts, their task and how
    its result shows."""

    def build(
        self,
        *,
        title: str,
        intro: str,
        choose: str,
        choose_name: str,
        file_kind: str,
        file_filter: str,
        busy: str,
        task: tuple[str, Callable[[Vault, Path], Any]],
        show: Callable[[Any], str],
        reset: Callable[[], None] = lambda: None,
        extra: tuple[QWidget, ...] = (),
    ) -> None:
        """Lay the dialog out: its intro, the choose button, the file's name, the outcome, any
        ``extra`` widgets under it, the error, the busy line and Close. ``task`` is the runner's
        name for the work and the work itself; ``show`` shows what it returned beyond the
        outcome and returns the outcome's text; ``reset`` clears what ``show`` showed."""
        self._choose_title, self._file_filter, self._busy_text = choose_name, file_filter, busy
        self._task, self._show, self._reset = task, show, reset
        self.setWindowTitle(title)
        self.setAccessibleName(title)
        self.choose = QPushButton(choose)
        self.choose.setAccessibleName(choose_name)
        self.choose.setDefault(True)
        self.choose.clicked.connect(self.choose_and_run)
        self.file_name = plain_label(file_kind)
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
        for widget in (paragraph(intro), self.choose, self.file_name, self.outcome, *extra):
            layout.addWidget(widget)
        layout.addWidget(self.error)
        layout.addWidget(self.busy)
        layout.addWidget(buttons)
        self.fit()
        self.choose.setFocus()

    def choose_file(self) -> Path | None:
        return open_file(self, self._choose_title, self._file_filter)

    def choose_and_run(self) -> None:
        path = self.choose_file()
        if path is not None and shiboken6.isValid(self) and self.alive():
            self.load(path)

    def load(self, path: Path) -> None:
        """Run the task on the file at ``path`` in the background."""
        if self.working or not self.alive():
            return
        vault = self._session.vault
        name, work = self._task
        self.file_name.setText(path.name)
        self.outcome.hide()
        self._reset()
        self.set_working(True, self._busy_text)
        self._runner.run(name, lambda: work(vault, path), self._finished, self.fail, owner=self)

    def _finished(self, result: Any) -> None:
        if not self.alive():
            return
        self.set_working(False)
        self.outcome.setText(self._show(result))
        self.outcome.show()
        self.fit()
        self.close_button.setFocus()

    def working_changed(self, working: bool) -> None:
        self.choose.setEnabled(not working)
        self.close_button.setEnabled(not working)

    def clear(self) -> None:
        super().clear()
        self.file_name.clear()
        self.outcome.clear()
        self._reset()
