"""The base of every piece of a rendered form: a field row, a note, a group, a repeat group.

Nodes form a tree that mirrors the form. The renderer walks it to gather the answers
(:meth:`FormNode.collect`), to show stored answers (:meth:`load`) and to apply the domain's
verdict (:meth:`apply`: which paths are not relevant, which problems to show where).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QWidget

from fieldkit.domain.forms import FieldDef
from fieldkit.domain.validation import Problem
from fieldkit.gui.forms.context import RenderContext, join

SHOWN_WHEN_TOUCHED = frozenset({"required", "min_count"})
"""Problems shown beside a field only once the user has worked on it (or tried to finalize)."""


@dataclass
class RenderState:
    """The domain's verdict on the current answers, as the nodes apply it."""

    irrelevant: set[str] = field(default_factory=set)
    problems: dict[str, list[Problem]] = field(default_factory=dict)
    show_all: bool = False
    """Show every problem, also on fields not yet touched (after an attempt to finalize)."""
    show_errors: bool = True
    nodes: dict[str, FormNode] = field(default_factory=dict)
    """Every node by its path, filled in while applying (to find a problem's field)."""
    data: dict[str, Any] = field(default_factory=dict)
    """The relevant, readable answers the verdict is about (for inputs that follow others)."""


class FormNode(QWidget):
    edited = Signal()
    """The user changed an answer in this node."""
    structure_changed = Signal()
    """Widgets were added or removed below this node."""

    def __init__(self, ctx: RenderContext, field: FieldDef, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.field = field
        self.touched = False

    def path_in(self, scope_path: str) -> str:
        return join(scope_path, self.field.name)

    def collect(self, into: dict[str, Any], scope_path: str, unreadable: list[Problem]) -> None:
        """Put this node's readable answers into ``into`` (the answers of its scope)."""

    def load(self, scope: dict[str, Any]) -> None:
        """Show the stored answers of this node's scope."""

    def apply(self, state: RenderState, scope_path: str) -> None:
        path = self.path_in(scope_path)
        state.nodes[path] = self
        self.setHidden(path in state.irrelevant)

    def wipe(self) -> None:
        """Remove every answer and message (on lock)."""

    def mask_identifying(self) -> None:
        """Hide identifying answers again."""

    def focus_chain(self) -> list[QWidget]:
        return []

    def build_towards(self, target: str, scope_path: str) -> bool:
        """Build the repeat entries on the way to the answer at path ``target`` (entries are
        laid out lazily); whether any was built."""
        return False

    def set_scope_title(self, title: str) -> None:
        """Name the repeat instance this node sits in (for screen readers): "Victims 2"."""

    def focus_input(self) -> bool:
        """Put the keyboard focus on this node's first input; False if it has none."""
        chain = [w for w in self.focus_chain() if w.isVisibleTo(self.window())]
        if not chain:
            return False
        chain[0].setFocus()
        return True


NodeBuilder = Callable[[RenderContext, list[FieldDef], QWidget | None, int], list[FormNode]]
"""Builds the nodes of a list of fields (the builder, passed to containers)."""


def shown_problems(problems: list[Problem], touched: bool, state: RenderState) -> list[Problem]:
    if not state.show_errors:
        return []
    return [p for p in problems if p.rule not in SHOWN_WHEN_TOUCHED or touched or state.show_all]


def problem_text(ctx: RenderContext, label: str, problem: Problem) -> str:
    """A problem as shown beside its field: constraint messages are sentences of the form's own;
    the domain's other messages complete the field's label."""
    if problem.rule == "constraint":
        return problem.message
    return f"{label}: {problem.message}"
