"""Defaults fill every repeat entry in the editor: the entries there when a new record opens (the
repeat's minimum) and each entry added, each with its own fresh value."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import re
from typing import Any

from fieldkit.services import records
from fieldkit.vault.store import Vault
from tests.gui.forms_support.editing import new_record, open_editor

CODE = re.compile(r"^VIC-[0-9A-Z]{4,}$")


def test_the_first_victim_of_a_new_record_gets_its_pseudonym(qtbot: Any, vault: Vault) -> None:
    editor, d = new_record(qtbot, vault, "attack-on-activist")
    first = d.line_edit("victims[1].victim_pseudonym")
    assert first.isVisible()
    assert CODE.match(first.text()), first.text()
    assert d.error("victims[1].victim_pseudonym") == ""

    d.add_entry("victims")
    second = d.line_edit("victims[2].victim_pseudonym")
    assert CODE.match(second.text()), second.text()
    assert second.text() != first.text()  # a fresh code for each victim
    editor.flush()
    data = editor.renderer.data() if editor.renderer is not None else {}
    assert [v["victim_pseudonym"] for v in data["victims"]] == [first.text(), second.text()]


def test_the_pseudonym_of_the_first_victim_stays_when_the_record_is_reopened(
    qtbot: Any, vault: Vault
) -> None:
    editor, d = new_record(qtbot, vault, "attack-on-activist")
    shown = d.line_edit("victims[1].victim_pseudonym").text()
    editor.request_close()  # nothing typed: the entry the form added is saved all the same
    draft = records.detail(vault, editor.record_id).draft
    assert draft is not None and draft["victims"][0]["victim_pseudonym"] == shown
    _again, d2 = open_editor(qtbot, vault, editor.record_id)
    assert d2.line_edit("victims[1].victim_pseudonym").text() == shown
