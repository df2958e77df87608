"""One entry of a repeat group ("Victims 2"): its fields and a Remove button."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QGroupBox, QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from fieldkit.domain.forms import FieldDef
from fieldkit.domain.validation import Problem
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
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.field = field
        self.label = ctx.label(field)
        self.number = 0
        self.outer_title = ""
        layout = QVBoxLayout(self)
        self.nodes: list[FormNode] = build(ctx, field.fields, self, depth + 1)
        for node in self.nodes:
            layout.addWidget(node)
            node.edited.connect(self.edited)
            node.structure_changed.connect(self.structure_changed)
        self.remove_button = QPushButton(_("Remove this entry"), self)
        self.remove_button.clicked.connect(lambda: self.remove_requested.emit(self))
        self.remove_button.setVisible(not ctx.read_only)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.remove_button)
        layout.addLayout(buttons)

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
        for node in self.nodes:
            node.set_scope_title(self.title_text)

    def collect(self, path: str, unreadable: list[Problem]) -> dict[str, Any]:
        scope: dict[str, Any] = {}
        for node in self.nodes:
            node.collect(scope, path, unreadable)
        return scope

    def has_content(self) -> bool:
        unreadable: list[Problem] = []
        return bool(self.collect("", unreadable)) or bool(unreadable)

    def load(self, item: dict[str, Any]) -> None:
        for node in self.nodes:
            node.load(item)

    def apply(self, state: RenderState, path: str) -> None:
        self.setHidden(path in state.irrelevant)
        for node in self.nodes:
            node.apply(state, path)

    def wipe(self) -> None:
        for node in self.nodes:
            node.wipe()

    def mask_identifying(self) -> None:
        for node in self.nodes:
            node.mask_identifying()

    def focus_chain(self) -> list[QWidget]:
        chain = [widget for node in self.nodes for widget in node.focus_chain()]
        if not self.ctx.read_only:
            chain.append(self.remove_button)
        return chain

    def focus_first(self) -> None:
        for node in self.nodes:
            if node.isVisibleTo(self) and node.focus_input():
                return
