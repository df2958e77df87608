"""A repeat group: numbered entries with Add and Remove.

At least ``min_count`` entries are always present (Remove is disabled at the minimum) and Add is
disabled at ``max_count``. Removing an entry that holds answers asks first. The entries present
when a form opens are laid out up to a budget (:data:`~fieldkit.gui.forms.context.EAGER_ENTRIES`);
the others wait, as data, until they come into view or are asked for.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from fieldkit.domain.forms import FieldDef
from fieldkit.domain.validation import Problem, entry_defaults
from fieldkit.gui.forms.context import RenderContext
from fieldkit.gui.forms.field_row import ERROR_STYLE
from fieldkit.gui.forms.group import INDENT
from fieldkit.gui.forms.node import (
    FormNode,
    NodeBuilder,
    RenderState,
    problem_text,
    shown_problems,
)
from fieldkit.gui.forms.repeat_instance import RepeatInstance
from fieldkit.i18n import _


class RepeatView(FormNode):
    def __init__(
        self,
        ctx: RenderContext,
        field: FieldDef,
        build: NodeBuilder,
        depth: int,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(ctx, field, parent)
        self._build = build
        self._depth = depth
        self.text = ctx.label(field)
        self.minimum = field.fewest_entries
        self.maximum = field.max_count
        self.instances: list[RepeatInstance] = []
        self.added_on_load = 0
        """New entries (with their defaults) added by the last :meth:`load` to reach the minimum."""
        self.outer_title = ""
        self.pending_confirmation: QMessageBox | None = None

        self.box = QGroupBox(self.text + (" *" if self.minimum and not ctx.read_only else ""), self)
        self.box.setAccessibleName(self.text)
        inner = QVBoxLayout(self.box)
        hint = ctx.hint(field)
        if hint:
            label = QLabel(hint, self.box)
            label.setTextFormat(Qt.TextFormat.PlainText)
            label.setWordWrap(True)
            label.setEnabled(False)
            inner.addWidget(label)
        self.instances_layout = QVBoxLayout()
        inner.addLayout(self.instances_layout)
        self.empty = QLabel(_("No entries."), self.box)
        inner.addWidget(self.empty)
        self.error = QLabel(self.box)
        self.error.setTextFormat(Qt.TextFormat.PlainText)
        self.error.setWordWrap(True)
        self.error.setStyleSheet(ERROR_STYLE)
        self.error.setVisible(False)
        inner.addWidget(self.error)
        self.add_button = QPushButton(_("Add an entry"), self.box)
        self.add_button.setAccessibleName(_("Add an entry to {section}").format(section=self.text))
        self.add_button.clicked.connect(self._add_clicked)
        self.add_button.setVisible(not ctx.read_only)
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addStretch(1)
        inner.addLayout(buttons)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(INDENT if depth else 0, 4, 0, 4)
        layout.addWidget(self.box)
        if not ctx.read_only:
            self._fill_to_minimum()
        self._sync()

    # -- entries ---------------------------------------------------------------------------------

    def add_instance(
        self, item: dict[str, Any] | None = None, *, lay_out: bool = True
    ) -> RepeatInstance:
        """Add an entry showing ``item``; a new entry (no ``item``) starts with its defaults."""
        if item is None and not self.ctx.read_only:
            item = entry_defaults(self.ctx.form, self.field.name)
        instance = RepeatInstance(
            self.ctx, self.field, self._build, self._depth, self.box, lay_out=lay_out
        )
        instance.edited.connect(self.edited)
        instance.structure_changed.connect(self.structure_changed)
        instance.remove_requested.connect(self._remove_clicked)
        self.instances.append(instance)
        self.instances_layout.addWidget(instance)
        if item is not None:
            instance.load(item)
        self._sync()
        return instance

    def _fill_to_minimum(self) -> None:
        while len(self.instances) < self.minimum:
            self.add_instance(lay_out=self.ctx.entries.take())

    def _add_clicked(self) -> None:
        if self.maximum is not None and len(self.instances) >= self.maximum:
            return
        instance = self.add_instance()
        self.touched = True
        self.structure_changed.emit()
        self.edited.emit()
        instance.focus_first()

    def _remove_clicked(self, widget: QWidget) -> None:
        instance = next((i for i in self.instances if i is widget), None)
        if instance is None or len(self.instances) <= self.minimum:
            return
        if not instance.has_content():
            self.remove_instance(instance)
            return
        box = QMessageBox(
            QMessageBox.Icon.Question,
            _("Remove this entry?"),
            _("Remove {entry} and its answers?").format(entry=instance.title_text),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            self,
        )
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)

        def answered(button: QAbstractButton) -> None:
            if box.standardButton(button) == QMessageBox.StandardButton.Yes:
                self.remove_instance(instance)
            self.pending_confirmation = None

        box.buttonClicked.connect(answered)
        self.pending_confirmation = box
        box.open()

    def remove_instance(self, instance: RepeatInstance) -> None:
        if instance not in self.instances or len(self.instances) <= self.minimum:
            return
        self.instances.remove(instance)
        instance.wipe()
        instance.hide()
        instance.setParent(None)
        instance.deleteLater()
        self.touched = True
        self._sync()
        self.structure_changed.emit()
        self.edited.emit()
        self.add_button.setFocus()

    def _sync(self) -> None:
        for number, instance in enumerate(self.instances, start=1):
            instance.renumber(number, self.outer_title)
            instance.remove_button.setEnabled(len(self.instances) > self.minimum)
        full = self.maximum is not None and len(self.instances) >= self.maximum
        self.add_button.setEnabled(not full)
        self.empty.setVisible(not self.instances)

    # -- node ------------------------------------------------------------------------------------

    def collect(self, into: dict[str, Any], scope_path: str, unreadable: list[Problem]) -> None:
        path = self.path_in(scope_path)
        items = [
            instance.collect(f"{path}[{number}]", unreadable)
            for number, instance in enumerate(self.instances, start=1)
        ]
        if items:
            into[self.field.name] = items

    def load(self, scope: dict[str, Any]) -> None:
        for instance in self.instances:
            instance.hide()
            instance.setParent(None)
            instance.deleteLater()
        self.instances = []
        items = scope.get(self.field.name)
        for item in items if isinstance(items, list) else []:
            self.add_instance(
                item if isinstance(item, dict) else {}, lay_out=self.ctx.entries.take()
            )
        given = len(self.instances)
        if not self.ctx.read_only:
            self._fill_to_minimum()
        self.added_on_load = len(self.instances) - given
        self.touched = False
        self._sync()

    def apply(self, state: RenderState, scope_path: str) -> None:
        super().apply(state, scope_path)
        path = self.path_in(scope_path)
        shown = shown_problems(state.problems.get(path, []), self.touched, state)
        if path in state.irrelevant:
            shown = []
        self._set_error("\n".join(problem_text(self.ctx, self.text, p) for p in shown))
        for number, instance in enumerate(self.instances, start=1):
            instance.apply(state, f"{path}[{number}]")

    def build_towards(self, target: str, scope_path: str) -> bool:
        path = self.path_in(scope_path)
        built = False
        for number, instance in enumerate(self.instances, start=1):
            entry = f"{path}[{number}]"
            if target == entry or target.startswith(f"{entry}."):
                built = instance.build_towards(target, entry) or built
        return built

    def _set_error(self, message: str) -> None:
        self.error.setText(message)
        self.error.setVisible(bool(message))
        self.add_button.setAccessibleDescription(message)

    @property
    def error_text(self) -> str:
        return self.error.text()

    def wipe(self) -> None:
        if self.pending_confirmation is not None:
            self.pending_confirmation.reject()
            self.pending_confirmation = None
        for instance in self.instances:
            instance.wipe()
            instance.hide()
            instance.setParent(None)
            instance.deleteLater()
        self.instances = []
        self._set_error("")
        self.touched = False
        self._sync()

    def mask_identifying(self) -> None:
        for instance in self.instances:
            instance.mask_identifying()

    def focus_chain(self) -> list[QWidget]:
        chain = [widget for instance in self.instances for widget in instance.focus_chain()]
        if not self.ctx.read_only:
            chain.append(self.add_button)
        return chain

    def focus_input(self) -> bool:
        for instance in self.instances:
            if instance.isVisibleTo(self):
                instance.focus_first()
                return True
        if self.add_button.isVisible():
            self.add_button.setFocus()
            return True
        return False

    def set_scope_title(self, title: str) -> None:
        self.outer_title = title
        self._sync()
