"""One masking rule for every identifying input: masked (dots, or a cover of dots) whenever it is
not being edited; its Reveal toggle shows the content while on, so the user can see what they
type; leaving the field masks it again and turns the toggle off."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from typing import Any

from PySide6.QtCore import Qt

from fieldkit.domain.forms import FormDefinition
from fieldkit.gui.forms.renderer import FormRenderer
from fieldkit.services import forms as form_service
from fieldkit.vault.store import Vault
from tests.conftest import DATA
from tests.gui.forms_support.driver import FormDriver
from tests.gui.forms_support.editing import new_record

DOTS = "●"


def _with_consent_form(vault: Vault) -> Vault:
    """The vault with a form whose consent answers are identifying choices and a date."""
    with vault.write() as session:
        form_service.install(
            session, form_service.read_form_file(DATA / "forms" / "identifying-consent.yaml")
        )
    return vault


def _masked(text: str) -> bool:
    return bool(text) and set(text) <= {DOTS, "•", "*"}


def test_a_choice_is_covered_once_the_user_leaves_it(qtbot: Any, vault: Vault) -> None:
    editor, d = new_record(qtbot, _with_consent_form(vault), "identifying-consent")
    consent = d.row("victims[1].consent_given")
    assert consent.content is not None and consent.reveal is not None
    d.choose("victims[1].consent_given", "yes")
    d.move_to("victims[1].victim_pseudonym")  # the user goes on: the choice is no longer edited
    assert consent.content.cover is not None and consent.content.cover.isVisible()
    assert not consent.input.isVisible()
    assert not consent.reveal.isChecked()
    assert consent.reveal.accessibleName() == "Reveal Was informed consent obtained?"
    qtbot.mouseClick(consent.reveal, Qt.MouseButton.LeftButton)
    assert consent.input.isVisible()  # revealed: the choice shows, to check or change it
    assert consent.reveal.accessibleName() == "Hide Was informed consent obtained?"
    editor.flush()


def test_a_date_is_typed_as_dots_and_shown_while_revealed(qtbot: Any, vault: Vault) -> None:
    _editor, d = new_record(qtbot, _with_consent_form(vault), "identifying-consent")
    d.choose("victims[1].consent_given", "yes")
    date = d.row("victims[1].consent_date")
    line = d.line_edit("victims[1].consent_date")
    d.type("victims[1].consent_date", "2026-09-20")
    assert _masked(line.displayText())  # as identifying text is
    assert date.reveal is not None
    qtbot.mouseClick(date.reveal, Qt.MouseButton.LeftButton)
    assert line.displayText() == "2026-09-20"  # what is typed can be checked


def test_revealed_text_is_masked_again_when_the_field_is_left(qtbot: Any, vault: Vault) -> None:
    _editor, d = new_record(qtbot, vault, "attack-on-activist")
    d.choose("victims[1].consent_given", "yes")  # names are asked only with consent
    name = d.row("victims[1].victim_name")
    line = d.line_edit("victims[1].victim_name")
    assert name.reveal is not None
    d.move_to("victims[1].victim_name")
    qtbot.mouseClick(name.reveal, Qt.MouseButton.LeftButton)
    d.type("victims[1].victim_name", "Amina Diallo")
    assert line.displayText() == "Amina Diallo"  # typos can be seen while revealed
    d.move_to("victims[1].victim_pseudonym")
    assert _masked(line.displayText())
    assert not name.reveal.isChecked()
    assert name.reveal.text() == "Reveal"


POSITION_FORM = FormDefinition.model_validate(
    {
        "id": "hideout",
        "version": "1",
        "title": {"en": "Hideout"},
        "languages": ["en"],
        "fields": [
            {"name": "note", "type": "text", "label": {"en": "Note"}},
            {
                "name": "where",
                "type": "geopoint",
                "label": {"en": "Where the witness lives"},
                "sensitivity": "identifying",
            },
            {
                "name": "count",
                "type": "integer",
                "label": {"en": "Count"},
                "sensitivity": "identifying",
            },
        ],
    }
)


def test_a_position_and_a_number_are_masked_like_text(qtbot: Any) -> None:
    renderer = FormRenderer(POSITION_FORM, "en", None)
    qtbot.addWidget(renderer)
    renderer.resize(700, 500)
    renderer.show()
    qtbot.waitExposed(renderer)
    d = FormDriver(qtbot, renderer)
    where = d.row("where")
    d.move_to("where")
    d.type("where", "14.4974, -4.1942")
    assert _masked(d.line_edit("where").displayText())
    shown = d.input("where").shown  # the notations would give the place away
    assert not shown.isVisible()
    assert where.reveal is not None
    qtbot.mouseClick(where.reveal, Qt.MouseButton.LeftButton)
    assert d.line_edit("where").displayText() == "14.4974, -4.1942"
    assert shown.isVisible()
    d.move_to("count")
    d.type("count", "3")
    assert _masked(d.line_edit("count").displayText())
    assert _masked(d.line_edit("where").displayText())  # left: masked again
    assert not shown.isVisible()
