"""The record editor: autosave, flush, unreadable typing, problems before sealing, clear on lock,
discarding, closing, and amendments."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import gc
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QCalendarWidget, QLineEdit, QMessageBox

from fieldkit.domain import validation
from fieldkit.gui.forms.editor import RecordEditor
from fieldkit.gui.forms.problems_dialog import ProblemsDialog
from fieldkit.services import records
from fieldkit.vault.store import Vault
from tests.conftest import all_types_answers
from tests.gui.forms_support.editing import WAIT_MS, button, new_record, open_editor, seal


def _draft(vault: Vault, record_id: str) -> dict[str, Any]:
    draft = records.detail(vault, record_id).draft
    assert draft is not None
    return draft


def test_typing_is_saved_after_a_pause(qtbot: Any, vault: Vault) -> None:
    editor, d = new_record(qtbot, vault, "all-types")
    d.type("subject", "Levy at the bridge")
    assert _draft(vault, editor.record_id).get("subject") is None  # not yet: debounced
    qtbot.waitUntil(
        lambda: _draft(vault, editor.record_id).get("subject") == "Levy at the bridge",
        timeout=WAIT_MS,
    )
    assert editor.status.text() == "All changes saved."
    assert not editor.has_unsaved_changes()


def test_flush_saves_at_once(qtbot: Any, vault: Vault) -> None:
    editor, d = new_record(qtbot, vault, "all-types")
    d.type("story", "Drivers paid")
    d.type("people[1].age", "41")
    assert editor.has_unsaved_changes()
    editor.flush()
    draft = _draft(vault, editor.record_id)
    assert draft["story"] == "Drivers paid"
    assert draft["people"] == [{"age": 41}]
    assert not editor.has_unsaved_changes()


def test_unreadable_typing_stays_in_the_widget_and_out_of_the_draft(
    qtbot: Any, vault: Vault
) -> None:
    editor, d = new_record(qtbot, vault, "all-types")
    d.type("subject", "Levy")
    d.type("count", "12a")
    assert d.line_edit("count").text() == "12"  # letters never enter a number field
    d.retype("count", "-")
    assert d.error("count") == "Count: expects a whole number"
    editor.flush()
    draft = _draft(vault, editor.record_id)
    assert draft["subject"] == "Levy"
    assert "count" not in draft
    assert d.line_edit("count").text() == "-"
    assert "cannot be read yet" in editor.status.text()
    d.type("count", "5")  # "-5" can be read; it breaks the form's constraint
    assert d.error("count") == "Must not be negative."
    editor.flush()
    assert _draft(vault, editor.record_id)["count"] == -5
    d.retype("count", "5")
    assert d.error("count") == ""


def test_unreadable_typing_in_a_field_hidden_by_relevance_is_no_problem(
    qtbot: Any, vault: Vault
) -> None:
    _editor, d = new_record(qtbot, vault, "illicit-market-observation")
    d.choose("persons_seen", "yes")
    d.type("persons_exploited", "-")
    assert "persons_exploited" in {p.path for p in d.renderer.problems()}
    d.choose("persons_seen", "no")
    assert not d.shown("persons_exploited")
    assert "persons_exploited" not in {p.path for p in d.renderer.problems()}
    assert d.line_edit("persons_exploited").text() == "-"  # kept, hidden
    d.choose("persons_seen", "yes")
    assert d.error("persons_exploited") == "Number of persons exploited: expects a whole number"


def test_required_messages_wait_until_the_field_was_touched(qtbot: Any, vault: Vault) -> None:
    _editor, d = new_record(qtbot, vault, "all-types")
    assert d.error("subject") == ""
    assert d.error("people[1].age") == ""
    d.type("subject", "x")
    assert d.error("subject") == ""
    d.retype("subject", "")
    assert d.error("subject") == "Subject: is required"
    assert "Subject: is required" in d.input("subject").focus_widgets()[0].accessibleDescription()
    assert d.error("people[1].age") == ""  # still untouched


def test_the_problem_summary_lists_every_problem_and_goes_to_its_field(
    qtbot: Any, vault: Vault
) -> None:
    editor, d = new_record(qtbot, vault, "all-types")
    d.add_entry("people")
    d.type("people[2].age", "200")
    d.type("count", "-")
    d.choose("colour", "other")
    qtbot.mouseClick(editor.finalize_button, Qt.MouseButton.LeftButton)
    dialog = editor.pending_dialog
    assert isinstance(dialog, ProblemsDialog)
    assert dialog.isVisible()
    expected_paths = {p.path for p in validation.check(d.form, d.renderer.data()).problems} | {
        "count"
    }
    shown_paths = {
        str(dialog.list.item(row).data(Qt.ItemDataRole.UserRole))
        for row in range(dialog.list.count())
    }
    assert shown_paths == expected_paths
    assert dialog.lines() == [
        "Subject: is required",
        "Count: expects a whole number",
        "Other colour: is required",
        "Age (Person 1): is required",
        "Age (Person 2): Too old.",
    ]
    # Every problem is now shown beside its field too, touched or not.
    assert d.error("subject") == "Subject: is required"
    assert d.error("people[1].age") == "Age: is required"
    # Choosing a problem closes the summary and puts the focus on its field.
    editor.activateWindow()
    dialog.list.setCurrentRow(3)
    qtbot.mouseClick(dialog.go_button, Qt.MouseButton.LeftButton)
    assert not dialog.isVisible()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is d.line_edit("people[1].age"))
    assert records.detail(vault, editor.record_id).item.revision_count == 0  # refused


def test_finalize_asks_before_sealing_and_cancel_keeps_the_draft(qtbot: Any, vault: Vault) -> None:
    record_id = records.create(vault, "all-types", all_types_answers())
    editor, _d = open_editor(qtbot, vault, record_id)
    qtbot.mouseClick(editor.finalize_button, Qt.MouseButton.LeftButton)
    box = editor.pending_dialog
    assert isinstance(box, QMessageBox)
    assert "A sealed revision can never be changed" in box.text()
    qtbot.mouseClick(button(box, "Cancel"), Qt.MouseButton.LeftButton)
    detail = records.detail(vault, record_id)
    assert detail.revisions == []
    assert detail.draft is not None
    seal(qtbot, editor)
    assert [r.number for r in records.detail(vault, record_id).revisions] == [1]


def test_clear_wipes_every_widget_and_never_saves_again(qtbot: Any, vault: Vault) -> None:
    record_id = records.create(vault, "all-types", all_types_answers())
    editor, d = open_editor(qtbot, vault, record_id)
    d.type("subject", " and more")
    d.type("count", "-")
    editor.flush()
    saved = _draft(vault, record_id)
    witness = d.row("witness_name")
    people = d.repeat("people")
    assert witness.reveal is not None
    qtbot.mouseClick(witness.reveal, Qt.MouseButton.LeftButton)
    assert d.line_edit("witness_name").echoMode() == QLineEdit.EchoMode.Normal
    editor.clear()
    renderer = editor.renderer
    assert renderer is not None
    calendars = renderer.findChildren(QCalendarWidget)
    for line in renderer.findChildren(QLineEdit):
        if not any(calendar.isAncestorOf(line) for calendar in calendars):
            assert line.text() == "", line.accessibleName()
    assert people.instances == []
    assert witness.input.focus_widgets()[0].echoMode() == QLineEdit.EchoMode.Password
    assert all(not row.error.isVisible() for row in renderer.findChildren(type(witness)))
    assert renderer.data() == {}
    assert not editor.has_unsaved_changes()
    editor.flush()
    assert _draft(vault, record_id) == saved


def test_discard_asks_then_deletes_a_new_record(qtbot: Any, vault: Vault) -> None:
    editor, d = new_record(qtbot, vault, "all-types")
    d.type("subject", "Mistake")
    qtbot.mouseClick(editor.discard_button, Qt.MouseButton.LeftButton)
    box = editor.pending_dialog
    assert isinstance(box, QMessageBox)
    with qtbot.waitSignal(editor.discarded, timeout=WAIT_MS) as blocker:
        qtbot.mouseClick(button(box, "Discard"), Qt.MouseButton.LeftButton)
    assert blocker.args == [editor.record_id]
    assert records.count(vault, records.RecordFilter()) == 0


def test_close_saves_first(qtbot: Any, vault: Vault) -> None:
    editor, d = new_record(qtbot, vault, "all-types")
    d.type("subject", "Typed just before closing")
    with qtbot.waitSignal(editor.closed, timeout=WAIT_MS):
        qtbot.mouseClick(editor.close_button, Qt.MouseButton.LeftButton)
    assert _draft(vault, editor.record_id)["subject"] == "Typed just before closing"


def test_closing_the_window_saves(qtbot: Any, vault: Vault) -> None:
    editor, d = new_record(qtbot, vault, "all-types")
    d.type("subject", "Window closed")
    editor.close()
    assert _draft(vault, editor.record_id)["subject"] == "Window closed"


def test_the_shell_may_delete_the_editor_right_after_sealing(qtbot: Any, vault: Vault) -> None:
    record_id = records.create(vault, "all-types", all_types_answers())
    editor = RecordEditor(vault, record_id, "en")
    editor.show()
    seal(qtbot, editor)
    del editor
    gc.collect()
    qtbot.wait(1)  # let Qt process what the dialogs left behind
    assert records.detail(vault, record_id).item.revision_count == 1


def test_an_amendment_becomes_revision_two(qtbot: Any, vault: Vault) -> None:
    record_id = records.create(vault, "all-types", all_types_answers(), final=True)
    editor, d = open_editor(qtbot, vault, record_id)
    assert editor.kind.text() == "Amendment: will be sealed as revision 2"
    assert d.line_edit("subject").text() == "Checkpoint levy on fuel trucks"
    d.retype("subject", "Checkpoint levy on fuel and cattle trucks")
    seal(qtbot, editor)
    detail = records.detail(vault, record_id)
    assert [r.number for r in detail.revisions] == [1, 2]
    assert detail.sealed is not None
    assert detail.sealed["subject"] == "Checkpoint levy on fuel and cattle trucks"
    assert detail.sealed["people"] == [{"age": 34}, {"age": 15, "minor_guardian": "Uncle"}]
    assert detail.revisions[1].previous == detail.revisions[0].sha256


def test_the_editor_sets_no_window_title(qtbot: Any, vault: Vault) -> None:
    record_id = records.create(vault, "all-types", all_types_answers())
    editor, _d = open_editor(qtbot, vault, record_id)
    assert editor.windowTitle() == ""
    assert "Checkpoint" not in editor.title.text()
