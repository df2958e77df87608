"""One entry of a repeat group ("Victims 2"): its fields and a Remove button.

An entry is laid out (its fields' widgets made) when it is built; until then it is a titled box
with a Show button and holds its answers as data, so that the renderer gathers and checks them
all the same. The renderer builds entries as they come into view, and an entry builds itself when
the user asks for it (Show, a problem that names a field in it, the keyboard moving into it).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QGroupBox, QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from fieldkit.domain.forms import FieldDef, FieldType
from fieldkit.domain.validation import Problem, entry_defaults
from fieldkit.gui.forms.context import RenderContext, instance_title
from fieldkit.gui.forms.node import FormNode, NodeBuilder, RenderState
from fieldkit.i18n import _


class RepeatInstance(QGroupBox):
    edited = Signal()
    structure_changed = Signal()
    remove_requested = Signal(QWidget)

    def __init__(
        self,
        ctx: RenderContext,
        field: FieldDef,
        build: NodeBuilder,
        depth: int,
        parent: QWidget | None = None,
        *,
        lay_out: bool = True,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.field = field
        self.label = ctx.label(field)
        self.number = 0
        self.outer_title = ""
        self._build = build
        self._depth = depth
        self.nodes: list[FormNode] = []
        self.built = False
        self._answers: dict[str, Any] | None = None
        """The answers of an entry not built yet (None: a new, empty entry)."""
        self._layout = QVBoxLayout(self)
        self.show_button = QPushButton(_("Show this entry"), self)
        self.show_button.clicked.connect(self._show_clicked)
        self._layout.addWidget(self.show_button)
        self.remove_button = QPushButton(_("Remove this entry"), self)
        self.remove_button.clicked.connect(lambda: self.remove_requested.emit(self))
        self.remove_button.setVisible(not ctx.read_only)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.remove_button)
        self._layout.addLayout(buttons)
        if lay_out:
            self.build()

    def build(self) -> bool:
        """Make the widgets of this entry's fields and show its answers in them; False if it was
        built already."""
        if self.built:
            return False
        self.built = True
        self._layout.removeWidget(self.show_button)
        self.show_button.hide()
        self.show_button.deleteLater()
        self.nodes = self._build(self.ctx, self.field.fields, self, self._depth + 1)
        for index, node in enumerate(self.nodes):
            self._layout.insertWidget(index, node)
            node.edited.connect(self.edited)
            node.structure_changed.connect(self.structure_changed)
            node.set_scope_title(self.title_text)
        if self._answers is not None:
            for node in self.nodes:
                node.load(self._answers)
        self._answers = None
        return True

    def _show_clicked(self) -> None:
        self.build()
        self.structure_changed.emit()
        self.focus_first()

    @property
    def title_text(self) -> str:
        own = instance_title(self.label, self.number)
        return f"{self.outer_title} · {own}" if self.outer_title else own

    def renumber(self, number: int, outer_title: str = "") -> None:
        self.number = number
        self.outer_title = outer_title
        title = instance_title(self.label, number)
        self.setTitle(title)
        self.setAccessibleName(self.title_text)
        self.remove_button.setAccessibleName(_("Remove {entry}").format(entry=self.title_text))
        if not self.built:
            self.show_button.setAccessibleName(_("Show {entry}").format(entry=self.title_text))
        for node in self.nodes:
            node.set_scope_title(self.title_text)

    def collect(self, path: str, unreadable: list[Problem]) -> dict[str, Any]:
        if not self.built:
            return fill_entries(self.field.fields, self._answers or {}, not self.ctx.read_only)
        scope: dict[str, Any] = {}
        for node in self.nodes:
            node.collect(scope, path, unreadable)
        return scope

    def has_content(self) -> bool:
        unreadable: list[Problem] = []
        return bool(self.collect("", unreadable)) or bool(unreadable)

    def load(self, item: dict[str, Any]) -> None:
        if not self.built:
            # The repeats inside get their fewest entries now, each with its defaults, once:
            # collecting again must give the same answers (a default may be a fresh pseudonym).
            new_entry = None if self.ctx.read_only else self._new_entry
            self._answers = fill_entries(self.field.fields, item, False, new_entry)
        for node in self.nodes:
            node.load(item)

    def apply(self, state: RenderState, path: str) -> None:
        self.setHidden(path in state.irrelevant)
        for node in self.nodes:
            node.apply(state, path)

    def build_towards(self, target: str, path: str) -> bool:
        """Build this entry and the entries inside it on the way to the answer at ``target``;
        whether any was built."""
        built = self.build()
        for node in self.nodes:
            built = node.build_towards(target, path) or built
        return built

    def _new_entry(self, repeat: str) -> dict[str, Any]:
        return entry_defaults(self.ctx.form, repeat)

    def wipe(self) -> None:
        self._answers = None
        for node in self.nodes:
            node.wipe()

    def mask_identifying(self) -> None:
        for node in self.nodes:
            node.mask_identifying()

    def focus_chain(self) -> list[QWidget]:
        chain = [widget for node in self.nodes for widget in node.focus_chain()]
        if not self.built:
            chain.append(self.show_button)
        if not self.ctx.read_only:
            chain.append(self.remove_button)
        return chain

    def focus_first(self) -> None:
        if self.build():
            self.structure_changed.emit()
        for node in self.nodes:
            if node.isVisibleTo(self) and node.focus_input():
                return


def fill_entries(
    fields: list[FieldDef],
    scope: dict[str, Any],
    fill: bool,
    new_entry: Callable[[str], dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The answers ``scope`` as the built widgets would give them back: repeats inside hold at
    least their fewest entries (when ``fill`` or ``new_entry`` is given: an editor adds them, a
    viewer does not), each made by ``new_entry(repeat)`` (its defaults) or empty."""
    answers = dict(scope)
    adds = fill or new_entry is not None
    for field in fields:
        if field.type is FieldType.GROUP:
            answers = fill_entries(field.fields, answers, fill, new_entry)
        elif field.type is FieldType.REPEAT:
            given = answers.get(field.name)
            items = [
                fill_entries(field.fields, item if isinstance(item, dict) else {}, fill, new_entry)
                for item in (given if isinstance(given, list) else [])
            ]
            missing = field.fewest_entries - len(items) if adds else 0
            items += [
                fill_entries(
                    field.fields, new_entry(field.name) if new_entry else {}, fill, new_entry
                )
                for _ in range(missing)
            ]
            if items:
                answers[field.name] = items
            else:
                answers.pop(field.name, None)
    return answers
