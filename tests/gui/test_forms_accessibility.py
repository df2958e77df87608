"""Keyboard alone, screen readers, and Arabic: tab order follows the form, every input has the
field's label as its accessible name, required fields say so, Arabic forms read right to left."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from fieldkit.gui.forms.field_row import FieldRow
from fieldkit.gui.forms.fields_choice import SelectOneInput
from fieldkit.services import records
from fieldkit.vault.store import Vault
from tests.gui.forms_support.editing import WAIT_MS, new_record


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
    assert d.line_edit("admin1").accessibleName() == "المنطقة أو الولاية (المستوى الإداري الأول)"
    assert d.repeat("victims").instances[0].title() == "الضحايا 1"
    d.choose("country", "MLI")  # typed in Arabic: "مالي", then Enter
    assert d.label_of("country", "MLI") == "مالي"
    d.type("admin1", "كايس")
    d.choose("victims[1].consent_given", "yes")  # radio buttons with Arabic labels
    assert d.shown("victims[1].consent_scope")
    d.type("date_start", "2026-09-14")
    d.type("date_end", "2026-09-01")
    assert (
        d.error("date_end") == "لا يمكن أن يسبق اليوم الأخير اليوم الأول، ولا أن يكون في المستقبل."
    )
    editor.flush()
    draft = records.detail(vault, editor.record_id).draft
    assert draft is not None
    assert draft["admin1"] == "كايس"
    assert draft["country"] == "iso3166-alpha3:2023:MLI"


def test_texts_missing_in_the_language_fall_back_to_the_form_languages(
    qtbot: Any, vault: Vault
) -> None:
    _editor, d = new_record(qtbot, vault, "all-types", language="ar")
    assert d.row("subject").label.text() == "Subject *"  # the form has English and French
    assert d.renderer.layoutDirection() == Qt.LayoutDirection.RightToLeft
