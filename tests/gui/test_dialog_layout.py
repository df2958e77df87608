"""Every dialog and page shows all its text in English, French and Arabic: no label or button
is clipped, cut short or left outside the window, including text that arrives after the dialog
opened (counts, fingerprints, results, errors)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from fieldkit.domain.validation import Problem
from fieldkit.gui.forms.problems_dialog import ProblemsDialog
from fieldkit.gui.window import apply_language
from fieldkit.i18n import set_language
from fieldkit.services import drives, enrolment, records
from fieldkit.vault.store import Vault
from tests.conftest import all_types_answers
from tests.gui.conftest import WAIT_MS, Shell, ShellFactory, unlock
from tests.gui.forms_support.editing import new_record, open_editor
from tests.gui.hq_support import Headquarters, make_hq, seal
from tests.gui.layout_check import settled_fits

LANGUAGES = pytest.mark.parametrize("language", ["en", "fr", "ar"])


@pytest.fixture
def hq(tmp_path: Path) -> Headquarters:
    return make_hq(tmp_path / "hq")


def _unlocked(qtbot: Any, make_shell: ShellFactory, folder: Path, language: str) -> Shell:
    set_language(language)
    shell = make_shell(folder)
    unlock(qtbot, shell)
    return shell


def _fits(qtbot: Any, widget: QWidget, name: str) -> None:
    qtbot.waitExposed(widget)
    settled_fits(qtbot, widget, name)


@LANGUAGES
def test_the_pages_before_unlock_fit(
    qtbot: Any, make_shell: ShellFactory, vault_dir: Path, vault_folder: Path, language: str
) -> None:
    set_language(language)
    shell = make_shell(vault_dir)
    _fits(qtbot, shell.window, f"welcome-{language}")
    shell.window.show_create()
    _fits(qtbot, shell.window, f"create-{language}")
    locked = make_shell(vault_folder)
    qtbot.waitUntil(lambda: not locked.runner.busy, timeout=WAIT_MS)
    _fits(qtbot, locked.window, f"unlock-{language}")


@LANGUAGES
def test_the_headquarters_and_enrolment_dialogs_fit(
    qtbot: Any, make_shell: ShellFactory, vault_folder: Path, hq: Headquarters, language: str
) -> None:
    shell = _unlocked(qtbot, make_shell, vault_folder, language)
    assert shell.window.bundles is not None
    dialog = shell.window.bundles.open_headquarters()
    assert dialog is not None
    qtbot.waitUntil(lambda: dialog.loaded, timeout=WAIT_MS)
    _fits(qtbot, dialog, f"headquarters-{language}")
    enrol = dialog.open_enrolment()
    assert enrol is not None
    _fits(qtbot, enrol, f"enrol-empty-{language}")
    enrol.load(hq.enrolment_file(address="https://hq.example.org/fieldkit/intake"))
    qtbot.waitUntil(lambda: not enrol.working, timeout=WAIT_MS)
    _fits(qtbot, enrol, f"enrol-loaded-{language}")
    enrol.confirm.click()
    qtbot.waitUntil(enrol.outcome.isVisible, timeout=WAIT_MS)
    _fits(qtbot, enrol, f"enrol-done-{language}")
    enrol.reject()
    qtbot.waitUntil(lambda: "Bamako" in dialog.hq_state.text(), timeout=WAIT_MS)
    _fits(qtbot, dialog, f"headquarters-enrolled-{language}")


@LANGUAGES
def test_moving_to_another_headquarters_asks_in_a_box_that_fits(
    qtbot: Any, make_shell: ShellFactory, vault_folder: Path, hq: Headquarters, language: str
) -> None:
    shell = _unlocked(qtbot, make_shell, vault_folder, language)
    enrolment.enroll(shell.session.vault, hq.enrolment_file())
    other = make_hq(hq.folder / "other", name="Regional office Mopti")
    assert shell.window.bundles is not None
    enrol = shell.window.bundles.open_enrolment()
    assert enrol is not None
    enrol.load(other.enrolment_file())
    qtbot.waitUntil(lambda: not enrol.working, timeout=WAIT_MS)
    _fits(qtbot, enrol, f"enrol-moving-{language}")
    enrol.confirm.click()
    box = enrol.replace_box
    assert box is not None
    _fits(qtbot, box, f"enrol-move-box-{language}")
    box.reject()


@LANGUAGES
def test_the_export_dialog_fits(
    qtbot: Any,
    make_shell: ShellFactory,
    vault_folder: Path,
    hq: Headquarters,
    stick: Path,
    language: str,
) -> None:
    shell = _unlocked(qtbot, make_shell, vault_folder, language)
    bundles = shell.window.bundles
    assert bundles is not None
    dialog = bundles.open_export()
    assert dialog is not None
    qtbot.waitUntil(
        lambda: dialog.summary.text() != "" and dialog.refresh.isEnabled(), timeout=WAIT_MS
    )
    qtbot.waitUntil(lambda: not shell.runner.busy, timeout=WAIT_MS)
    _fits(qtbot, dialog, f"export-not-enrolled-{language}")
    dialog.reject()
    vault = shell.session.vault
    enrolment.enroll(vault, hq.enrolment_file())
    seal(vault, ["first", "second"])
    dialog = bundles.open_export()
    assert dialog is not None
    qtbot.waitUntil(dialog.export.isEnabled, timeout=WAIT_MS)
    _fits(qtbot, dialog, f"export-ready-{language}")
    dialog.export.click()
    qtbot.waitUntil(dialog.outcome.isVisible, timeout=WAIT_MS)
    _fits(qtbot, dialog, f"export-done-{language}")


@LANGUAGES
def test_the_receipt_dialog_fits(
    qtbot: Any, make_shell: ShellFactory, vault_folder: Path, tmp_path: Path, language: str
) -> None:
    shell = _unlocked(qtbot, make_shell, vault_folder, language)
    assert shell.window.bundles is not None
    dialog = shell.window.bundles.open_receipt()
    assert dialog is not None
    _fits(qtbot, dialog, f"receipt-{language}")
    wrong = tmp_path / "not-a-receipt-from-headquarters-at-all.fkr"
    wrong.write_bytes(b"nothing")
    dialog.load(wrong)
    qtbot.waitUntil(lambda: not dialog.working, timeout=WAIT_MS)
    assert dialog.error.isVisibleTo(dialog)
    _fits(qtbot, dialog, f"receipt-refused-{language}")


@LANGUAGES
def test_the_settings_and_passphrase_dialogs_fit(
    qtbot: Any, make_shell: ShellFactory, vault_folder: Path, language: str
) -> None:
    shell = _unlocked(qtbot, make_shell, vault_folder, language)
    settings = shell.window.open_settings()
    assert settings is not None
    qtbot.waitUntil(lambda: not shell.runner.busy, timeout=WAIT_MS)
    _fits(qtbot, settings, f"settings-{language}")
    dialog = settings.open_passphrase_dialog()
    _fits(qtbot, dialog, f"passphrase-{language}")
    dialog.new.setText("correct horse")
    qtbot.waitUntil(lambda: not shell.runner.busy, timeout=WAIT_MS)
    _fits(qtbot, dialog, f"passphrase-weak-{language}")
    dialog.reject()
    settings.reject()


@LANGUAGES
def test_the_form_picker_and_the_problems_fit(
    qtbot: Any, make_shell: ShellFactory, vault_folder: Path, language: str
) -> None:
    shell = _unlocked(qtbot, make_shell, vault_folder, language)
    workspace = shell.window.workspace
    assert workspace is not None
    picker = workspace.new_record()
    _fits(qtbot, picker, f"form-picker-{language}")
    picker.reject()
    problems = [
        Problem(f"victims[{n}].name", "name", "required", "An answer is required.")
        for n in range(1, 4)
    ]
    problems.append(
        Problem(
            "incident_place",
            "place",
            "length",
            "Say where it happened in words: the village, the road or the building, and what "
            "is near it, so that someone who was not there can find the place again.",
        )
    )
    dialog = ProblemsDialog(problems, lambda p: ("Name of the victim", "2"), workspace)
    dialog.open()
    _fits(qtbot, dialog, f"problems-{language}")
    dialog.reject()


@LANGUAGES
def test_a_refused_passphrase_change_shows_its_whole_message(
    qtbot: Any, make_shell: ShellFactory, vault_folder: Path, language: str
) -> None:
    shell = _unlocked(qtbot, make_shell, vault_folder, language)
    settings = shell.window.open_settings()
    assert settings is not None
    dialog = settings.open_passphrase_dialog()
    _fits(qtbot, dialog, f"passphrase-{language}")
    dialog.old.setText("not the passphrase at all")
    dialog.new.setText("a much longer passphrase of several words")
    dialog.confirmation.setText("a much longer passphrase of several words")
    dialog.submit()
    qtbot.waitUntil(lambda: dialog.error.isVisibleTo(dialog), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: not shell.runner.busy, timeout=WAIT_MS)
    _fits(qtbot, dialog, f"passphrase-refused-{language}")
    dialog.reject()
    settings.reject()


@LANGUAGES
def test_a_refused_enrolment_file_shows_its_whole_message(
    qtbot: Any, make_shell: ShellFactory, vault_folder: Path, tmp_path: Path, language: str
) -> None:
    shell = _unlocked(qtbot, make_shell, vault_folder, language)
    assert shell.window.bundles is not None
    enrol = shell.window.bundles.open_enrolment()
    assert enrol is not None
    _fits(qtbot, enrol, f"enrol-empty-{language}")
    wrong = tmp_path / "enrolment-from-somebody-who-is-not-headquarters.fke"
    wrong.write_text("{}")
    enrol.load(wrong)
    qtbot.waitUntil(lambda: not enrol.working, timeout=WAIT_MS)
    assert enrol.error.isVisibleTo(enrol)
    _fits(qtbot, enrol, f"enrol-refused-{language}")


@LANGUAGES
def test_the_export_dialog_without_a_drive_fits(
    qtbot: Any,
    make_shell: ShellFactory,
    vault_folder: Path,
    monkeypatch: pytest.MonkeyPatch,
    language: str,
) -> None:
    monkeypatch.setattr(drives, "removable_drives", lambda: [])
    shell = _unlocked(qtbot, make_shell, vault_folder, language)
    assert shell.window.bundles is not None
    dialog = shell.window.bundles.open_export()
    assert dialog is not None
    qtbot.waitUntil(lambda: dialog.no_drive.isVisibleTo(dialog), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: not shell.runner.busy, timeout=WAIT_MS)
    _fits(qtbot, dialog, f"export-no-drive-{language}")


@pytest.fixture
def in_language(request: pytest.FixtureRequest) -> Iterator[str]:
    """The window's language (and direction) for a test without a shell."""
    language = request.param
    set_language(language)
    apply_language()
    yield language
    set_language("en")
    apply_language()
    QApplication.setLayoutDirection(Qt.LayoutDirection.LeftToRight)


