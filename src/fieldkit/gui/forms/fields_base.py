"""The base of every answer input: one field's editing widget, without label or messages.

An input gives its answer as the user typed or chose it (:meth:`FieldInput.raw_value`), or an
:class:`~fieldkit.gui.forms.context.Unreadable` when its own text cannot be read yet; the row
around it has the domain normalise the answer. :meth:`set_value` takes a stored answer (from a
draft or a sealed revision) and never counts as an edit.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any, ClassVar

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QWidget

from fieldkit.domain.forms import FieldDef
from fieldkit.gui.forms.context import RenderContext


class FieldInput(QWidget):
    """One field's input. Subclasses build their widgets and implement the value methods."""

    edited = Signal()
    """The user changed the answer (never emitted while loading or clearing)."""
    structure_changed = Signal()
    """Widgets were added or removed (the tab order needs updating)."""
    dropped = Signal()
    """The input let go of its answer by itself, because it no longer fits the others (a
    region when the country changes); not the user's edit of this field."""

    MASKS_ITSELF: ClassVar[bool] = False
    """True when the input hides identifying content itself (password echo, hidden
    thumbnails); otherwise the row covers the whole input while it is masked."""

    REQUIRED: ClassVar[tuple[str, ...]] = ("raw_value", "set_value")
    """What every input defines itself: checked when the class is made, not when it is used."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        missing = [name for name in FieldInput.REQUIRED if name not in vars(cls)]
        if missing:
            raise TypeError(f"{cls.__name__} must define {', '.join(missing)}")

    def __init__(self, ctx: RenderContext, field: FieldDef, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.field = field
        self._quiet_depth = 0

    @contextlib.contextmanager
    def quiet(self) -> Iterator[None]:
        """Changes made inside do not count as the user's edits."""
        self._quiet_depth += 1
        try:
            yield
        finally:
            self._quiet_depth -= 1

    def notify_edited(self, *_args: object) -> None:
        if not self._quiet_depth:
            self.edited.emit()

    # -- defined by every input (see REQUIRED) -------------------------------------------------

    def raw_value(self) -> Any:
        """The answer as entered (None when empty), or an Unreadable."""

    def set_value(self, stored: Any) -> None:
        """Show a stored answer (None clears)."""

    def wipe(self) -> None:
        """Remove every trace of content: values, undo history, previews."""
        with self.quiet():
            self.set_value(None)

    def focus_widgets(self) -> list[QWidget]:
        """The widgets that take keyboard focus, in tab order."""
        return [self]

    def set_revealed(self, revealed: bool) -> None:
        """Show or hide identifying content (only for inputs with MASKS_ITSELF)."""

    def follow(self, answer: Callable[[str], Any]) -> bool:
        """Adjust to the record's other answers after each verdict (``answer(name)`` gives the
        stored answer of another field, as seen from this one); True when this input dropped
        its own answer because of them (it then emits :attr:`dropped`)."""
        return False

    # -- shared ----------------------------------------------------------------------------

    def has_content(self) -> bool:
        return self.raw_value() is not None

    def set_accessible(self, name: str, description: str) -> None:
        for widget in self.focus_widgets():
            widget.setAccessibleName(name)
            widget.setAccessibleDescription(description)
        self.setAccessibleName(name)
        self.setAccessibleDescription(description)

    def focus_input(self) -> None:
        widgets = self.focus_widgets()
        if widgets:
            widgets[0].setFocus()
