"""The record viewer: read-only answers, identifying answers masked until revealed, thumbnails,
the revision history with signature checks, and Amend."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import json
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QLabel, QLineEdit, QPlainTextEdit, QWidget
from sqlalchemy import text, update
from sqlmodel import col

from fieldkit.domain.formfile import load_form
from fieldkit.domain.forms import localized
from fieldkit.gui.forms.fields_attachment import AttachmentInput
from fieldkit.gui.forms.history import device_text
from fieldkit.gui.forms.viewer import RecordViewer
from fieldkit.services import forms as form_service
from fieldkit.services import records, vaults
from fieldkit.services.vaults import create_vault
from fieldkit.vault.models import RevisionRow
from fieldkit.vault.store import Vault
from tests.conftest import DATA, PASSPHRASE, all_types_answers
from tests.gui.forms_support.driver import FormDriver
from tests.gui.forms_support.editing import WAIT_MS, open_editor, open_viewer, png_bytes, seal


def _shown_texts(root: QWidget) -> list[str]:
    """Every text a person can read on screen right now (password fields show dots)."""
    texts = [w.text() for w in root.findChildren(QLabel) if w.isVisible()]
    texts += [w.displayText() for w in root.findChildren(QLineEdit) if w.isVisible()]
    texts += [w.toPlainText() for w in root.findChildren(QPlainTextEdit) if w.isVisible()]
    return texts


def _sealed_attack(vault: Vault) -> str:
    answers = json.loads((DATA / "records" / "v2" / "attack-on-activist.valid.json").read_text())
    answers["victims"][0]["victim_name"] = "Awa Traoré"
    return records.create(vault, "attack-on-activist", answers, final=True)


def test_the_newest_sealed_answers_read_only(qtbot: Any, vault: Vault) -> None:
    record_id = records.create(vault, "all-types", all_types_answers(), final=True)
    records.amend(vault, record_id, all_types_answers(subject="Corrected subject"))
    viewer = open_viewer(qtbot, vault, record_id)
    assert viewer.renderer is not None
    d = FormDriver(qtbot, viewer.renderer)
    assert d.line_edit("subject").text() == "Corrected subject"
    assert d.line_edit("subject").isReadOnly()
    assert not d.repeat("people").add_button.isVisible()
    assert not d.repeat("people").instances[0].remove_button.isVisible()
    colour = d.input("colour")
    assert colour.focus_widgets()[0].text() == "Green"  # type: ignore[attr-defined]
    assert "12°30'15.0\"N" in d.input("position").shown.text()  # type: ignore[attr-defined]
    assert d.error("people[1].age") == ""  # no problems are shown in the viewer


def test_the_viewer_shows_no_hints_and_no_placeholder_text(qtbot: Any, vault: Vault) -> None:
    record_id = _sealed_attack(vault)
    form = records.form_of(vault, record_id)
    hints = {localized(f.hint, "en", tuple(form.languages)) for _p, f in form.walk()} - {""}
    assert len(hints) >= 3
    viewer = open_viewer(qtbot, vault, record_id)
    assert viewer.renderer is not None
    shown = " ".join(_shown_texts(viewer))
    assert [hint for hint in hints if hint in shown] == []
    empty_boxes = [w for w in viewer.findChildren(QLineEdit) if w.isVisible() and not w.text()]
    assert empty_boxes  # unanswered questions are there, empty
    assert [w.placeholderText() for w in empty_boxes if w.placeholderText()] == []
    combos = [w for w in viewer.findChildren(QComboBox) if w.isVisible()]
    assert [w.placeholderText() for w in combos if w.placeholderText()] == []
    editor, _driver = open_editor(qtbot, vault, records.create(vault, "attack-on-activist", {}))
    # the editor, by contrast, shows both
    assert any(hint in " ".join(_shown_texts(editor)) for hint in hints)
    assert any(w.placeholderText() for w in editor.findChildren(QLineEdit) if w.isVisible())


def test_identifying_answers_stay_masked_until_revealed(qtbot: Any, vault: Vault) -> None:
    record_id = _sealed_attack(vault)
    viewer = open_viewer(qtbot, vault, record_id)
    assert viewer.renderer is not None
    d = FormDriver(qtbot, viewer.renderer)
    assert not any("Awa Traoré" in text for text in _shown_texts(viewer))
    assert not any("SRC-1203" in text for text in _shown_texts(viewer))
    consent = d.row("victims[1].consent_given")  # restricted, not identifying: shown as is
    assert consent.content is None or not consent.content.covered
    assert consent.input.focus_widgets()[0].text() == "Yes"  # type: ignore[attr-defined]
    source = d.row("information[1].source_pseudonym")
    name = d.row("victims[1].victim_name")
    assert name.reveal is not None
    qtbot.mouseClick(name.reveal, Qt.MouseButton.LeftButton)
    assert any("Awa Traoré" in text for text in _shown_texts(viewer))
    assert source.reveal is not None
    qtbot.mouseClick(source.reveal, Qt.MouseButton.LeftButton)
    assert any("SRC-1203" in text for text in _shown_texts(viewer))
    # Closing masks everything again.
    with qtbot.waitSignal(viewer.closed, timeout=WAIT_MS):
        qtbot.mouseClick(viewer.close_button, Qt.MouseButton.LeftButton)
    assert not any("SRC-1203" in text for text in _shown_texts(viewer))
    assert not any("Awa Traoré" in text for text in _shown_texts(viewer))


def test_a_version_one_record_shows_with_version_one_after_version_two_is_installed(
    qtbot: Any, vault_dir: Path
) -> None:
    old = create_vault(vault_dir, PASSPHRASE, device_name="old laptop", install_forms=False)
    try:
        path = form_service.shipped_forms_dir() / "previous" / "attack-on-activist-1.yaml"
        first = load_form(path.read_bytes(), path.name, form_service.shipped_vocabularies().resolve)
        with old.write() as session:
            form_service.install(session, first)
        answers = json.loads((DATA / "records" / "attack-on-activist.valid.json").read_text())
        record_id = records.create(old, "attack-on-activist", answers, final=True)
        with old.write() as session:
            form_service.install_shipped(session)
        viewer = open_viewer(qtbot, old, record_id, "fr")
        assert viewer.renderer is not None
        d = FormDriver(qtbot, viewer.renderer)
        shown = " ".join(_shown_texts(viewer))
        assert "Précision de la date" in shown  # a field of version 1 only
        assert d.input("main_act").focus_widgets()[0].text() == "Meurtre"  # type: ignore[attr-defined]
        assert d.input("victims[1].act_type").focus_widgets()[0].text() == "Meurtre"  # type: ignore[attr-defined]
        assert d.line_edit("admin1").text() == "Est"
        with qtbot.waitSignal(viewer.closed, timeout=WAIT_MS):
            qtbot.mouseClick(viewer.close_button, Qt.MouseButton.LeftButton)
    finally:
        old.close()


def test_identifying_thumbnails_appear_only_when_revealed(
    qtbot: Any, vault: Vault, tmp_path: Path
) -> None:
    photo = tmp_path / "face.png"
    photo.write_bytes(png_bytes(120, 60))
    record_id = records.create(
        vault, "all-types", all_types_answers(), attachments=[("files", photo)], final=True
    )
    viewer = open_viewer(qtbot, vault, record_id)
    assert viewer.renderer is not None
    d = FormDriver(qtbot, viewer.renderer)
    files = d.input("files")
    assert isinstance(files, AttachmentInput)
    assert [e.name.text() for e in files.entries] == ["face.png"]
    assert files.thumbnails_shown() == 0
    row = d.row("files")
    assert row.reveal is not None
    qtbot.mouseClick(row.reveal, Qt.MouseButton.LeftButton)
    assert files.thumbnails_shown() == 1
    assert not files.add_button.isVisible()
    viewer.clear()
    assert files.thumbnails_shown() == 0


def test_history_shows_revisions_devices_and_signature_checks(qtbot: Any, vault: Vault) -> None:
    record_id = records.create(vault, "all-types", all_types_answers(), final=True)
    records.amend(vault, record_id, all_types_answers(subject="Corrected"))
    key_id = vaults.device_identity(vault).key_id
    viewer = open_viewer(qtbot, vault, record_id)
    rows = viewer.history.rows()
    assert [row[0] for row in rows] == ["1", "2"]
    assert all(row[2] == f"test laptop (key {key_id[:8]})" for row in rows)
    assert [row[3] for row in rows] == ["final", "final"]
    detail = records.detail(vault, record_id)
    assert [row[4] for row in rows] == [r.sha256[:12] + "…" for r in detail.revisions]
    assert [row[5] for row in rows] == ["valid", "valid"]
    assert not viewer.history.warning.isVisible()
    assert not viewer.message.isVisible()
    assert "(UTC" in rows[0][1]


def test_a_revision_that_does_not_verify_is_flagged(qtbot: Any, vault: Vault) -> None:
    record_id = records.create(vault, "all-types", all_types_answers(), final=True)
    records.amend(vault, record_id, all_types_answers(subject="Corrected"))
    with vault.write() as session:  # an attacker with the key, working around the guard
        session.execute(text("DROP TRIGGER revision_sealed_no_update"))
        session.execute(
            update(RevisionRow)
            .where(col(RevisionRow.record_id) == record_id, col(RevisionRow.number) == 1)
            .values(signature=b"\x00" * 64)
        )
    viewer = open_viewer(qtbot, vault, record_id)
    rows = viewer.history.rows()
    assert [row[5] for row in rows] == ["DOES NOT VERIFY", "valid"]
    assert viewer.message.isVisible()
    assert "do not verify" in viewer.message.text()
    viewer.tabs.setCurrentWidget(viewer.history)
    assert viewer.history.warning.isVisible()
    assert "revision 1 does not verify" in viewer.history.warning.text()


def test_devices_other_than_this_one_are_named_so() -> None:
    assert device_text("ab" * 16, "cd" * 16, "my laptop") == "another device (key abababab)"
    assert device_text("cd" * 16, "cd" * 16, "") == "this device (key cdcdcdcd)"


def test_amend_asks_the_shell_and_the_editor_seals_revision_two(qtbot: Any, vault: Vault) -> None:
    record_id = records.create(vault, "all-types", all_types_answers(), final=True)
    viewer = open_viewer(qtbot, vault, record_id)
    with qtbot.waitSignal(viewer.amend_requested, timeout=WAIT_MS) as blocker:
        qtbot.mouseClick(viewer.amend_button, Qt.MouseButton.LeftButton)
    assert blocker.args == [record_id]
    editor, d = open_editor(qtbot, vault, record_id)
    d.retype("story", "Drivers paid twice at the bridge.")
    seal(qtbot, editor)
    detail = records.detail(vault, record_id)
    assert [r.number for r in detail.revisions] == [1, 2]
    assert detail.sealed is not None
    assert detail.sealed["story"] == "Drivers paid twice at the bridge."
    again = RecordViewer(vault, record_id, "en")
    qtbot.addWidget(again)
    assert [row[0] for row in again.history.rows()] == ["1", "2"]


def test_clear_empties_the_viewer(qtbot: Any, vault: Vault) -> None:
    record_id = records.create(vault, "all-types", all_types_answers(), final=True)
    viewer = open_viewer(qtbot, vault, record_id)
    viewer.clear()
    assert viewer.history.rows() == []
    assert not any("Checkpoint" in text for text in _shown_texts(viewer))
    assert viewer.renderer is not None
    assert viewer.renderer.data() == {}


def test_a_purged_revision_is_shown_as_purged_not_as_tampered(qtbot: Any, vault: Vault) -> None:
    from tests.services.test_records import _acknowledge_and_purge

    record_id = records.create(vault, "all-types", all_types_answers(), final=True)
    _acknowledge_and_purge(vault, record_id)
    viewer = open_viewer(qtbot, vault, record_id)
    (row,) = viewer.history.rows()
    assert "content purged" in row[3]
    assert row[5] == "not checked (purged)"
    assert not viewer.history.warning.isVisible()
