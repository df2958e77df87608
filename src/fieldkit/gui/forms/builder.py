"""Builds the nodes of a list of fields: rows, notes, groups and repeat groups."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from fieldkit.domain.forms import FieldDef, FieldType
from fieldkit.gui.forms.context import RenderContext
from fieldkit.gui.forms.field_row import FieldRow
from fieldkit.gui.forms.group import GroupView
from fieldkit.gui.forms.node import FormNode
from fieldkit.gui.forms.note import NoteView
from fieldkit.gui.forms.repeat import RepeatView


def build_nodes(
    ctx: RenderContext, fields: list[FieldDef], parent: QWidget | None, depth: int
) -> list[FormNode]:
    nodes: list[FormNode] = []
    for field in fields:
        node: FormNode
        if field.type is FieldType.NOTE:
            node = NoteView(ctx, field, parent)
        elif field.type is FieldType.GROUP:
            node = GroupView(ctx, field, build_nodes, depth, parent)
        elif field.type is FieldType.REPEAT:
            node = RepeatView(ctx, field, build_nodes, depth, parent)
        else:
            node = FieldRow(ctx, field, parent)
        nodes.append(node)
    return nodes