@pytest.mark.parametrize("in_language", ["en", "fr", "ar"], indirect=True)
def test_the_editors_questions_and_problems_fit(qtbot: Any, vault: Vault, in_language: str) -> None:
    record_id = records.create(vault, "all-types", all_types_answers())
    editor, _d = open_editor(qtbot, vault, record_id)
    qtbot.mouseClick(editor.finalize_button, Qt.MouseButton.LeftButton)
    box = editor.pending_dialog
    assert isinstance(box, QMessageBox)
    _fits(qtbot, box, f"seal-question-{in_language}")
    box.reject()
    qtbot.mouseClick(editor.discard_button, Qt.MouseButton.LeftButton)
    box = editor.pending_dialog
    assert isinstance(box, QMessageBox)
    _fits(qtbot, box, f"discard-question-{in_language}")
    box.reject()
    blank, d = new_record(qtbot, vault, "all-types")
    d.add_entry("people")
    d.type("people[2].age", "200")
    qtbot.mouseClick(blank.finalize_button, Qt.MouseButton.LeftButton)
    problems = blank.pending_dialog
    assert isinstance(problems, ProblemsDialog)
    _fits(qtbot, problems, f"problems-real-{in_language}")
    problems.reject()


@LANGUAGES
def test_the_main_window_fits(
    qtbot: Any, make_shell: ShellFactory, vault_folder: Path, language: str
) -> None:
    shell = _unlocked(qtbot, make_shell, vault_folder, language)
    _fits(qtbot, shell.window, f"main-{language}")
