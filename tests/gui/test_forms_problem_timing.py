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

NO_VICTIM = "No victim has this type of act"


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
    d.choose("main_act", "killing")  # no victim has an act yet: it cannot be satisfied now
    assert d.error("main_act") == ""
    assert not d.row("main_act").error.isVisible()
    _focus(qtbot, d, "victims[1].victim_pseudonym")  # on to the victims, to answer it there
    assert d.error("main_act") == ""
    d.choose("victims[1].act_type", "torture")
    assert d.error("main_act") == ""  # still in the victim's entry
    _focus(qtbot, d, "linked_observations")  # the victim's entry is left: now it shows
    assert NO_VICTIM in d.error("main_act")
    assert d.row("main_act").error.isVisible()


def test_finalize_shows_a_problem_with_other_fields_at_once(qtbot: Any, vault: Vault) -> None:
    editor, d = new_record(qtbot, vault, "attack-on-activist")
    d.choose("main_act", "killing")
    assert not d.row("main_act").error.isVisible()
    qtbot.mouseClick(editor.finalize_button, Qt.MouseButton.LeftButton)
    assert NO_VICTIM in d.error("main_act")
    assert d.row("main_act").error.isVisible()


def test_a_problem_with_the_answer_alone_shows_at_once(qtbot: Any, vault: Vault) -> None:
    _editor, d = new_record(qtbot, vault, "attack-on-activist")
    d.retype("victims[1].victim_pseudonym", "victim one")
    assert "This is not a code such as VIC-7Q2M" in d.error("victims[1].victim_pseudonym")
    assert d.row("victims[1].victim_pseudonym").error.isVisible()
