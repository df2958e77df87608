"""The problems to fix before a record can be sealed: one line per problem, with the field's
label and its repeat entry. Choosing a line closes the dialog and puts the focus on that field."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from fieldkit.domain.validation import Problem
from fieldkit.gui.bidi import count_text
from fieldkit.i18n import _, ngettext

PATH_ROLE = Qt.ItemDataRole.UserRole
Describe = Callable[[Problem], tuple[str, str]]


def problem_line(problem: Problem, describe: Describe) -> str:
    label, entry = describe(problem)
    where = _("{field} ({entry})").format(field=label, entry=entry) if entry else label
    return _("{where}: {message}").format(where=where, message=problem.message)


class ProblemsDialog(QDialog):
    problem_chosen = Signal(str)
    """The path of the problem the user chose."""

    def __init__(
        self, problems: list[Problem], describe: Describe, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("Problems to fix before sealing"))
        self.setModal(True)
        intro = QLabel(
            ngettext(
                "{n} answer needs attention before the record can be sealed. "
                "Choose one to go to its field.",
                "{n} answers need attention before the record can be sealed. "
                "Choose one to go to its field.",
                len(problems),
            ).format(n=count_text(len(problems))),
            self,
        )
        intro.setWordWrap(True)
        self.list = QListWidget(self)
        self.list.setAccessibleName(_("Problems"))
        self.list.setWordWrap(True)  # a long message is shown whole, on several lines
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setResizeMode(QListWidget.ResizeMode.Adjust)
        for problem in problems:
            item = QListWidgetItem(problem_line(problem, describe), self.list)
            item.setData(PATH_ROLE, problem.path)
        if problems:
            self.list.setCurrentRow(0)
        self.list.itemActivated.connect(self._chosen)
        self.list.itemClicked.connect(self._chosen)
        buttons = QDialogButtonBox(self)
        self.go_button = buttons.addButton(_("Go to field"), QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(QDialogButtonBox.StandardButton.Close)
        buttons.accepted.connect(self._go)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.list, 1)
        layout.addWidget(buttons)
        self.resize(560, 360)
        self.list.setFocus()

    def lines(self) -> list[str]:
        return [self.list.item(row).text() for row in range(self.list.count())]

    def _go(self) -> None:
        item = self.list.currentItem()
        if item is None:
            self.reject()
            return
        self._chosen(item)

    def _chosen(self, item: QListWidgetItem) -> None:
        path = str(item.data(PATH_ROLE))
        self.accept()
        self.problem_chosen.emit(path)
