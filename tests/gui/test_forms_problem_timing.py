"""When problems show: one with the answer alone as soon as it is there; one that involves other
fields (a constraint that uses them) only once the user has left the sections of all the fields
involved, or asked to finalize."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from typing import Any

from PySide6.QtCore import Qt

from fieldkit.vault.store import Vault
from tests.gui.forms_support.driver import FormDriver
from tests.gui.forms_support.editing import new_record

NOT_INDEPENDENT = "need at least two sources marked independent of the others"


def _focus(qtbot: Any, d: FormDriver, path: str) -> None:
    """Click into a field, as the user moves on."""
    line = d.line_edit(path)
    qtbot.mouseClick(line, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(line.hasFocus)


def test_a_problem_with_other_fields_waits_until_their_sections_are_left(
    qtbot: Any, vault: Vault
) -> None:
    editor, d = new_record(qtbot, vault, "attack-on-activist")
    editor.activateWindow()
    qtbot.waitUntil(editor.isActiveWindow)
    d.choose("verification_status", "verified")  # no source is marked independent yet
    assert d.error("verification_status") == ""
    assert not d.row("verification_status").error.isVisible()
    _focus(qtbot, d, "information[1].source_pseudonym")  # back to the sources, to answer it there
    assert d.error("verification_status") == ""
    d.choose("information[1].source_independent", "yes")
    assert d.error("verification_status") == ""  # still in the source's entry
    _focus(qtbot, d, "linked_observations")  # the source's entry is left: now it shows
    assert NOT_INDEPENDENT in d.error("verification_status")
    assert d.row("verification_status").error.isVisible()


def test_finalize_shows_a_problem_with_other_fields_at_once(qtbot: Any, vault: Vault) -> None:
    editor, d = new_record(qtbot, vault, "attack-on-activist")
    d.choose("verification_status", "corroborated")
    assert not d.row("verification_status").error.isVisible()
    qtbot.mouseClick(editor.finalize_button, Qt.MouseButton.LeftButton)
    assert NOT_INDEPENDENT in d.error("verification_status")
    assert d.row("verification_status").error.isVisible()


def test_a_problem_with_the_answer_alone_shows_at_once(qtbot: Any, vault: Vault) -> None:
    _editor, d = new_record(qtbot, vault, "attack-on-activist")
    d.retype("victims[1].victim_pseudonym", "victim one")
    assert "This is not a code such as VIC-7Q2M" in d.error("victims[1].victim_pseudonym")
    assert d.row("victims[1].victim_pseudonym").error.isVisible()
