"""The form renderer: a scrollable form built from a form definition.

After every change the renderer gathers the answers (each normalised by the domain), runs
``validation.check`` on them and applies the outcome: fields, groups and repeat entries whose
path is not relevant are hidden, and problems are shown beside their fields (required ones only
once the field was touched, or after an attempt to finalize).

Hidden answers: what the user typed in a field that became irrelevant stays in its (hidden)
widget and in the draft, so that an accidental change of the controlling answer loses nothing;
the domain clears it when the record is sealed. Answers the domain cannot read yet stay in their
widgets, with their message, and are left out of :meth:`FormRenderer.answers`.

Lazy entries: repeat entries beyond a budget are laid out only when they come into view (the
renderer looks after every scroll, resize and change of structure), when a problem names a field
in one, or when the user asks; until then they hold their answers as data.
"""

from __future__ import annotations

import re
from dataclasses import replace
from itertools import pairwise
from typing import Any

from PySide6.QtCore import QEvent, QPoint, QRect, Qt, QTimer, Signal
from PySide6.QtGui import QResizeEvent, QShowEvent
from PySide6.QtWidgets import QApplication, QFrame, QLabel, QScrollArea, QVBoxLayout, QWidget

from fieldkit.domain import validation
from fieldkit.domain.forms import FormDefinition
from fieldkit.domain.validation import Outcome, Problem
from fieldkit.gui.forms.builder import build_nodes
from fieldkit.gui.forms.context import RenderContext, describe_path
from fieldkit.gui.forms.field_row import FieldRow
from fieldkit.gui.forms.fields_base import FieldInput
from fieldkit.gui.forms.node import FormNode, RenderState
from fieldkit.gui.forms.repeat import RepeatView
from fieldkit.gui.forms.repeat_instance import RepeatInstance
from fieldkit.gui.forms.sections import FocusWatcher
from fieldkit.gui.tasks import TaskRunner
from fieldkit.i18n import is_right_to_left
from fieldkit.vault.store import Vault


