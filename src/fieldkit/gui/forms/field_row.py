"""One answer on screen: label (required ones marked), hint, the input, a Reveal toggle for
identifying answers, and the inline message of the domain's problems with it.

A row gathers its answer by having the domain normalise what the input holds. Typing that the
domain cannot read yet (``-`` in a number, half a position) stays in the widget with its message
and is left out of the answers, so a draft never holds it until it can be read.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from fieldkit.domain.forms import FieldDef
from fieldkit.domain.validation import Problem
from fieldkit.domain.values import AnswerError, normalize
from fieldkit.gui.contrast import SecondaryLabel
from fieldkit.gui.forms.context import RenderContext, Unreadable, answer_in_scope
from fieldkit.gui.forms.inputs import make_input
from fieldkit.gui.forms.masking import MaskedContent, RevealButton
from fieldkit.gui.forms.node import FormNode, RenderState, problem_text, shown_problems
from fieldkit.i18n import _

ERROR_STYLE = "color: #ffffff; background-color: #a00018; padding: 2px 4px;"


def reserve_line(label: QLabel) -> None:
    """Keep one line of ``label``'s height while it is hidden or empty, so that a message
    appearing under a field does not push the rest of the form down (a longer one still grows)."""
    label.setText("X")
    label.setMinimumHeight(label.sizeHint().height())
    label.setText("")
    policy = label.sizePolicy()
    policy.setRetainSizeWhenHidden(True)
    label.setSizePolicy(policy)


class FieldRow(FormNode):
    def __init__(
        self,
        ctx: RenderContext,
        field: FieldDef,
        parent: QWidget | None = None,
        accessible_suffix: str = "",
    ) -> None:
        super().__init__(ctx, field, parent)
        self.input = make_input(ctx, field, self)
        self.text = ctx.label(field)
        self.required = field.is_required_always() and not ctx.read_only
        self.identifying = ctx.is_identifying(field)
        self.accessible_suffix = accessible_suffix
        self._error = ""

        self.label = QLabel(self.text + (" *" if self.required else ""), self)
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        self.label.setWordWrap(True)
        bold = QFont(self.label.font())
        bold.setBold(True)
        self.label.setFont(bold)
        if self.required:
            self.label.setToolTip(_("Required"))
        focus = self.input.focus_widgets()
        if focus:
            self.label.setBuddy(focus[0])
        header = QHBoxLayout()
        header.addWidget(self.label, 1)
        self.reveal: RevealButton | None = None
        self.content: MaskedContent | None = None
        if self.identifying:
            tag = QLabel(_("identifying"), self)
            tag.setToolTip(_("Names, contacts, faces: kept apart and never exported in clear."))
            header.addWidget(tag)
            self.reveal = RevealButton(self.text, self)
            self.reveal.toggled.connect(self._reveal_toggled)
            header.addWidget(self.reveal)
            self.content = MaskedContent(self.input, self)

        hint = ctx.hint(field)
        self.hint = SecondaryLabel(hint, self)
        self.hint.setTextFormat(Qt.TextFormat.PlainText)
        self.hint.setWordWrap(True)
        self.hint.setVisible(bool(hint))

        self.error = QLabel(self)
        self.error.setTextFormat(Qt.TextFormat.PlainText)
        self.error.setWordWrap(True)
        self.error.setStyleSheet(ERROR_STYLE)
        if not ctx.read_only:
            reserve_line(self.error)
        self.error.setVisible(False)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 2, 0, 0 if not ctx.read_only else 6)  # the message's line
        layout.setSpacing(2)
        layout.addLayout(header)
        layout.addWidget(self.hint)
        layout.addWidget(self.content if self.content is not None else self.input)
        layout.addWidget(self.error)

        self.input.edited.connect(self._edited)
        # Queued: the input drops its answer while a verdict is being applied; the renderer
        # takes it into account afterwards, with a fresh verdict.
        self.input.dropped.connect(self.edited, Qt.ConnectionType.QueuedConnection)
        self.input.structure_changed.connect(self.structure_changed)
        if ctx.read_only:
            drop_placeholders(self.input)
        self._describe()

    # -- reacting --------------------------------------------------------------------------------

    def _edited(self) -> None:
        self.touched = True
        self.edited.emit()

    def _reveal_toggled(self, revealed: bool) -> None:
        self.set_revealed(revealed)
        if revealed:
            self.input.focus_input()

    def set_revealed(self, revealed: bool) -> None:
        if self.content is None or self.reveal is None:
            return
        self.content.set_revealed(revealed)
        self.reveal.set_revealed_quietly(revealed)

    @property
    def revealed(self) -> bool:
        return self.content is None or self.content.revealed

    def _describe(self) -> None:
        """What a screen reader says about the input: required, hint, identifying, problem."""
        parts: list[str] = []
        if self.required:
            parts.append(_("Required."))
        if self.identifying:
            parts.append(_("Identifying: hidden until revealed."))
        if self.hint.text():
            parts.append(self.hint.text())
        if self._error:
            parts.append(self._error)
        name = self.text + (f" ({self.accessible_suffix})" if self.accessible_suffix else "")
        self.input.set_accessible(name, " ".join(parts))

    def set_scope_title(self, title: str) -> None:
        if title != self.accessible_suffix:
            self.accessible_suffix = title
            self._describe()

    # -- node ------------------------------------------------------------------------------------

    def collect(self, into: dict[str, Any], scope_path: str, unreadable: list[Problem]) -> None:
        raw = self.input.raw_value()
        if raw is None:
            return
        path = self.path_in(scope_path)
        if isinstance(raw, Unreadable):
            unreadable.append(Problem(path, self.field.name, "type", raw.message))
            return
        try:
            value = normalize(self.ctx.form, self.field, raw)
        except AnswerError as exc:
            unreadable.append(Problem(path, self.field.name, exc.rule, exc.message))
            return
        if value is not None:
            into[self.field.name] = value

    def load(self, scope: dict[str, Any]) -> None:
        with self.input.quiet():
            self.input.set_value(scope.get(self.field.name))
        if self.ctx.read_only:
            drop_placeholders(self.input)
        self.touched = False
        if self.content is not None:
            self.set_revealed(False)

    def apply(self, state: RenderState, scope_path: str) -> None:
        super().apply(state, scope_path)
        path = self.path_in(scope_path)
        if path in state.irrelevant:
            self.set_error("")
            return
        form, data = self.ctx.form, state.data
        if self.input.follow(lambda name: answer_in_scope(form, data, scope_path, name)):
            self.set_error("")  # the dropped answer's problems are gone: a new verdict follows
            return
        shown = shown_problems(state.problems.get(path, []), self.touched, state)
        self.set_error("\n".join(problem_text(self.ctx, self.text, p) for p in shown))

    def set_error(self, message: str) -> None:
        if message == self._error:
            return
        self._error = message
        self.error.setText(message)
        self.error.setVisible(bool(message))
        self._describe()

    @property
    def error_text(self) -> str:
        return self._error

    def wipe(self) -> None:
        self.input.wipe()
        self.set_error("")
        self.touched = False
        self.mask_identifying()

    def mask_identifying(self) -> None:
        self.set_revealed(False)

    def focus_chain(self) -> list[QWidget]:
        chain: list[QWidget] = []
        if self.reveal is not None:
            chain.append(self.reveal)
        chain.extend(self.input.focus_widgets())
        return chain

    def focus_input(self) -> bool:
        if self.content is not None and self.content.covered:
            self.set_revealed(True)
        self.input.focus_input()
        return True


def drop_placeholders(widget: QWidget) -> None:
    """No grey example text in the empty boxes of a read-only form: it reads as an answer."""
    for line in widget.findChildren(QLineEdit):
        line.setPlaceholderText("")
    for combo in widget.findChildren(QComboBox):
        combo.setPlaceholderText("")
