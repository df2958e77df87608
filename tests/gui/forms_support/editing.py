"""Opening the editor and the viewer on a vault, sealing through the confirmation, and files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QAbstractButton, QMessageBox

from fieldkit.gui.forms.editor import SEAL_QUESTION, RecordEditor
from fieldkit.gui.forms.fields_attachment import AttachmentInput
from fieldkit.gui.forms.viewer import RecordViewer
from fieldkit.services import records
from fieldkit.vault.store import Vault
from tests.gui.forms_support.driver import FormDriver

WAIT_MS = 10_000


def open_editor(
    qtbot: Any, vault: Vault, record_id: str, language: str = "en"
) -> tuple[RecordEditor, FormDriver]:
    editor = RecordEditor(vault, record_id, language)
    qtbot.addWidget(editor)
    editor.resize(1000, 800)
    editor.show()
    qtbot.waitExposed(editor)
    assert editor.renderer is not None
    return editor, FormDriver(qtbot, editor.renderer)


def new_record(
    qtbot: Any, vault: Vault, form_id: str, language: str = "en"
) -> tuple[RecordEditor, FormDriver]:
    return open_editor(qtbot, vault, records.create(vault, form_id, {}), language)


def open_viewer(qtbot: Any, vault: Vault, record_id: str, language: str = "en") -> RecordViewer:
    viewer = RecordViewer(vault, record_id, language)
    qtbot.addWidget(viewer)
    viewer.resize(1000, 800)
    viewer.show()
    qtbot.waitExposed(viewer)
    return viewer


def button(box: QMessageBox, text: str) -> QAbstractButton:
    found = [b for b in box.buttons() if b.text().replace("&", "") == text]
    assert found, f"no button {text!r} in {[b.text() for b in box.buttons()]}"
    return found[0]


def seal(qtbot: Any, editor: RecordEditor) -> None:
    """Press Finalize, read the confirmation and press Seal; wait for ``finalized``."""
    with qtbot.waitSignal(editor.finalized, timeout=WAIT_MS) as blocker:
        qtbot.mouseClick(editor.finalize_button, Qt.MouseButton.LeftButton)
        box = editor.pending_dialog
        assert isinstance(box, QMessageBox), "no confirmation (problems left?)"
        assert box.text() == SEAL_QUESTION
        qtbot.mouseClick(button(box, "Seal"), Qt.MouseButton.LeftButton)
    assert blocker.args == [editor.record_id]


def png_bytes(width: int = 40, height: int = 30, colour: str = "#3366cc") -> bytes:
    """A PNG made in memory."""
    image = QImage(width, height, QImage.Format.Format_RGB32)
    image.fill(QColor(colour))
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    assert image.save(buffer, "PNG")
    buffer.close()
    return bytes(data.data())


def attach(
    qtbot: Any, monkeypatch: pytest.MonkeyPatch, field_input: Any, paths: list[Path]
) -> None:
    """Press "Add files…" with the file dialog answering ``paths``; wait until they are stored
    (at once without a task runner, on the runner with one)."""
    assert isinstance(field_input, AttachmentInput)
    monkeypatch.setattr(field_input, "choose_files", lambda: [str(p) for p in paths])
    qtbot.mouseClick(field_input.add_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not field_input.adding, timeout=WAIT_MS)


def without(answers: dict[str, Any], *names: str) -> dict[str, Any]:
    return {k: v for k, v in answers.items() if k not in names}


def fill_attack_on_activist(d: FormDriver, answers: dict[str, Any]) -> None:
    """Fill the attack-on-an-activist form with ``answers`` through its widgets, checking on the
    way a constraint and its correction, relevance in the form and inside a repeat group, and
    adding a repeat entry. ``answers`` gains the ``date_end`` that was typed."""
    # Time: an end date before the start date is refused beside the field, then corrected.
    d.type("date_start", answers["date_start"])
    d.type("date_end", "2026-09-10")
    assert d.error("date_end") == ""  # it involves the first day: not while still in the section
    d.move_to("admin2")
    assert "is before the first day" in d.error("date_end")
    assert d.row("date_end").error.isVisible()
    d.retype("date_end", "2026-09-15")
    assert d.error("date_end") == ""
    assert not d.row("date_end").error.isVisible()
    answers["date_end"] = "2026-09-15"

    # Location: choosing "other" reveals its "specify" field; another choice hides it again.
    d.fill({k: answers[k] for k in ("country", "admin1", "admin2", "place_name", "coordinates")})
    d.choose("geo_precision", answers["geo_precision"])
    assert not d.shown("location_type_other")
    d.choose("location_type", "other")
    assert d.shown("location_type_other")
    d.type("location_type_other", "Footpath to the river")
    d.choose("location_type", answers["location_type"])
    assert not d.shown("location_type_other")

    # Victims: the first entry is there already (min_count 1), with its first act; the second
    # is added, and the third is an organisation.
    first, second, third = answers["victims"]
    d.fill({"victims": [first]})
    d.add_entry("victims")
    assert len(d.repeat("victims").instances) == 2
    assert d.repeat("victims").instances[1].title() == "Victims 2"
    d.fill(without(second, "acts"), "victims[2]")
    assert len(d.repeat("victims[2].acts").instances) == 1
    assert not d.shown("victims[2].acts[1].act_subtype")
    d.choose("victims[2].acts[1].act_type", "other_harmful_act")
    assert d.shown("victims[2].acts[1].act_subtype")
    assert not d.shown("victims[1].acts[1].act_subtype")  # victim 1's act is a killing
    d.fill(without(second["acts"][0], "act_type"), "victims[2].acts[1]")
    d.add_entry("victims")
    assert not d.shown("victims[3].victim_sex")  # asked of a person only
    d.choose("victims[3].victim_kind", "person")
    assert d.shown("victims[3].victim_sex") and not d.shown("victims[3].org_type")
    d.choose("victims[3].victim_kind", "organisation")
    assert not d.shown("victims[3].victim_sex") and not d.shown("victims[3].victim_age")
    assert d.shown("victims[3].org_type")
    d.fill(without(third, "victim_kind"), "victims[3]")

    handled = {
        "date_start", "date_end", "country", "admin1", "admin2", "place_name", "coordinates",
        "geo_precision", "location_type", "victims",
    }  # fmt: skip
    d.fill(without(answers, *handled))  # perpetrators, information and the rest
