"""Identifying answers in the editor: typed as dots, covered when they hold an answer, revealed
per field, and masked again on close and on clear."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit

from fieldkit.services import forms as form_service
from fieldkit.services import records
from fieldkit.vault.store import Vault
from tests.conftest import DATA
from tests.gui.forms_support.editing import WAIT_MS, new_record, open_editor


def _with_consent_form(vault: Vault) -> Vault:
    """The vault with a form whose consent answers are identifying choices and a date."""
    with vault.write() as session:
        form_service.install(
            session, form_service.read_form_file(DATA / "forms" / "identifying-consent.yaml")
        )
    return vault


def test_identifying_text_is_typed_as_dots_and_revealed_per_field(qtbot: Any, vault: Vault) -> None:
    editor, d = new_record(qtbot, vault, "all-types")
    witness = d.row("witness_name")
    line = d.line_edit("witness_name")
    assert line.echoMode() == QLineEdit.EchoMode.Password
    assert d.line_edit("subject").echoMode() == QLineEdit.EchoMode.Normal  # not identifying
    d.type("witness_name", "Witness Alpha")
    assert line.displayText() != "Witness Alpha"
    assert witness.reveal is not None
    assert witness.reveal.accessibleName() == "Reveal Witness name"
    qtbot.mouseClick(witness.reveal, Qt.MouseButton.LeftButton)
    assert line.echoMode() == QLineEdit.EchoMode.Normal
    assert line.displayText() == "Witness Alpha"
    assert witness.reveal.accessibleName() == "Hide Witness name"
    with qtbot.waitSignal(editor.closed, timeout=WAIT_MS):
        qtbot.mouseClick(editor.close_button, Qt.MouseButton.LeftButton)
    assert line.echoMode() == QLineEdit.EchoMode.Password
    draft = records.detail(vault, editor.record_id).draft
    assert draft is not None and draft["witness_name"] == "Witness Alpha"


def test_identifying_choices_are_covered_once_they_hold_an_answer(qtbot: Any, vault: Vault) -> None:
    editor, d = new_record(qtbot, _with_consent_form(vault), "identifying-consent")
    consent = d.row("victims[1].consent_given")
    assert consent.content is not None
    assert not consent.content.covered  # nothing to hide yet: it can be answered at once
    d.choose("victims[1].consent_given", "yes")
    d.type("victims[1].consent_date", "2026-09-20")
    editor.flush()

    again, d2 = open_editor(qtbot, vault, editor.record_id)
    consent = d2.row("victims[1].consent_given")
    date = d2.row("victims[1].consent_date")
    assert consent.content is not None and consent.content.covered
    assert date.content is not None  # a date is typed, so it masks itself, as text does
    assert d2.line_edit("victims[1].consent_date").displayText() == "●" * len("2026-09-20")
    assert consent.content.cover is not None and consent.content.cover.isVisible()
    assert not consent.input.isVisible()
    assert consent.reveal is not None
    qtbot.mouseClick(consent.reveal, Qt.MouseButton.LeftButton)
    assert consent.input.isVisible()
    assert consent.input.raw_value() == "yes"  # a form-local list stores the code alone
    assert d2.line_edit("victims[1].consent_date").displayText() != "2026-09-20"  # one by one
    again.clear()
    assert not consent.content.revealed
    assert consent.input.raw_value() is None


def test_a_masked_choice_takes_one_line_not_the_height_of_its_hidden_list(
    qtbot: Any, vault: Vault
) -> None:
    editor, d = new_record(qtbot, _with_consent_form(vault), "identifying-consent")
    d.choose("victims[1].consent_given", "yes")
    d.tick("victims[1].consent_scope", "record_only")
    editor.flush()

    _again, d2 = open_editor(qtbot, vault, editor.record_id)
    one_line = d2.line_edit("victims[1].victim_pseudonym").sizeHint().height()
    scope = d2.row("victims[1].consent_scope")  # a list of check boxes, masked
    content = scope.content
    assert content is not None and content.covered
    assert scope.input.sizeHint().height() > 3 * one_line  # what is hidden is tall
    assert abs(content.sizeHint().height() - one_line) <= one_line // 2
    assert content.minimumSizeHint().height() <= one_line * 3 // 2
    qtbot.waitUntil(lambda: content.height() <= one_line * 3 // 2, timeout=WAIT_MS)
    consent = d2.row("victims[1].consent_given").content  # radio buttons, masked
    assert consent is not None and consent.covered
    assert abs(consent.sizeHint().height() - one_line) <= one_line // 2

    assert scope.reveal is not None
    qtbot.mouseClick(scope.reveal, Qt.MouseButton.LeftButton)  # revealed: the whole list shows
    assert content.sizeHint().height() == scope.input.sizeHint().height()
    qtbot.waitUntil(lambda: content.height() >= scope.input.sizeHint().height(), timeout=WAIT_MS)