class FormRenderer(QScrollArea):
    changed = Signal()
    """The user changed an answer (relevance and messages are already updated)."""
    refreshed = Signal()
    """The domain's verdict on the answers was applied again (see :attr:`outcome`)."""

    def __init__(
        self,
        form: FormDefinition,
        language: str,
        vault: Vault | None,
        *,
        read_only: bool = False,
        runner: TaskRunner | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx = RenderContext(form, language, vault, read_only, runner)
        self._show_all = False
        self._state = RenderState(show_errors=not read_only)
        self._unreadable: list[Problem] = []
        self._outcome: Outcome = Outcome({}, [])
        self._after: list[QWidget] = []
        if is_right_to_left(language):
            self.setLayoutDirection(Qt.LayoutDirection.RightToLeft)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        body = QWidget(self)
        layout = QVBoxLayout(body)
        description = self.ctx.text(form.description)
        if description:
            intro = QLabel(description, body)
            intro.setTextFormat(Qt.TextFormat.PlainText)
            intro.setWordWrap(True)
            layout.addWidget(intro)
        self._lay_out_timer = QTimer(self)
        self._lay_out_timer.setSingleShot(True)
        self._lay_out_timer.setInterval(0)
        self._lay_out_timer.timeout.connect(self.lay_out_visible)
        self.verticalScrollBar().valueChanged.connect(self._lay_out_timer.start)
        self.nodes: list[FormNode] = build_nodes(self.ctx, form.fields, body, 0)
        for node in self.nodes:
            layout.addWidget(node)
            node.edited.connect(self._edited)
            node.structure_changed.connect(self._structure_changed)
        layout.addStretch(1)
        self.setWidget(body)
        self._body = body
        self.focus_watcher = FocusWatcher(form, body)
        self.focus_watcher.left.connect(self.refresh)
        self.refresh()
        self.update_tab_order()

    @property
    def form(self) -> FormDefinition:
        return self.ctx.form

    # -- answers ---------------------------------------------------------------------------------

    def set_data(self, data: dict[str, Any] | None) -> None:
        """Show stored answers (a draft or a sealed revision); not counted as edits."""
        scope = data if isinstance(data, dict) else {}
        self.ctx.entries.renew()
        for node in self.nodes:
            node.load(scope)
        self._show_all = False
        self.focus_watcher.reset()
        self.refresh()
        self.update_tab_order()

    def added_entries(self) -> bool:
        """Whether showing the stored answers added repeat entries (a repeat's minimum), which
        start with their defaults (a victim's pseudonym): answers the draft does not hold yet."""
        return any(view.added_on_load for view in self.findChildren(RepeatView))

    def answers(self) -> tuple[dict[str, Any], list[Problem]]:
        """The readable answers, normalised, and a problem for each answer that is not."""
        data: dict[str, Any] = {}
        unreadable: list[Problem] = []
        for node in self.nodes:
            node.collect(data, "", unreadable)
        return data, unreadable

    def data(self) -> dict[str, Any]:
        return self.answers()[0]

    # -- the domain's verdict --------------------------------------------------------------------

    def refresh(self) -> Outcome:
        data, unreadable = self.answers()
        outcome = validation.check(
            self.form, data, language=self.ctx.language, refused={p.path for p in unreadable}
        )
        # Unreadable typing in a field that is not relevant now does not stand in the way: it is
        # hidden, left out of the draft, and would be cleared when sealing.
        unreadable = [p for p in unreadable if not _within(p.path, outcome.irrelevant)]
        refused = {p.path for p in unreadable}
        by_path: dict[str, list[Problem]] = {}
        for problem in [*unreadable, *(p for p in outcome.problems if p.path not in refused)]:
            by_path.setdefault(problem.path, []).append(problem)
        if not self._show_all:
            by_path = self.focus_watcher.hold_back(by_path, self._state.nodes)
        state = RenderState(
            irrelevant=outcome.irrelevant,
            problems=by_path,
            show_all=self._show_all,
            show_errors=not self.ctx.read_only,
            data=outcome.data,
        )
        for node in self.nodes:
            node.apply(state, "")
        relevance_changed = state.irrelevant != self._state.irrelevant
        self._state, self._outcome, self._unreadable = state, outcome, unreadable
        if relevance_changed:
            self.update_tab_order()
        self.refreshed.emit()
        return outcome

    @property
    def outcome(self) -> Outcome:
        """The domain's last verdict on the answers (every problem, also those not shown)."""
        return self._outcome

    def problems(self) -> list[Problem]:
        """Every problem of the current answers, in the order of the form."""
        refused = {p.path for p in self._unreadable}
        found = [*self._unreadable, *(p for p in self._outcome.problems if p.path not in refused)]
        order = {path: index for index, path in enumerate(self._state.nodes)}
        return sorted(found, key=lambda p: order.get(p.path, len(order)))

    def show_all_problems(self) -> list[Problem]:
        """Show every problem beside its field, also untouched ones; return them."""
        self._show_all = True
        self.refresh()
        return self.problems()

    def describe(self, problem: Problem) -> tuple[str, str]:
        """The field label and the repeat entry of a problem."""
        return describe_path(self.ctx, problem.path)

    # -- finding and focusing ----------------------------------------------------------------

    def node_at(self, path: str) -> FormNode | None:
        return self._state.nodes.get(path)

    def row_at(self, path: str) -> FieldRow | None:
        node = self.node_at(path)
        return node if isinstance(node, FieldRow) else None

    def input_at(self, path: str) -> FieldInput | None:
        row = self.row_at(path)
        return None if row is None else row.input

    def focus_path(self, path: str) -> bool:
        """Move the keyboard focus to the field a problem names (revealing it if masked)."""
        if self.node_at(path) is None and self._build_towards(path):
            self._structure_changed()
        node = self.node_at(path)
        if node is None or not node.focus_input():
            return False
        self.centre_on(node)
        return True

    def centre_on(self, widget: QWidget) -> None:
        """Scroll so that ``widget`` sits in the middle of the view (its top at the top when it
        is taller than the view): a field reached from the problems list shows whole, options
        included, not cut off at an edge."""
        body = self.widget()
        if body is None or not body.isAncestorOf(widget):
            return
        # Lay out what changed just before (problems shown, a field revealed) and let the view
        # resize the form to it, so that the field is where it will stay.
        QApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)
        top = widget.mapTo(body, QPoint(0, 0)).y()
        view = self.viewport().height()
        height = widget.height()
        target = top + height // 2 - view // 2 if height < view else top
        bar = self.verticalScrollBar()
        bar.setValue(max(bar.minimum(), min(bar.maximum(), target)))

    def focus_chain(self) -> list[QWidget]:
        """Every widget of the form that takes the keyboard focus, in document order."""
        return [widget for node in self.nodes for widget in node.focus_chain()]

    def set_tab_successors(self, widgets: list[QWidget]) -> None:
        """Widgets outside the form that Tab reaches after its last field (the editor's buttons);
        they stay linked after every change of the form's structure."""
        self._after = list(widgets)
        self.update_tab_order()

    def update_tab_order(self) -> None:
        """Tab follows the form: each field's widgets in document order, entries included, then
        the successors. Called again whenever entries come or go, or relevance changes."""
        chain = [w for w in self.focus_chain() if self.isAncestorOf(w)]  # not entries going away
        for first, second in pairwise([*chain, *self._after]):
            QWidget.setTabOrder(first, second)

    # -- lazy entries ----------------------------------------------------------------------------

    def entries(self) -> list[RepeatInstance]:
        """Every repeat entry that exists as a widget (built or waiting), at any depth."""
        return self._body.findChildren(RepeatInstance)

    def lay_out_visible(self) -> int:
        """Build the waiting entries that are in view; how many were built."""
        self._lay_out_timer.stop()
        body, viewport = self._body, self.viewport()
        layout = body.layout()
        if layout is not None:
            layout.activate()
        seen = viewport.rect()
        built = 0
        for entry in self.entries():
            if entry.built or not entry.isVisibleTo(body):
                continue
            if QRect(entry.mapTo(viewport, QPoint(0, 0)), entry.size()).intersects(seen):
                built += entry.build()
        if built:
            self._structure_changed()
        return built

    def _build_towards(self, path: str) -> bool:
        built = False
        for node in self.nodes:
            built = node.build_towards(path, "") or built
        return built

    def _structure_changed(self) -> None:
        """Entries came, went or were built: show the current verdict in the new widgets, link
        them into the tab order, and look again for entries in view."""
        state = replace(self._state, nodes={})
        for node in self.nodes:
            node.apply(state, "")
        self._state = state
        self.update_tab_order()
        self._lay_out_timer.start()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        self._lay_out_timer.start()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        self._lay_out_timer.start()

    # -- masking and wiping ----------------------------------------------------------------------

    def mask_all(self) -> None:
        for node in self.nodes:
            node.mask_identifying()

    def clear(self) -> None:
        """Wipe every answer, message and preview from the widgets, and mask again."""
        for node in self.nodes:
            node.wipe()
        self._show_all = False
        self.focus_watcher.reset()
        self._unreadable = []
        self._outcome = Outcome({}, [])
        self._state = RenderState(show_errors=not self.ctx.read_only)

    # -- reacting --------------------------------------------------------------------------------

    def _edited(self) -> None:
        self.refresh()
        self.changed.emit()


_STEP = re.compile(r"[.\[]")


def _within(path: str, irrelevant: set[str]) -> bool:
    """Whether ``path`` or a group, repeat or entry around it is not relevant."""
    if not irrelevant:
        return False
    return path in irrelevant or any(
        path[: match.start()] in irrelevant for match in _STEP.finditer(path)
    )
