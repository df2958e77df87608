"""The outline beside the editor: the form's sections with the required answers left in each,
updated as the user answers; a click or Enter goes to a section, Ctrl+Page Down and Ctrl+Page Up
to the next and previous one, and Ctrl+Shift+O puts the focus on the outline."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from fieldkit.gui.forms.editor import RecordEditor
from fieldkit.gui.forms.outline import FormOutline
from fieldkit.vault.store import Vault
from tests.gui.forms_support.driver import FormDriver
from tests.gui.forms_support.editing import WAIT_MS, new_record

SECTIONS = ["Time", "Location", "Victims", "Perpetrators", "Information and sources"]


def _open(qtbot: Any, vault: Vault) -> tuple[RecordEditor, FormDriver, FormOutline]:
    editor, d = new_record(qtbot, vault, "attack-on-activist")
    editor.activateWindow()
    qtbot.waitUntil(editor.isActiveWindow, timeout=WAIT_MS)
    assert editor.outline is not None and editor.outline.isVisible()
    return editor, d, editor.outline


def _texts(outline: FormOutline) -> list[str]:
    return [
        outline.item(row).data(Qt.ItemDataRole.AccessibleTextRole) for row in range(outline.count())
    ]


def _section_of_focus(outline: FormOutline) -> str:
    focused = QApplication.focusWidget()
    for node in outline.sections:
        if focused is not None and node.isAncestorOf(focused):
            return node.ctx.label(node.field)
    return ""


def test_the_outline_lists_the_sections_with_the_required_answers_left(
    qtbot: Any, vault: Vault
) -> None:
    editor, d, outline = _open(qtbot, vault)
    assert outline.accessibleName() == "Sections of the form"
    assert "Ctrl+Shift+O" in outline.accessibleDescription()
    texts = _texts(outline)
    assert [t.split(":")[0] for t in texts][: len(SECTIONS)] == SECTIONS
    time_left = outline.left[0]
    assert time_left == 1 and texts[0] == "Time: 1 required answer left"
    location_left = outline.left[1]
    assert location_left >= 2 and texts[1] == f"Location: {location_left} required answers left"
    d.type("date_start", "2026-03")  # the month alone: the date says its own precision
    assert _texts(outline)[0] == "Time: no required answer left"
    d.choose("country", "MLI")
    assert outline.left[1] == location_left - 1
    assert outline.geometry().right() < editor.renderer.geometry().left()  # type: ignore[union-attr]


def test_clicking_a_section_scrolls_to_it_and_focuses_its_first_answer(
    qtbot: Any, vault: Vault
) -> None:
    _editor, _d, outline = _open(qtbot, vault)
    row = [node.field.name for node in outline.sections].index("information")
    rect = outline.visualItemRect(outline.item(row))
    qtbot.mouseClick(outline.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert _section_of_focus(outline) == "Information and sources"
    focused = QApplication.focusWidget()
    assert focused is not None and not focused.visibleRegion().isEmpty()  # scrolled into view


def test_ctrl_page_down_and_up_go_to_the_next_and_previous_section(
    qtbot: Any, vault: Vault
) -> None:
    _editor, d, outline = _open(qtbot, vault)
    d.line_edit("date_start").setFocus()
    assert _section_of_focus(outline) == "Time"
    qtbot.keyClick(
        QApplication.focusWidget(), Qt.Key.Key_PageDown, Qt.KeyboardModifier.ControlModifier
    )
    assert _section_of_focus(outline) == "Location"
    qtbot.keyClick(
        QApplication.focusWidget(), Qt.Key.Key_PageDown, Qt.KeyboardModifier.ControlModifier
    )
    assert _section_of_focus(outline) == "Victims"
    qtbot.keyClick(
        QApplication.focusWidget(), Qt.Key.Key_PageUp, Qt.KeyboardModifier.ControlModifier
    )
    assert _section_of_focus(outline) == "Location"
    assert outline.currentRow() == 1


def test_ctrl_shift_o_focuses_the_outline_on_the_current_section(qtbot: Any, vault: Vault) -> None:
    _editor, d, outline = _open(qtbot, vault)
    d.line_edit("place_name").setFocus()  # in Location
    qtbot.keyClick(
        QApplication.focusWidget(),
        Qt.Key.Key_O,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    assert QApplication.focusWidget() is outline and outline.currentRow() == 1


def test_arrows_and_enter_in_the_outline_go_to_a_section(qtbot: Any, vault: Vault) -> None:
    editor, _d, outline = _open(qtbot, vault)
    outline.setFocus()
    outline.setCurrentRow(1)
    qtbot.keyClick(outline, Qt.Key.Key_Down)
    qtbot.keyClick(outline, Qt.Key.Key_Return)
    assert _section_of_focus(outline) == "Victims"
    assert editor.isAncestorOf(QApplication.focusWidget())


def test_a_section_that_does_not_apply_is_left_out_of_the_outline(qtbot: Any, vault: Vault) -> None:
    editor, d = new_record(qtbot, vault, "illicit-market-observation")
    outline = editor.outline
    assert outline is not None
    row = [node.field.name for node in outline.sections].index("exploitation")
    assert outline.item(row).isHidden()  # persons_seen is not "yes" yet
    d.choose("persons_seen", "yes")
    assert not outline.item(row).isHidden()
    assert _texts(outline)[row] == "Persons exploited: 1 required answer left"
    assert outline.item(row).text() == "Persons exploited\n1 required answer left"
