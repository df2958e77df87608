"""Keyboard alone, screen readers, and Arabic: tab order follows the form and goes on to the
editor's buttons and out of the editor, Finalize has a shortcut, every input has the field's label
as its accessible name, required fields say so, Arabic forms read right to left."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLineEdit, QVBoxLayout, QWidget

from fieldkit.gui.forms.editor import RecordEditor
from fieldkit.gui.forms.field_row import FieldRow
from fieldkit.gui.forms.fields_choice import SelectOneInput
from fieldkit.gui.forms.problems_dialog import ProblemsDialog
from fieldkit.services import records
from fieldkit.vault.store import Vault
from tests.gui.conftest import ShellFactory
from tests.gui.forms_support.driver import FormDriver
from tests.gui.forms_support.editing import WAIT_MS, new_record
from tests.gui.forms_support.shell import new_record_in_editor, real_shell

MAX_TAB_STOPS = 400


def _tab(qtbot: Any, key: Qt.Key = Qt.Key.Key_Tab) -> QWidget:
    """Press Tab (or Shift+Tab) where the focus is; return where the focus went."""
    widget = QApplication.focusWidget()
    assert widget is not None
    qtbot.keyClick(widget, key)
    focused = QApplication.focusWidget()
    assert focused is not None
    return focused


def test_tab_follows_the_form(qtbot: Any, vault: Vault) -> None:
    editor, d = new_record(qtbot, vault, "all-types")
    editor.activateWindow()
    qtbot.waitUntil(editor.isActiveWindow, timeout=WAIT_MS)
    first = d.line_edit("subject")
    first.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is first, timeout=WAIT_MS)
    names = [first.accessibleName()]
    for _ in range(20):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        widget = QApplication.focusWidget()
        assert widget is not None
        names.append(widget.accessibleName() or widget.property("text"))
    assert names == [
        "Subject",
        "Story",
        "Count",
        "Weight",
        "Day",
        "Day: precision",
        "Day: pick from a calendar",
        "Seen at",
        "Seen at: now",
        "Red",  # radio buttons are one stop: the arrow keys move between them
        "Yes",
        "No",
        "Place",
        "Position",
        "Position: precision in metres",
        "Reveal Files",
        "Add files to Files",
        "Reveal Witness name",
        "Witness name",
        "Age (Person 1)",
        "Add an entry to Person",
    ]


def test_tab_runs_through_a_whole_shipped_form_to_finalize_in_the_main_window(
    qtbot: Any, make_shell: ShellFactory, vault_folder: Path
) -> None:
    shell = real_shell(qtbot, make_shell, vault_folder)
    editor = new_record_in_editor(qtbot, shell, "Attack on an activist")
    shell.window.activateWindow()
    qtbot.waitUntil(shell.window.isActiveWindow, timeout=WAIT_MS)
    renderer = editor.renderer
    assert renderer is not None
    d = FormDriver(qtbot, renderer)
    d.add_entry("victims")  # new widgets: the buttons must stay linked after the last field
    d.choose("victims[2].consent_given", "yes")  # relevance shows the consent fields
    assert d.shown("victims[2].consent_scope")
    first = d.line_edit("date_start")
    first.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is first, timeout=WAIT_MS)

    stops: list[QWidget] = [first]
    while stops[-1] is not editor.finalize_button and len(stops) < MAX_TAB_STOPS:
        stops.append(_tab(qtbot))
    buttons = [editor.discard_button, editor.close_button, editor.finalize_button]
    assert stops[-3:] == buttons, "Tab never reached the editor's buttons"
    fields = stops[:-3]
    assert all(renderer.isAncestorOf(widget) for widget in fields)
    assert len(set(fields)) == len(fields), "Tab went round inside the form"
    shown = [w for w in renderer.focus_chain() if w.isVisibleTo(renderer)]
    assert fields[-1] is shown[-1]  # the form's last widget, then the buttons
    assert d.line_edit("victims[2].victim_pseudonym") in fields
    assert d.input("victims[2].consent_scope").focus_widgets()[0] in fields
    assert d.line_edit("victims[2].consent_date") in fields

    # Nothing else in the window takes the focus while the editor shows: Tab comes round to the
    # first field (and not into the middle of the form), and Shift+Tab goes back to Finalize.
    assert _tab(qtbot) is first
    assert _tab(qtbot, Qt.Key.Key_Backtab) is editor.finalize_button
    assert _tab(qtbot, Qt.Key.Key_Backtab) is editor.close_button


def test_tab_from_finalize_leaves_the_editor_for_the_rest_of_the_window(
    qtbot: Any, vault: Vault
) -> None:
    host = QWidget()
    qtbot.addWidget(host)
    editor = RecordEditor(vault, records.create(vault, "all-types", {}), "en", host)
    below = QLineEdit(host)
    layout = QVBoxLayout(host)
    layout.addWidget(editor)
    layout.addWidget(below)
    host.resize(1000, 800)
    host.show()
    qtbot.waitExposed(host)
    host.activateWindow()
    qtbot.waitUntil(host.isActiveWindow, timeout=WAIT_MS)
    editor.finalize_button.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is editor.finalize_button, timeout=WAIT_MS)
    assert _tab(qtbot) is below


def test_ctrl_return_asks_to_finalize_and_the_button_says_so(qtbot: Any, vault: Vault) -> None:
    editor, d = new_record(qtbot, vault, "all-types")
    button = editor.finalize_button
    assert "Ctrl+Return" in button.toolTip()
    assert "Ctrl+Return" in button.accessibleDescription()
    editor.activateWindow()
    qtbot.waitUntil(editor.isActiveWindow, timeout=WAIT_MS)
    d.type("story", "Drivers paid at the bridge.")
    line = d.line_edit("count")
    line.setFocus()
    qtbot.keyClick(line, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert isinstance(editor.pending_dialog, ProblemsDialog)  # the subject is still missing


def test_arrow_keys_choose_among_radio_buttons(qtbot: Any, vault: Vault) -> None:
    editor, d = new_record(qtbot, vault, "all-types")
    editor.activateWindow()
    qtbot.waitUntil(editor.isActiveWindow, timeout=WAIT_MS)
    colour = d.input("colour")
    assert isinstance(colour, SelectOneInput)
    red, _green, other = colour.radios
    red.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is red, timeout=WAIT_MS)
    qtbot.keyClick(red, Qt.Key.Key_Space)
    assert colour.raw_value() == "red"
    qtbot.keyClick(red, Qt.Key.Key_Down)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Down)
    assert QApplication.focusWidget() is other
    assert colour.raw_value() == "other"
    assert d.shown("colour_other")


@pytest.mark.parametrize("form_id", ["attack-on-activist", "illicit-market-observation"])
def test_every_input_is_named_for_screen_readers(qtbot: Any, vault: Vault, form_id: str) -> None:
    _editor, d = new_record(qtbot, vault, form_id)
    renderer = d.renderer
    chain = [w for node in renderer.nodes for w in node.focus_chain()]
    assert len(chain) > 60
    assert all(widget.accessibleName() for widget in chain)
    rows = renderer.findChildren(FieldRow)
    for row in rows:
        description = row.input.focus_widgets()[0].accessibleDescription()
        if row.field.required is True:
            assert row.label.text().endswith(" *")
            assert "Required." in description, row.field.name
        else:
            assert "Required." not in description, row.field.name


def test_an_arabic_form_reads_right_to_left(qtbot: Any, vault: Vault) -> None:
    editor, d = new_record(qtbot, vault, "attack-on-activist", language="ar")
    assert editor.title.text() == "اعتداء على ناشط"
    assert d.renderer.layoutDirection() == Qt.LayoutDirection.RightToLeft
    assert d.row("country").label.text() == "البلد *"
    assert d.row("admin1").label.text() == "المنطقة أو الولاية (المستوى الإداري الأول) *"
    assert d.repeat("victims").instances[0].title() == "الضحايا 1"
    d.choose("country", "MLI")  # typed in Arabic: "مالي", then Enter
    assert d.label_of("country", "MLI") == "مالي"
    d.choose("admin1", "ML-1")  # Kayes, a region of Mali
    assert d.label_of("admin1", "ML-1") == "Kayes"  # ISO has no Arabic name for it
    d.choose("victims[1].consent_given", "yes")  # radio buttons with Arabic labels
    assert d.shown("victims[1].consent_scope")
    d.type("date_start", "2026-09-14")
    d.type("date_end", "2026-09-01")
    d.move_to("admin2")
    assert d.error("date_end") == (
        "هذا اليوم الأخير يسبق اليوم الأول أو يقع في المستقبل: "
        "اكتب يوماً بين اليوم الأول واليوم الحالي."
    )
    editor.flush()
    draft = records.detail(vault, editor.record_id).draft
    assert draft is not None
    assert draft["admin1"].rsplit(":", 1)[1] == "ML-1"
    assert draft["country"] == "iso3166-alpha3:2023:MLI"


def test_texts_missing_in_the_language_fall_back_to_the_form_languages(
    qtbot: Any, vault: Vault
) -> None:
    _editor, d = new_record(qtbot, vault, "all-types", language="ar")
    assert d.row("subject").label.text() == "Subject *"  # the form has English and French
    assert d.renderer.layoutDirection() == Qt.LayoutDirection.RightToLeft
