"""A group: a titled section of fields. Its fields' answers sit beside it (groups are headings
only); nested groups indent."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGroupBox, QLabel, QVBoxLayout, QWidget

from fieldkit.domain.forms import FieldDef
from fieldkit.domain.validation import Problem
from fieldkit.gui.forms.context import RenderContext
from fieldkit.gui.forms.node import FormNode, NodeBuilder, RenderState

INDENT = 16


class GroupView(FormNode):
    def __init__(
        self,
        ctx: RenderContext,
        field: FieldDef,
        build: NodeBuilder,
        depth: int,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(ctx, field, parent)
        self.box = QGroupBox(ctx.text(field.label), self)
        inner = QVBoxLayout(self.box)
        hint = ctx.hint(field)
        if hint:
            label = QLabel(hint, self.box)
            label.setTextFormat(Qt.TextFormat.PlainText)
            label.setWordWrap(True)
            label.setEnabled(False)
            inner.addWidget(label)
        self.children_nodes = build(ctx, field.fields, self.box, depth + 1)
        for node in self.children_nodes:
            inner.addWidget(node)
            node.edited.connect(self.edited)
            node.structure_changed.connect(self.structure_changed)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(INDENT if depth else 0, 4, 0, 4)
        layout.addWidget(self.box)
        self.box.setAccessibleName(ctx.text(field.label))

    def collect(self, into: dict[str, Any], scope_path: str, unreadable: list[Problem]) -> None:
        for node in self.children_nodes:
            node.collect(into, scope_path, unreadable)

    def load(self, scope: dict[str, Any]) -> None:
        for node in self.children_nodes:
            node.load(scope)

    def apply(self, state: RenderState, scope_path: str) -> None:
        super().apply(state, scope_path)
        for node in self.children_nodes:  # hidden with the group when it is not relevant
            node.apply(state, scope_path)

    def wipe(self) -> None:
        for node in self.children_nodes:
            node.wipe()

    def mask_identifying(self) -> None:
        for node in self.children_nodes:
            node.mask_identifying()

    def focus_chain(self) -> list[QWidget]:
        return [widget for node in self.children_nodes for widget in node.focus_chain()]

    def build_towards(self, target: str, scope_path: str) -> bool:
        built = False
        for node in self.children_nodes:
            built = node.build_towards(target, scope_path) or built
        return built

    def set_scope_title(self, title: str) -> None:
        for node in self.children_nodes:
            node.set_scope_title(title)
