"""Where the keyboard focus is in a form, and which sections the user has left.

A *section* is a group or a repeat entry; a field outside both is a section of its own. A problem
that involves other fields (a constraint that uses them: "no victim has this type of act") waits
while the focus is in the section of its field or of a field it uses, and until the user has left
the sections of the fields it uses, so that it never shows while the user is still filling them
in; asking to finalize shows it at once.
Problems with the answer alone show as before.

Identifying rows mask again when the focus leaves them (see :mod:`fieldkit.gui.forms.masking`).
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QApplication, QWidget

from fieldkit.domain import validation
from fieldkit.domain.forms import FormDefinition
from fieldkit.domain.validation import Problem
from fieldkit.gui.forms.field_row import FieldRow
from fieldkit.gui.forms.group import GroupView
from fieldkit.gui.forms.node import FormNode
from fieldkit.gui.forms.repeat_instance import RepeatInstance


def inside(widget: QWidget | None, container: QWidget) -> bool:
    """Whether ``widget`` is ``container`` or below it, popups included (a combo box's list, a
    calendar: windows of their own whose parent is in the container)."""
    while widget is not None:
        if widget is container:
            return True
        widget = widget.parentWidget()
    return False


def sections_around(widget: QWidget, top: QWidget) -> list[QWidget]:
    """The sections ``widget`` sits in, innermost first: the groups and repeat entries around it,
    or the field row itself when neither is."""
    found: list[QWidget] = []
    row: FieldRow | None = None
    current: QWidget | None = widget
    while current is not None and current is not top:
        if isinstance(current, GroupView | RepeatInstance):
            found.append(current)
        elif isinstance(current, FieldRow) and row is None:
            row = current
        current = current.parentWidget()
    if not found and row is not None:
        found.append(row)
    return found


def row_around(widget: QWidget, top: QWidget) -> FieldRow | None:
    current: QWidget | None = widget
    while current is not None and current is not top:
        if isinstance(current, FieldRow):
            return current
        current = current.parentWidget()
    return None


class FocusWatcher(QObject):
    """Follows the focus through one form: masks an identifying row the focus leaves, and
    remembers the sections left (``left`` is emitted each time the focus leaves one)."""

    left = Signal()

    def __init__(self, form: FormDefinition, body: QWidget) -> None:
        super().__init__(body)
        self._form = form
        self._body = body
        self.sections_left: set[QWidget] = set()
        app = QApplication.instance()
        if isinstance(app, QApplication):
            app.focusChanged.connect(self._moved)

    def reset(self) -> None:
        self.sections_left = set()

    def _moved(self, old: QWidget | None, new: QWidget | None) -> None:
        if old is None or new is None or not inside(old, self._body):
            return  # the window lost the focus (it comes back to the same widget), or elsewhere
        row = row_around(old, self._body)
        if row is not None and row.identifying and not inside(new, row):
            row.mask_identifying()  # no longer being edited: masked again
        exited = [s for s in sections_around(old, self._body) if not inside(new, s)]
        if exited:
            self.sections_left.update(exited)
            self.left.emit()

    def hold_back(
        self, problems: dict[str, list[Problem]], nodes: dict[str, FormNode]
    ) -> dict[str, list[Problem]]:
        """``problems`` without those that involve other fields whose sections the user has not
        left yet (``nodes``: the form's nodes by path, as last shown)."""
        held: dict[str, list[Problem]] = {}
        rows: dict[str, list[FieldRow]] | None = None
        for path, found in problems.items():
            kept: list[Problem] = []
            for problem in found:
                uses = (
                    validation.constraint_references(self._form, problem.field)
                    if problem.rule == "constraint"
                    else frozenset()
                )
                if uses and rows is None:
                    rows = {}
                    for node in nodes.values():
                        if isinstance(node, FieldRow):
                            rows.setdefault(node.field.name, []).append(node)
                if not uses or not self._waits(nodes.get(path), uses, rows or {}):
                    kept.append(problem)
            if kept:
                held[path] = kept
        return held

    def _waits(
        self, own: FormNode | None, uses: frozenset[str], rows: dict[str, list[FieldRow]]
    ) -> bool:
        if own is None:
            return False
        focus = QApplication.focusWidget()
        used = [row for name in uses for row in rows.get(name, []) if row.isVisibleTo(self._body)]
        for node in [own, *used]:
            sections = sections_around(node, self._body)
            if focus is not None and any(inside(focus, s) for s in sections):
                return True  # still being filled in
            if node is not own and not any(s in self.sections_left for s in sections):
                return True  # not reached yet: the user may still answer it
        return False
