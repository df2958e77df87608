"""Drive a rendered form as a user does: type into line edits, pick choices, tick boxes, add
repeat entries. Every helper first checks that the widget it uses is on screen (so a field hidden
by relevance cannot be filled by mistake)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent, QPoint, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QAbstractButton, QApplication, QLineEdit, QWidget

from fieldkit.domain.forms import FieldType
from fieldkit.gui.forms.field_row import FieldRow
from fieldkit.gui.forms.fields_base import FieldInput
from fieldkit.gui.forms.fields_choice import SelectOneInput
from fieldkit.gui.forms.fields_date import DateInput
from fieldkit.gui.forms.fields_datetime import DateTimeInput
from fieldkit.gui.forms.fields_geo import GeopointInput
from fieldkit.gui.forms.fields_multi import SelectMultipleInput
from fieldkit.gui.forms.fields_number import NumberInput
from fieldkit.gui.forms.fields_subdivision import SubdivisionInput
from fieldkit.gui.forms.fields_text import LongTextInput, TextInput
from fieldkit.gui.forms.renderer import FormRenderer
from fieldkit.gui.forms.repeat import RepeatView


def type_chars(qtbot: Any, widget: QWidget, text: str) -> None:
    """Type ``text`` key by key. QTest types ASCII only; other characters (é, Arabic) are sent
    as key events that carry their text, as an input method does."""
    for char in text:
        if char.isascii():
            qtbot.keyClicks(widget, char)
            continue
        for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            event = QKeyEvent(kind, 0, Qt.KeyboardModifier.NoModifier, char)
            QApplication.sendEvent(widget, event)


class FormDriver:
    def __init__(self, qtbot: Any, renderer: FormRenderer) -> None:
        self.qtbot = qtbot
        self.renderer = renderer
        self.form = renderer.form

    # -- finding ---------------------------------------------------------------------------------

    def row(self, path: str) -> FieldRow:
        row = self.renderer.row_at(path)
        assert row is not None, f"no field row at {path}"
        return row

    def input(self, path: str) -> FieldInput:
        return self.row(path).input

    def repeat(self, path: str) -> RepeatView:
        node = self.renderer.node_at(path)
        assert isinstance(node, RepeatView), f"no repeat group at {path}"
        return node

    def shown(self, path: str) -> bool:
        node = self.renderer.node_at(path)
        return node is not None and node.isVisible()

    def error(self, path: str) -> str:
        node = self.renderer.node_at(path)
        assert node is not None, path
        text = getattr(node, "error_text", "")
        return str(text)

    def line_edit(self, path: str) -> QLineEdit:
        field_input = self.input(path)
        assert isinstance(
            field_input, TextInput | NumberInput | DateInput | DateTimeInput | GeopointInput
        ), path
        return field_input.line

    def _visible(self, widget: QWidget, path: str) -> None:
        assert widget.isVisible(), f"{path} is not on screen"

    def click_box(self, button: QAbstractButton, path: str) -> None:
        """Click a check box or radio button on its indicator (its clickable part)."""
        self._visible(button, path)
        rect = button.rect()
        rtl = button.layoutDirection() == Qt.LayoutDirection.RightToLeft
        x = rect.right() - 8 if rtl else rect.left() + 8
        self.qtbot.mouseClick(button, Qt.MouseButton.LeftButton, pos=QPoint(x, rect.center().y()))

    # -- typing ----------------------------------------------------------------------------------

    def type(self, path: str, text: str) -> None:
        """Type ``text`` at the end of the field's text."""
        field_input = self.input(path)
        target: QWidget
        if isinstance(field_input, LongTextInput):
            target = field_input.edit
        else:
            target = self.line_edit(path)
        self._visible(target, path)
        target.setFocus()
        type_chars(self.qtbot, target, text)

    def choose_date_precision(self, path: str, precision: str) -> None:
        """Choose how much of a date is known (day, month or year) in the box beside it."""
        field_input = self.input(path)
        combo = field_input.precision  # type: ignore[attr-defined]
        self._visible(combo, path)
        index = combo.findData(precision)
        assert index >= 0, f"{path} does not take a date to the {precision}"
        combo.setCurrentIndex(index)

    def retype(self, path: str, text: str) -> None:
        """Select all of the field's text and type ``text`` over it."""
        field_input = self.input(path)
        target: QWidget = (
            field_input.edit if isinstance(field_input, LongTextInput) else self.line_edit(path)
        )
        self._visible(target, path)
        target.setFocus()
        self.qtbot.keyClick(target, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
        self.qtbot.keyClick(target, Qt.Key.Key_Delete)
        if text:
            type_chars(self.qtbot, target, text)

    def move_to(self, path: str) -> None:
        """Put the focus in another field (a line edit), as the user moves on: leaving a section
        shows its problems that involve other fields."""
        window = self.renderer.window()
        window.activateWindow()
        self.qtbot.waitUntil(window.isActiveWindow)
        target = self.line_edit(path)
        self._visible(target, path)
        target.setFocus()
        self.qtbot.waitUntil(target.hasFocus)

    # -- choosing --------------------------------------------------------------------------------

    def stored(self, path: str, code: str) -> str:
        field = self.row(path).field
        choice_list = self.form.choice_list_for(field)
        choice = choice_list.find(code)
        assert choice is not None, f"{code} is not a choice of {path}"
        return choice_list.stored_code(choice.code)

    def label_of(self, path: str, code: str) -> str:
        field_input = self.input(path)
        if isinstance(field_input, SubdivisionInput):
            short = self.stored(path, code).rsplit(":", 1)[-1]
            return next(r.local_name for r in field_input.regions if r.code == short)
        assert isinstance(field_input, SelectOneInput | SelectMultipleInput), path
        return dict(field_input.choices)[self.stored(path, code)]

    def choose(self, path: str, code: str) -> None:
        """Pick one choice: click its radio button, or search a long list by typing its label,
        or pick it in the combo box."""
        field_input = self.input(path)
        if isinstance(field_input, SubdivisionInput):
            self.choose_region(path, self.label_of(path, code))
            assert field_input.raw_value() == self.stored(path, code), f"{path}: {code}"
            return
        assert isinstance(field_input, SelectOneInput), path
        stored = self.stored(path, code)
        if field_input.radios:
            index = [c for c, _label in field_input.choices].index(stored)
            self.click_box(field_input.radios[index], path)
        else:
            combo = field_input.combo
            assert combo is not None
            self._visible(combo, path)
            line = combo.lineEdit()
            if line is not None:  # a long list: type to search, then Enter
                combo.setFocus()
                self.qtbot.keyClick(line, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
                type_chars(self.qtbot, line, self.label_of(path, code))
                self.qtbot.keyClick(line, Qt.Key.Key_Return)
                # The keys went to the line edit, not to the completer's popup, which a real
                # Return would have closed: close it as the user's Return does.
                completer = line.completer()
                if completer is not None and completer.popup().isVisible():
                    completer.popup().hide()
            else:
                combo.setCurrentIndex(combo.findData(stored))
        assert field_input.raw_value() == stored, f"{path}: {code} was not chosen"

    def choose_region(self, path: str, text: str) -> None:
        """Type ``text`` in a region list (a subdivision field) and press Enter."""
        field_input = self.input(path)
        assert isinstance(field_input, SubdivisionInput) and field_input.combo is not None
        combo = field_input.combo
        self._visible(combo, path)
        line = combo.lineEdit()
        assert line is not None
        combo.setFocus()
        self.qtbot.keyClick(line, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
        type_chars(self.qtbot, line, text)
        self.qtbot.keyClick(line, Qt.Key.Key_Return)
        completer = line.completer()
        if completer is not None and completer.popup().isVisible():
            completer.popup().hide()

    def tick(self, path: str, code: str) -> None:
        """Tick (or untick) one choice: click its check box, or filter the long list by its label
        and press Space on it."""
        field_input = self.input(path)
        assert isinstance(field_input, SelectMultipleInput), path
        stored = self.stored(path, code)
        box = field_input.box_for(stored)
        if box is not None:
            self.click_box(box, path)
            return
        assert field_input.filter is not None and field_input.list is not None
        self._visible(field_input.list, path)
        field_input.filter.setFocus()
        self.qtbot.keyClick(field_input.filter, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
        type_chars(self.qtbot, field_input.filter, self.label_of(path, code))
        item = field_input.item_for(stored)
        assert item is not None and not item.isHidden()
        field_input.list.setFocus()
        field_input.list.setCurrentItem(item)
        self.qtbot.keyClick(field_input.list, Qt.Key.Key_Space)

    # -- repeats ---------------------------------------------------------------------------------

    def add_entry(self, path: str) -> None:
        view = self.repeat(path)
        self._visible(view.add_button, path)
        assert view.add_button.isEnabled(), f"Add is disabled in {path}"
        self.qtbot.mouseClick(view.add_button, Qt.MouseButton.LeftButton)

    # -- whole answers ---------------------------------------------------------------------------

    def fill(self, answers: dict[str, Any], scope_path: str = "") -> None:
        """Enter ``answers`` (short codes, as a person would think of them) field by field."""
        for name, value in answers.items():
            path = f"{scope_path}.{name}" if scope_path else name
            field = self.form.field(name)
            if field.type is FieldType.REPEAT:
                view = self.repeat(path)
                while len(view.instances) < len(value):
                    self.add_entry(path)
                for number, item in enumerate(value, start=1):
                    self.fill(item, f"{path}[{number}]")
            elif field.type is FieldType.SELECT_ONE:
                self.choose(path, value)
            elif field.type is FieldType.SELECT_MULTIPLE:
                for code in value:
                    self.tick(path, code)
            elif field.type is FieldType.ATTACHMENT:
                raise AssertionError("attach files with the attachment helpers")
            elif field.type is FieldType.DATE and len(str(value)) in (4, 7):
                self.choose_date_precision(path, "year" if len(str(value)) == 4 else "month")
                self.retype(path, str(value))
            else:
                self.retype(path, str(value))  # over a default the form filled in
