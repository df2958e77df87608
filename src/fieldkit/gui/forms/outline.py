"""The outline of a long form: its sections (the top-level groups and repeat groups) beside the
editor, each with the number of required answers still missing in it, updated as the user
answers. Choosing a section (click, or Enter on it) scrolls the form to it and puts the keyboard
focus on its first answer; the editor adds Ctrl+Page Down and Ctrl+Page Up for the next and the
previous section, and a shortcut that focuses the outline."""

from __future__ import annotations

import re

from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication, QListWidget, QListWidgetItem, QWidget

from fieldkit.domain.forms import FieldDef, FieldType
from fieldkit.gui.forms.node import FormNode
from fieldkit.gui.forms.renderer import FormRenderer
from fieldkit.i18n import _, ngettext

SECTION_TYPES = (FieldType.GROUP, FieldType.REPEAT)
LEFT_RULES = frozenset({"required", "min_count"})
"""The problems that count as a required answer left."""
_FIRST_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*")


class FormOutline(QListWidget):
    def __init__(self, renderer: FormRenderer, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._renderer = renderer
        self.sections: list[FormNode] = [
            node for node in renderer.nodes if node.field.type in SECTION_TYPES
        ]
        self._owner: dict[str, int] = {}
        """The section of each name an answer's path starts with."""
        for index, node in enumerate(self.sections):
            for name in _top_level_names(node.field):
                self._owner[name] = index
        self.left: list[int] = [0] * len(self.sections)
        self.setAccessibleName(_("Sections of the form"))
        self.setAccessibleDescription(
            _(
                "Each section with the number of required answers left in it. Enter goes to the "
                "section; Ctrl+Page Down and Ctrl+Page Up go to the next and previous section."
            )
        )
        # Not a Tab stop: Tab runs through the form and its buttons (see the editor); the editor's
        # shortcut brings the focus here.
        self.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.setWordWrap(True)
        self.setSpacing(4)
        for _node in self.sections:
            QListWidgetItem(self)
        self.itemActivated.connect(self._chosen)
        self.itemClicked.connect(self._chosen)
        renderer.refreshed.connect(self.update_counts)
        self.update_counts()
        self.setMaximumWidth(self.fontMetrics().horizontalAdvance("M" * 18))

    def update_counts(self) -> None:
        """Count the required answers left in each section (after each change of the answers)."""
        left = [0] * len(self.sections)
        for problem in self._renderer.outcome.problems:
            match = _FIRST_NAME.match(problem.path)
            index = self._owner.get(match.group(0)) if match else None
            if problem.rule in LEFT_RULES and index is not None:
                left[index] += 1
        self.left = left
        for index, (node, count) in enumerate(zip(self.sections, left, strict=True)):
            title = self._renderer.ctx.label(node.field)
            item = self.item(index)
            # Shown on two lines, the section above what is left in it; read out as one sentence.
            state = (
                ngettext("{n} required answer left", "{n} required answers left", count)
                if count
                else _("all required answers given")
            ).format(n=count)
            item.setText(f"{title}\n{state}")
            item.setData(
                Qt.ItemDataRole.AccessibleTextRole,
                ngettext(
                    "{section}: {n} required answer left",
                    "{section}: {n} required answers left",
                    count,
                ).format(section=title, n=count)
                if count
                else _("{section}: no required answer left").format(section=title),
            )
            item.setHidden(node.isHidden())  # a section that does not apply now

    # -- going to a section ----------------------------------------------------------------------

    def _chosen(self, item: QListWidgetItem) -> None:
        self.go_to(self.row(item))

    def go_to(self, index: int) -> bool:
        """Scroll the form to section ``index`` and focus its first answer."""
        if not 0 <= index < len(self.sections) or self.item(index).isHidden():
            return False
        node = self.sections[index]
        self.setCurrentRow(index)
        renderer = self._renderer
        body = renderer.widget()
        if body is not None:
            renderer.verticalScrollBar().setValue(node.mapTo(body, QPoint(0, 0)).y())
        node.focus_input()
        return True

    def step(self, by: int) -> bool:
        """Go to the next (``by`` = 1) or previous (-1) section that applies, from the one that
        holds the keyboard focus, else from the one at the top of the view."""
        current = self.current_section()
        index = current + by
        while 0 <= index < len(self.sections):
            if not self.item(index).isHidden():
                return self.go_to(index)
            index += by
        return False

    def current_section(self) -> int:
        """The section being worked on: the one holding the keyboard focus, else the one at the
        top of the view (-1 above the first)."""
        focused = QApplication.focusWidget()
        for index, node in enumerate(self.sections):
            if focused is not None and node.isAncestorOf(focused):
                return index
        if focused is self and self.currentRow() >= 0:
            return self.currentRow()
        body = self._renderer.widget()
        top = self._renderer.verticalScrollBar().value()
        current = -1
        for index, node in enumerate(self.sections):
            if body is not None and node.mapTo(body, QPoint(0, 0)).y() <= top:
                current = index
        return current


def _top_level_names(field: FieldDef) -> list[str]:
    """The names an answer's path may start with inside a section: a group's fields sit beside
    it (through nested groups); a repeat is one name."""
    if field.type is not FieldType.GROUP:
        return [field.name]
    return [name for inner in field.fields for name in _top_level_names(inner)]
