"""Repeat groups: numbered entries, at least min_count, at most max_count, Add and Remove by
keyboard, and a question before removing an entry that holds answers."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from fieldkit.domain.forms import FormDefinition
from fieldkit.gui.forms.renderer import FormRenderer
from tests.gui.forms_support.driver import FormDriver
from tests.gui.forms_support.editing import button

FORM = FormDefinition.model_validate(
    {
        "id": "repeat-limits",
        "version": "1",
        "title": {"en": "Repeat limits"},
        "languages": ["en"],
        "fields": [
            {
                "name": "witnesses",
                "type": "repeat",
                "label": {"en": "Witness"},
                "min_count": 2,
                "max_count": 3,
                "fields": [
                    {"name": "code", "type": "text", "label": {"en": "Code"}, "required": True},
                    {
                        "name": "statements",
                        "type": "repeat",
                        "label": {"en": "Statement"},
                        "fields": [{"name": "said", "type": "text", "label": {"en": "Said"}}],
                    },
                ],
            }
        ],
    }
)


def _render(qtbot: Any) -> FormDriver:
    renderer = FormRenderer(FORM, "en", None)
    qtbot.addWidget(renderer)
    renderer.resize(700, 900)
    renderer.show()
    qtbot.waitExposed(renderer)
    return FormDriver(qtbot, renderer)


def test_min_and_max_counts_are_kept(qtbot: Any) -> None:
    d = _render(qtbot)
    view = d.repeat("witnesses")
    assert len(view.instances) == 2  # min_count entries from the start
    assert [i.title() for i in view.instances] == ["Witness 1", "Witness 2"]
    assert not any(i.remove_button.isEnabled() for i in view.instances)
    d.add_entry("witnesses")
    assert len(view.instances) == 3
    assert not view.add_button.isEnabled()  # at max_count
    assert all(i.remove_button.isEnabled() for i in view.instances)
    qtbot.mouseClick(view.instances[0].remove_button, Qt.MouseButton.LeftButton)
    assert len(view.instances) == 2
    assert view.add_button.isEnabled()
    assert [i.title() for i in view.instances] == ["Witness 1", "Witness 2"]
    assert not view.instances[0].remove_button.isEnabled()


def test_loading_fewer_entries_than_the_minimum_adds_empty_ones(qtbot: Any) -> None:
    d = _render(qtbot)
    d.renderer.set_data({"witnesses": [{"code": "W-1"}]})
    view = d.repeat("witnesses")
    assert len(view.instances) == 2
    assert d.line_edit("witnesses[1].code").text() == "W-1"
    assert d.renderer.data() == {"witnesses": [{"code": "W-1"}, {}]}


def test_nested_entries_are_numbered_and_collected(qtbot: Any) -> None:
    d = _render(qtbot)
    d.type("witnesses[1].code", "W-1")
    d.add_entry("witnesses[2].statements")
    d.add_entry("witnesses[2].statements")
    d.type("witnesses[2].statements[2].said", "Saw the trucks")
    assert d.input("witnesses[2].statements[2].said").accessibleName() == (
        "Said (Witness 2 · Statement 2)"
    )
    assert d.renderer.data() == {
        "witnesses": [{"code": "W-1"}, {"statements": [{}, {"said": "Saw the trucks"}]}]
    }


def test_removing_an_entry_with_answers_asks_first(qtbot: Any) -> None:
    d = _render(qtbot)
    d.add_entry("witnesses")
    d.type("witnesses[3].code", "W-3")
    view = d.repeat("witnesses")
    qtbot.mouseClick(view.instances[2].remove_button, Qt.MouseButton.LeftButton)
    box = view.pending_confirmation
    assert box is not None
    assert len(view.instances) == 3
    qtbot.mouseClick(button(box, "Cancel"), Qt.MouseButton.LeftButton)
    assert len(view.instances) == 3
    qtbot.mouseClick(view.instances[2].remove_button, Qt.MouseButton.LeftButton)
    box = view.pending_confirmation
    assert box is not None
    qtbot.mouseClick(button(box, "Yes"), Qt.MouseButton.LeftButton)
    assert len(view.instances) == 2
    assert "W-3" not in str(d.renderer.data())


def test_add_and_remove_work_from_the_keyboard(qtbot: Any) -> None:
    d = _render(qtbot)
    view = d.repeat("witnesses")
    d.renderer.activateWindow()
    qtbot.waitUntil(d.renderer.isActiveWindow)
    d.line_edit("witnesses[2].code").setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is d.line_edit("witnesses[2].code"))
    stops = []
    for _ in range(4):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        stops.append(QApplication.focusWidget())
    assert view.instances[1].remove_button not in stops  # disabled at the minimum: skipped
    assert view.add_button in stops
    view.add_button.setFocus()
    qtbot.keyClick(view.add_button, Qt.Key.Key_Space)
    assert len(view.instances) == 3
    new_code = d.line_edit("witnesses[3].code")
    qtbot.waitUntil(lambda: QApplication.focusWidget() is new_code)  # focus moves into it
    remove = view.instances[2].remove_button
    qtbot.keyClick(new_code, Qt.Key.Key_Tab)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)  # the nested Add button
    assert QApplication.focusWidget() is remove
    qtbot.keyClick(remove, Qt.Key.Key_Space)
    assert len(view.instances) == 2
    assert QApplication.focusWidget() is view.add_button
