"""The form keeps its geometry as it is answered: "Clear choice" and a one-line message take space
reserved for them, so nothing below moves; "Go to field" brings the field to the middle of the
view, options and all."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from typing import Any

from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication, QWidget

from fieldkit.gui.forms.problems_dialog import ProblemsDialog
from fieldkit.vault.store import Vault
from tests.gui.forms_support.driver import FormDriver
from tests.gui.forms_support.editing import WAIT_MS, new_record


def _top(d: FormDriver, path: str) -> int:
    body = d.renderer.widget()
    d.renderer.widget().layout().activate()
    QApplication.processEvents()
    row: QWidget = d.row(path)
    return row.mapTo(body, QPoint(0, 0)).y()


def test_a_choice_and_its_clear_button_do_not_move_what_follows(qtbot: Any, vault: Vault) -> None:
    _editor, d = new_record(qtbot, vault, "attack-on-activist")
    below = _top(d, "location_type")
    d.choose("geo_precision", "2")
    clear = d.input("geo_precision").clear_button
    assert clear is not None and clear.isVisible()
    assert _top(d, "location_type") == below


def test_a_one_line_message_does_not_move_what_follows(qtbot: Any, vault: Vault) -> None:
    _editor, d = new_record(qtbot, vault, "attack-on-activist")
    below = _top(d, "victims[1].consent_given")
    d.retype("victims[1].victim_pseudonym", "")
    row = d.row("victims[1].victim_pseudonym")
    assert row.error.isVisible()
    assert row.error.text() == "Victim pseudonym: is required"
    assert _top(d, "victims[1].consent_given") == below


def test_go_to_field_brings_the_field_to_the_middle_of_the_view(qtbot: Any, vault: Vault) -> None:
    editor, d = new_record(qtbot, vault, "attack-on-activist")
    editor.resize(900, 600)
    d.choose("victims[1].consent_given", "yes")  # consent_by, further down, is now required
    qtbot.mouseClick(editor.finalize_button, Qt.MouseButton.LeftButton)
    dialog = editor.pending_dialog
    assert isinstance(dialog, ProblemsDialog)
    paths = [
        str(dialog.list.item(i).data(Qt.ItemDataRole.UserRole)) for i in range(dialog.list.count())
    ]
    target = "victims[1].consent_by"
    editor.activateWindow()
    dialog.list.setCurrentRow(paths.index(target))
    qtbot.mouseClick(dialog.go_button, Qt.MouseButton.LeftButton)
    row = d.row(target)
    qtbot.waitUntil(lambda: row.isAncestorOf(QApplication.focusWidget()), timeout=WAIT_MS)
    viewport = d.renderer.viewport()
    top = row.mapTo(viewport, QPoint(0, 0)).y()
    bottom = top + row.height()
    assert top >= 0 and bottom <= viewport.height()  # whole, options included
    middle = (top + bottom) // 2
    assert abs(middle - viewport.height() // 2) <= viewport.height() // 10
